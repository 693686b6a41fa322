package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// regulatoryCommands record the facts that decide which regulatory
// obligations apply and when their clocks start, and list the rule packs.
func regulatoryCommands(e *env) []*cli.Command {
	return []*cli.Command{
		e.writer(writerSpec{
			name: "profile", usage: "record who the organisation is for this incident: establishments, sectors, entity types, controllers it processes for", argsUsage: "INCIDENT",
			example: lines(`breachledger profile INCIDENT --establishment DE --sector banking --sector digital-infrastructure --entity-type credit-institution --entity-type nis2-essential --entity-type sec-registrant`,
				`breachledger profile INCIDENT --entity-type gdpr-art27-representative   # a controller outside the EEA with an Art. 27 representative: one notice per supervisory authority where people live`),
			incident: true,
			flags: []cli.Flag{
				strs("establishment", "a jurisdiction where the organisation is established, main establishment first (DE, US)"), strs("remove-establishment", "remove one"),
				strs("sector", "a sector (banking, financial-market-infrastructure, digital-infrastructure, health...)"), strs("remove-sector", "remove one"),
				strs("entity-type", "a regulatory status a rule of the incident's pack reads; under the current pack: "+allowed(domain.RecordableEntityTypes())), strs("remove-entity-type", "remove one: "+allowed(domain.EntityTypes())),
				strs("controller", "as processor: a controller to notify under GDPR Art. 33(2)"), strs("remove-controller", "remove one"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RecordProfile{
					By:                by,
					AddEstablishments: in.list("establishment"), RemoveEstablishments: in.list("remove-establishment"),
					AddSectors: in.list("sector"), RemoveSectors: in.list("remove-sector"),
					AddEntityTypes:    enums(in, in.list("entity-type"), "--entity-type", domain.ParseEntityType),
					RemoveEntityTypes: enums(in, in.list("remove-entity-type"), "--remove-entity-type", domain.ParseEntityType),
					AddControllers:    in.list("controller"), RemoveControllers: in.list("remove-controller"),
				}
			},
		}),
		e.writer(writerSpec{
			name: "affected", usage: "record how many people are affected per jurisdiction (thresholds and per-authority notices follow from it)", argsUsage: "INCIDENT",
			example:  `breachledger affected INCIDENT --count DE=800 --count FR=400 --count US-CA=620 --count US-NY=90`,
			incident: true,
			flags:    []cli.Flag{strs("count", "`JURISDICTION=N` (repeatable): people affected there"), strs("remove", "a jurisdiction to take out")},
			build: func(in *inputs, by domain.By) domain.Command {
				c := domain.RecordAffected{By: by, Remove: in.list("remove")}
				for _, kv := range in.list("count") {
					j, n, ok := strings.Cut(kv, "=")
					count, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(n), "_", ""), 10, 64)
					if !ok || err != nil || count < 0 {
						in.failf("--count %q: write JURISDICTION=N with N a whole number of zero or more", kv)
						continue
					}
					c.Set = append(c.Set, domain.AffectedCount{Jurisdiction: strings.ToUpper(strings.TrimSpace(j)), Count: count})
				}
				if len(c.Set) == 0 && len(c.Remove) == 0 {
					in.failf("give at least one --count or --remove")
				}
				return c
			},
		}),
		e.writer(writerSpec{
			name: "determine", usage: "record a determination that starts or stops a clock: " + allowed(domain.DeterminationKinds()), argsUsage: "INCIDENT KIND",
			example: lines(`breachledger determine INCIDENT sec-material --reasoning "disclosure committee: customer data of 2.1M accounts" --at 2025-07-02T15:00:00-04:00`,
				`breachledger determine INCIDENT dora-major --reasoning "critical service down 3h, 2 criteria met (RTS 2024/1772 Art. 8)"`,
				`breachledger determine INCIDENT hipaa-low-probability --no --reasoning "four-factor assessment: PHI viewed by an outside party"`),
			incident: true,
			flags:    []cli.Flag{str("reasoning", "why (kept as the record of the decision)"), boolean("no", "a negative determination (not material, not major, not notifiable...)")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.MakeDetermination{By: by, Kind: enum(in, in.arg("KIND"), true, "KIND", domain.ParseDeterminationKind), Positive: !in.c.Bool("no"), Reasoning: in.required("reasoning")}
			},
		}),
		e.writer(writerSpec{
			name: "ack", usage: "record that a recipient (an authority) acknowledged a notice", argsUsage: "INCIDENT NOTICE-EVENT-ID",
			example:  `breachledger ack INCIDENT 01a2...c3 --from "CNIL" --reference CNIL-2025-0310-77`,
			incident: true,
			flags:    []cli.Flag{str("from", "who acknowledged"), str("reference", "their case number")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RecordAcknowledgement{By: by, Notice: in.arg("NOTICE-EVENT-ID"), From: in.required("from"), Reference: in.c.String("reference")}
			},
		}),
		e.writer(writerSpec{
			name: "hold", usage: "record a hold of notification on a legal basis (legal): " + allowed(domain.HoldKinds()), argsUsage: "INCIDENT KIND",
			example: lines(`breachledger hold INCIDENT law-enforcement --authority "FBI field office" --basis "notice would impede the investigation (45 CFR 164.412)" --written --until 2026-01-20T00:00:00Z`,
				`breachledger hold INCIDENT sec-ag-delay --authority "US Attorney General" --basis "substantial risk to national security (Item 1.05(c))" --until 2025-08-08T23:59:59-04:00`),
			incident: true,
			flags: []cli.Flag{
				str("authority", "who asked for it: the agency, the Attorney General"),
				str("basis", "the legal basis and what was stated"),
				boolean("written", "law-enforcement: a written statement (an oral one holds at most 30 days)"),
				str("until", "when the hold ends"),
				strs("obligation", "only these obligations or rules (default: every obligation the kind holds)"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.RecordHold{By: by, Kind: enum(in, in.arg("KIND"), true, "KIND", domain.ParseHoldKind), Obligations: in.list("obligation"),
					Basis: in.required("basis"), Authority: in.required("authority"), Written: in.c.Bool("written"), Until: in.time("until")}
			},
		}),
		e.writer(writerSpec{
			name: "release", usage: "end a hold before its expiry (legal)", argsUsage: "INCIDENT HOLD",
			example:  `breachledger release INCIDENT H1 --reason "the agency lifted its request"`,
			incident: true,
			flags:    []cli.Flag{str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.ReleaseHold{By: by, Hold: strings.ToUpper(in.arg("HOLD")), Reason: in.required("reason")}
			},
		}),
		e.writer(writerSpec{
			name: "factors", usage: "record the structured risk factors of a personal data breach; show prints the advice they lead to", argsUsage: "INCIDENT",
			example:  `breachledger factors INCIDENT --exfiltrated --special-categories --subjects 1200 --notes "support tickets include health details"`,
			incident: true,
			flags: []cli.Flag{
				boolean("encrypted", "encrypted or hashed with a state-of-the-art algorithm"),
				boolean("key-compromised", "...and the key or secret was compromised too"),
				boolean("exfiltrated", "evidence or likelihood that data left control (copied, stolen, sent to the wrong recipient)"),
				boolean("special-categories", "GDPR Art. 9/10 data, or highly personal data (financial, credentials)"),
				boolean("vulnerable", "children, patients or other vulnerable people"),
				str("subjects", "how many people are affected"),
				str("restore-hours", "availability: hours until the data is available again (0: no loss)"),
				boolean("recipient-trusted", "the recipient is trusted (bound to confidentiality)"),
				boolean("deletion-confirmed", "...and confirmed deleting or returning the data"),
				boolean("fraud", "identity theft or fraud is possible with the data"),
				str("notes", "notes"),
			},
			build: func(in *inputs, by domain.By) domain.Command {
				f := domain.RiskFactorsRecorded{
					Encrypted: in.c.Bool("encrypted"), KeyCompromised: in.c.Bool("key-compromised"), Exfiltrated: in.c.Bool("exfiltrated"),
					SpecialCategories: in.c.Bool("special-categories"), VulnerableSubjects: in.c.Bool("vulnerable"),
					RecipientTrusted: in.c.Bool("recipient-trusted"), DeletionConfirmed: in.c.Bool("deletion-confirmed"), FraudPotential: in.c.Bool("fraud"),
					Notes: in.c.String("notes"),
				}
				if n := in.count("subjects"); n != nil {
					f.Subjects = *n
				}
				if n := in.count("restore-hours"); n != nil {
					f.RestoreHours = *n
				}
				return domain.RecordRiskFactors{By: by, RiskFactorsRecorded: f}
			},
		}),
		e.writer(writerSpec{
			name: "pack", usage: "evaluate the incident under another rule pack from now on (the history keeps the earlier pin)", argsUsage: "INCIDENT VERSION",
			example:  `breachledger pack INCIDENT 2026.1 --reason "adopt the multi-regime pack after legal review"`,
			incident: true,
			flags:    []cli.Flag{str("reason", "why")},
			build: func(in *inputs, by domain.By) domain.Command {
				return domain.PinPack{By: by, Version: in.pack("VERSION", in.arg("VERSION")), Reason: in.required("reason")}
			},
		}),
		{
			Name: "packs", Usage: "list the rule packs this binary ships, or one pack's rules with citations and [VERIFY] markers", ArgsUsage: "[VERSION]",
			Description: "Example:\n  breachledger packs 2026.1 --json",
			Flags:       []cli.Flag{boolean("json", "print JSON")},
			Action: func(c *cli.Context) error {
				in := newInputs(c, e.now())
				version := ""
				if c.NArg() > 0 {
					version = in.arg("VERSION")
				}
				if err := in.err(); err != nil {
					return err
				}
				packs := domain.Packs()
				if version != "" {
					p, ok := domain.PackByVersion(version)
					if !ok { // a word for a value this binary knows: a usage error, like --pack
						return domain.UnknownPack("VERSION", version)
					}
					packs = []domain.Pack{p}
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, packs)
				}
				for i := range packs {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					if err := projections.WritePack(e.stdout, &packs[i], packs[i].Version == domain.CurrentPack().Version); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}
