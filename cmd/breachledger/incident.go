package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
)

func str(name, usage string, aliases ...string) *cli.StringFlag {
	return &cli.StringFlag{Name: name, Usage: usage, Aliases: aliases}
}

func strs(name, usage string, aliases ...string) *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: name, Usage: usage, Aliases: aliases}
}

func boolean(name, usage string) *cli.BoolFlag { return &cli.BoolFlag{Name: name, Usage: usage} }

func allowed[T ~string](vs []T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

// incidentCommands are the writers of incident facts, one command per fact.
func incidentCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.writer(writerSpec{
			name: "detect", usage: "open an incident: how it was detected and when the organisation became aware",
			example:     `breachledger detect --source automated-alert --summary "Mass export from storage cluster eu-3" --aware-at 2025-03-07T22:15:00Z --role both --at 2025-03-07T21:40:00Z`,
			newIncident: true,
			flags: []cli.Flag{
				str("source", "how it was detected: "+allowed(domain.Sources())),
				str("summary", "what was seen, in one line"),
				str("aware-at", "when the organisation became aware (GDPR Art. 33(1) clock; default: --at)"),
				str("aware-reason", "why the organisation became aware before the detection (required when --aware-at is earlier than --at)"),
				&cli.StringFlag{Name: "role", Value: string(domain.RoleBoth), Usage: "the organisation acts as: " + allowed(domain.DataRoles()) + " (both runs every clock)"},
				str("reference", "external alert or ticket ID"),
				str("pack", "evaluate it under this rule pack (default: the current one; \"breachledger packs\" lists them)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.DetectIncident{
					Pack:    in.pack("--pack", in.c.String("pack")),
					By:      by,
					Source:  enum(in, in.c.String("source"), true, "--source", domain.ParseSource),
					Summary: in.required("summary"), AwareAt: in.time("aware-at"), AwareReason: in.c.String("aware-reason"),
					Role:      enum(in, in.c.String("role"), true, "--role", domain.ParseDataRole),
					Reference: in.c.String("reference"),
				}
			},
		}),
		e.writer(writerSpec{
			name: "assess", usage: "record an assessment of impact; severity and priority derive from it (NIST SP 800-61)", argsUsage: "INCIDENT",
			example:  `breachledger assess INCIDENT --functional-impact medium --recoverability extended --information-impact privacy-breach --escalated`,
			incident: true,
			flags: []cli.Flag{
				str("functional-impact", "NIST functional impact: "+allowed(domain.FunctionalImpacts()), "f"),
				str("recoverability", "NIST recoverability: "+allowed(domain.Recoverabilities()), "r"),
				str("information-impact", "breach category: "+allowed(domain.InformationImpacts()), "i"),
				boolean("escalated", "escalated to the security response team"),
				str("severity", "override the derived severity: "+allowed(domain.Severities())),
				str("priority", "override the derived priority: "+allowed(domain.Priorities())),
				str("override-reason", "why the derived severity or priority is overridden"),
				str("notes", "assessment notes"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.AssessIncident{
					By:                by,
					FunctionalImpact:  enum(in, in.c.String("functional-impact"), true, "--functional-impact", domain.ParseFunctionalImpact),
					Recoverability:    enum(in, in.c.String("recoverability"), true, "--recoverability", domain.ParseRecoverability),
					InformationImpact: enum(in, in.c.String("information-impact"), true, "--information-impact", domain.ParseInformationImpact),
					Escalated:         in.c.Bool("escalated"),
					Severity:          enum(in, in.c.String("severity"), false, "--severity", domain.ParseSeverity),
					Priority:          enum(in, in.c.String("priority"), false, "--priority", domain.ParsePriority),
					OverrideReason:    in.c.String("override-reason"), Notes: in.c.String("notes"),
				}
			},
		}),
		e.writer(writerSpec{
			name: "stage", usage: "move the incident to another stage (allowed moves: README, \"Stages\")", argsUsage: "INCIDENT STAGE",
			example:  `breachledger stage INCIDENT diagnose --reason "forensic investigation started"`,
			incident: true,
			flags:    []cli.Flag{str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.MoveStage{By: by, To: enum(in, in.arg("STAGE"), true, "STAGE", domain.ParseStage), Reason: in.c.String("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "classify", usage: "classify the incident: " + allowed(domain.Classifications()), argsUsage: "INCIDENT CLASSIFICATION",
			example:  `breachledger classify INCIDENT privacy-breach --reason "customer personal data was read by an unauthorised party"`,
			incident: true,
			flags:    []cli.Flag{str("root-cause", "root cause (required for a false positive)"), str("reason", "why (required for out-of-scope)")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.ClassifyIncident{By: by, Classification: enum(in, in.arg("CLASSIFICATION"), true, "CLASSIFICATION", domain.ParseClassification), RootCause: in.c.String("root-cause"), Reason: in.c.String("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "scope", usage: "record the scope: affected customers, data and subject categories, counts, jurisdictions", argsUsage: "INCIDENT",
			example:  `breachledger scope INCIDENT --customer contoso --customer fabrikam --data-category "contact details" --subject-category employees --subjects 1200 --records 5400 --jurisdiction DE --jurisdiction FR`,
			incident: true,
			flags: []cli.Flag{
				strs("customer", "add an affected customer or tenant (repeatable)"), strs("remove-customer", "take a customer out of scope"),
				strs("data-category", "add a category of personal data"), strs("remove-data-category", "remove a data category"),
				strs("subject-category", "add a category of data subjects"), strs("remove-subject-category", "remove a subject category"),
				strs("jurisdiction", "add a jurisdiction (ISO 3166 code: DE, US-CA)"), strs("remove-jurisdiction", "remove a jurisdiction"),
				str("subjects", "approximate number of data subjects"), str("records", "approximate number of personal-data records"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RecordScope{
					By:           by,
					AddCustomers: in.list("customer"), RemoveCustomers: in.list("remove-customer"),
					AddDataCategories: in.list("data-category"), RemoveDataCategories: in.list("remove-data-category"),
					AddSubjectCategories: in.list("subject-category"), RemoveSubjectCategories: in.list("remove-subject-category"),
					AddJurisdictions: in.list("jurisdiction"), RemoveJurisdictions: in.list("remove-jurisdiction"),
					Subjects: in.count("subjects"), Records: in.count("records"),
				}
			},
		}),
		e.writer(writerSpec{
			name: "risk", usage: "record the GDPR risk determination: " + allowed(domain.RiskLevels()), argsUsage: "INCIDENT LEVEL",
			example:  `breachledger risk INCIDENT high --reasoning "unencrypted contact and payment data of 1,200 people"`,
			incident: true,
			flags: []cli.Flag{
				str("reasoning", "why this level (kept for GDPR Art. 33(5) documentation)"),
				str("art34-exception", "GDPR Art. 34(3) exception for a high risk: "+allowed(domain.Art34Exceptions())),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.DetermineRisk{By: by, Level: enum(in, in.arg("LEVEL"), true, "LEVEL", domain.ParseRiskLevel), Reasoning: in.required("reasoning"),
					Art34Exception: enum(in, in.c.String("art34-exception"), false, "--art34-exception", domain.ParseArt34Exception)}
			},
		}),
		e.writer(writerSpec{
			name: "declare", usage: "declare a Customer Reportable Security/Privacy Incident (security incident manager); starts the customer notice clock", argsUsage: "INCIDENT",
			example:  `breachledger declare INCIDENT --basis evidence --reasoning "access logs show reads of 2 tenants' blobs by a stolen token"`,
			incident: true,
			flags: []cli.Flag{
				str("basis", "evidence (beyond reasonable doubt) or legal-duty (legal or contractual duty to notify)"),
				str("reasoning", "the evidence or the duty"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.DeclareCRSPI{By: by, Basis: enum(in, in.c.String("basis"), true, "--basis", domain.ParseDeclarationBasis), Reasoning: in.required("reasoning")}
			},
		}),
		e.writer(writerSpec{
			name: "contain", aliases: []string{"action"}, usage: "record a containment, mitigation or recovery action", argsUsage: "INCIDENT",
			example:  `breachledger contain INCIDENT --description "quarantined storage nodes eu-3-07..09" --system eu-3-07 --system eu-3-08`,
			incident: true,
			flags: []cli.Flag{
				&cli.StringFlag{Name: "kind", Value: string(domain.ActionContainment), Usage: allowed(domain.ActionKinds())},
				str("description", "what was done"),
				strs("system", "a system acted on (repeatable)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.TakeAction{By: by, Kind: enum(in, in.c.String("kind"), true, "--kind", domain.ParseActionKind), Description: in.required("description"), Systems: in.list("system")}
			},
		}),
		e.writer(writerSpec{
			name: "evidence", usage: "record a piece of evidence by its SHA-256 (the evidence itself stays where it is)", argsUsage: "INCIDENT",
			example:  `breachledger evidence INCIDENT --description "storage access logs 2025-03-07" --file ./access-2025-03-07.log.gz`,
			incident: true,
			flags: []cli.Flag{
				str("description", "what it is"),
				str("file", "compute the SHA-256 and size of this file"),
				str("sha256", "the SHA-256, when the file is not at hand"),
				str("location", "where the evidence is kept (default: --file)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				sum, size, file := in.digest()
				loc := in.c.String("location")
				if loc == "" {
					loc = file
				}
				return domain.RecordEvidence{By: by, Description: in.required("description"), SHA256: sum, Location: loc, Size: size}
			},
		}),
		e.writer(writerSpec{
			name: "request", usage: "ask for an approval: a notification delay exception, or moving customer data out of production", argsUsage: "INCIDENT KIND",
			example: lines(`breachledger request INCIDENT notification-delay --reason risk-to-other-customers --until 2025-03-13T10:00:00Z --details "notice would tip off the actor still in tenant B"`,
				`breachledger request INCIDENT data-transfer --destination "forensics lab FL-2" --details "disk image of eu-3-07"`),
			incident: true,
			flags: []cli.Flag{
				str("details", "what is asked and why"),
				str("reason", "notification-delay: "+allowed(domain.DelayReasons())),
				str("until", "notification-delay: when the hold ends"),
				strs("customer", "notification-delay: only these customers (default every customer)"),
				str("destination", "data-transfer: where the data goes"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.OpenRequest{By: by, Kind: enum(in, in.arg("KIND"), true, "KIND", domain.ParseRequestKind),
					DelayReason: enum(in, in.c.String("reason"), false, "--reason", domain.ParseDelayReason),
					Until:       in.time("until"), Customers: in.list("customer"), Destination: in.c.String("destination"), Details: in.required("details")}
			},
		}),
		e.writer(writerSpec{
			name: "approve", usage: "approve a request (notification-delay: legal and the executive incident manager, two people; data-transfer: the incident manager)", argsUsage: "INCIDENT REQUEST",
			example:  `breachledger approve INCIDENT R1 --as legal --comment "tipping-off risk confirmed with counsel"`,
			incident: true,
			flags:    []cli.Flag{str("as", "the role you approve in (needed only if you hold several)"), str("comment", "comment")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.ApproveRequest{By: by, Request: strings.ToUpper(in.arg("REQUEST")), As: enum(in, in.c.String("as"), false, "--as", domain.ParseRole), Comment: in.c.String("comment")}
			},
		}),
		e.writer(writerSpec{
			name: "reject", usage: "reject a request", argsUsage: "INCIDENT REQUEST",
			example:  `breachledger reject INCIDENT R2 --reason "analysis can run inside production"`,
			incident: true,
			flags:    []cli.Flag{str("as", "the role you reject in"), str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RejectRequest{By: by, Request: strings.ToUpper(in.arg("REQUEST")), As: enum(in, in.c.String("as"), false, "--as", domain.ParseRole), Reason: in.required("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "notify", usage: "record a notice that was sent", argsUsage: "INCIDENT",
			example: lines(`breachledger notify INCIDENT --to security-contacts --customer contoso --recipient secops@contoso.example --channel email`,
				`breachledger notify INCIDENT --to supervisory-authority --recipient "Data Protection Commission" --channel portal --art33 nature,contact,consequences,measures`),
			incident: true,
			flags: []cli.Flag{
				str("to", "recipient kind: "+allowed(domain.RecipientKinds())),
				str("recipient", "who exactly (address, authority, group)"),
				str("customer", "the customer, for security-contacts, subscription-admins and account-team"),
				boolean("no-security-contact", "subscription-admins: the customer has no security contact configured"),
				&cli.StringFlag{Name: "channel", Value: string(domain.ChannelEmail), Usage: allowed(domain.Channels())},
				&cli.StringFlag{Name: "phase", Value: string(domain.PhaseInitial), Usage: allowed(domain.Phases())},
				strs("art33", "supervisory-authority: GDPR Art. 33(3) items carried: "+allowed(domain.Art33Items())),
				str("delay-reason", "why the notice is late (required when it is)"),
				str("reference", "the notice's own reference (case number, message ID)"),
				str("summary", "what the notice said, in short"),
				strs("for", "the obligation this notice answers, as \"deadlines\" names it (repeatable; needed when a notice could answer several regimes)"),
				str("jurisdiction", "the recipient authority's jurisdiction (DE, US-CA): which of several authorities this notice went to"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.SendNotification{By: by, NotificationSent: domain.NotificationSent{
					RecipientKind: enum(in, in.c.String("to"), true, "--to", domain.ParseRecipientKind),
					Recipient:     in.required("recipient"), Customer: in.c.String("customer"), NoSecurityContact: in.c.Bool("no-security-contact"),
					Channel:     enum(in, in.c.String("channel"), true, "--channel", domain.ParseChannel),
					Phase:       enum(in, in.c.String("phase"), true, "--phase", domain.ParsePhase),
					Art33Items:  enums(in, in.list("art33"), "--art33", domain.ParseArt33Item),
					DelayReason: in.c.String("delay-reason"), Reference: in.c.String("reference"), Summary: in.c.String("summary"),
					Obligations: in.list("for"), Jurisdiction: strings.ToUpper(strings.TrimSpace(in.c.String("jurisdiction"))),
				}}
			},
		}),
		e.writer(writerSpec{
			name: "postmortem", usage: "record the post-mortem by location and SHA-256 (the confidential document never enters the ledger)", argsUsage: "INCIDENT",
			example:  `breachledger postmortem INCIDENT --summary "token theft via CI logs; rotated, logs scrubbed" --location "dms://ir/2025-017/pm.pdf" --file ./pm.pdf`,
			incident: true,
			flags:    []cli.Flag{str("summary", "what happened and what changes"), str("location", "where the document is kept"), str("file", "compute the SHA-256 of this file"), str("sha256", "the SHA-256, when the file is not at hand")},
			build: func(in *inputs, by domain.By) domain.Command {
				sum, _, _ := in.digest()
				return domain.CompletePostmortem{By: by, Summary: in.required("summary"), Location: in.required("location"), SHA256: sum}
			},
		}),
		e.writer(writerSpec{
			name: "close", usage: "close the incident (a privacy breach or CRSPI needs its post-mortem first)", argsUsage: "INCIDENT",
			example:  `breachledger close INCIDENT --summary "contained, customers and authority notified"`,
			incident: true,
			flags: []cli.Flag{str("summary", "closing summary"),
				str("open-obligations-reason", "why it closes while obligations are still open (required then; kept with the closure)")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.CloseIncident{By: by, Summary: in.c.String("summary"), OpenObligationsReason: in.c.String("open-obligations-reason")}
			},
		}),
		e.writer(writerSpec{
			name: "reopen", usage: "reopen an incident in Close and Post-mortem", argsUsage: "INCIDENT",
			example:  `breachledger reopen INCIDENT --reason "second exfiltration path found" --stage diagnose`,
			incident: true,
			flags:    []cli.Flag{str("reason", "why"), &cli.StringFlag{Name: "stage", Value: string(domain.StageDiagnose), Usage: "stage to reopen at: assess, diagnose or stabilize"}},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.ReopenIncident{By: by, Reason: in.required("reason"), Stage: enum(in, in.c.String("stage"), true, "--stage", domain.ParseStage)}
			},
		}),
		e.writer(writerSpec{
			name: "note", usage: "add a free-text note", argsUsage: "INCIDENT TEXT...",
			example:  `breachledger note INCIDENT "bridge call with customer contoso at 09:00, minutes in DMS"`,
			incident: true,
			build: func(in *inputs, by domain.By) domain.Command {
				text := in.rest()
				if strings.TrimSpace(text) == "" {
					in.failf("missing argument TEXT")
				}
				return domain.AddNote{By: by, Text: text}
			},
		}),
		e.writer(writerSpec{
			name: "correct", usage: "correct an earlier event by a new event that references it (nothing is edited)", argsUsage: "INCIDENT EVENT-ID",
			example: lines(`breachledger correct INCIDENT EVENT-ID --aware-at 2025-03-07T20:05:00Z --reason "SOC ticket shows the alert was read at 20:05"`,
				`breachledger correct INCIDENT EVENT-ID --set recipient=dpo@contoso.example --reason "wrong address typed"`),
			incident: true,
			flags: []cli.Flag{
				str("reason", "why the original was wrong"),
				&cli.GenericFlag{Name: "set", Value: &multiValue{}, Usage: "`FIELD=VALUE`: a field of the event's payload, as its JSON names it (repeatable; lists comma-separated)"},
				str("new-at", "the corrected business time of the event"),
				str("aware-at", "shorthand for --set aware_at=T on a detection (awareness may only move earlier)"),
				str("aware-reason", "shorthand for --set aware_reason=TEXT on a detection (needed when awareness moves before the detection)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				c := domain.CorrectEvent{By: by, Target: in.arg("EVENT-ID"), NewAt: in.time("new-at"), Reason: in.required("reason")}
				for _, kv := range in.c.Generic("set").(*multiValue).values {
					k, v, ok := strings.Cut(kv, "=")
					if !ok {
						in.failf("--set %q: write FIELD=VALUE", kv)
						continue
					}
					c.Changes = append(c.Changes, domain.FieldChange{Field: strings.TrimSpace(k), Value: v})
				}
				if t := in.time("aware-at"); !t.IsZero() {
					c.Changes = append(c.Changes, domain.FieldChange{Field: "aware_at", Value: t.Format("2006-01-02T15:04:05.999999999Z07:00")})
				}
				if r := in.c.String("aware-reason"); r != "" {
					c.Changes = append(c.Changes, domain.FieldChange{Field: "aware_reason", Value: r})
				}
				return c
			},
		}),
	}
}

// multiValue is a repeatable flag whose values are kept whole (a
// StringSliceFlag would split them at commas).
type multiValue struct{ values []string }

func (m *multiValue) Set(v string) error { m.values = append(m.values, v); return nil }
func (m *multiValue) String() string     { return strings.Join(m.values, " ") }
