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
		e.writer(factorsCommand()),
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

// legacyFactorFlags are the yes/no flags of the first advisor
// (domain.MethodEDPB2021), each with the graded facts that record what it
// meant. They no longer record: hidden, kept only so that an old script
// gets a usage error naming the flags to use instead. The events they
// recorded keep their advice, read by the first advisor and marked as the
// old method.
func legacyFactorFlags() []struct{ flag, instead string } {
	return []struct{ flag, instead string }{
		{"encrypted", "--unintelligible yes|no"},
		{"key-compromised", "--unintelligible no"},
		{"exfiltrated", "--confidentiality known-recipients|unknown-recipients|exposed|none"},
		{"special-categories", "--data sensitive (or financial)"},
		{"vulnerable", "--dpc-adjust vulnerable-people"},
		{"subjects", "--people N"},
		{"restore-hours", "--availability none|recoverable|temporary|permanent"},
		{"recipient-trusted", "--confidentiality known-recipients"},
		{"deletion-confirmed", "--art34-exception risk-removed"},
		{"fraud", "--data financial, --intent malicious"},
	}
}

// refuseLegacyFactors fails the command, as a usage error, for each of the
// first advisor's flags given.
func refuseLegacyFactors(in *inputs) {
	for _, l := range legacyFactorFlags() {
		if in.c.IsSet(l.flag) {
			in.failf("--%s: the yes/no flags of the first advisor (%s) no longer record risk factors: record the graded facts of %s instead (here %s; every fact: %s); events recorded with the old flags keep their advice, marked as the old method",
				l.flag, domain.MethodEDPB2021, domain.CurrentAdviceMethod(), l.instead, "--"+strings.Join(gradedFactorFlags(), ", --"))
		}
	}
}

// gradedFactorFlags are the flags of the current method's graded facts.
func gradedFactorFlags() []string {
	return []string{"data", "dpc-adjust", "identification", "confidentiality", "integrity", "availability", "intent", "unintelligible", "people", "exposure-days", "art34-exception"}
}

// factorsCommand records the graded facts the risk advisor reads under the
// current method (domain.MethodENISA2013v1). Every fact is a value, with
// unknown read as its worst level; a fact left out is not recorded, and
// show then says the advisor cannot advise until it is.
func factorsCommand() writerSpec {
	hidden := func(name, usage string) cli.Flag {
		return &cli.BoolFlag{Name: name, Usage: usage + " (first advisor " + domain.MethodEDPB2021 + "; no longer records: a usage error naming the graded facts instead)", Hidden: true}
	}
	return writerSpec{
		name: "factors", usage: "record the graded facts of a personal data breach (ENISA severity method " + domain.CurrentAdviceMethod() + "); show prints the advice with its arithmetic", argsUsage: "INCIDENT",
		example: lines(`breachledger factors INCIDENT --data financial --data simple --identification maximum --confidentiality unknown-recipients --integrity none --availability none --intent malicious --unintelligible no --people 3200 --exposure-days 2 --notes "IBANs and balances read through the API"`,
			`breachledger factors INCIDENT --data sensitive --dpc-adjust reveals-less=-3 ...   # "had general blood tests": sensitive data revealing little (DPC 1)`,
			`breachledger factors INCIDENT ... --art34-exception disproportionate --notes "no contact details: public notice on the website"`),
		incident: true,
		flags: []cli.Flag{
			strs("data", "a kind of data (repeatable; the highest counts): simple (name, contact details, biographical data, education, family life, professional experience: 1), "+
				"behavioural (location, traffic data, preferences and habits: 2), financial (income, transactions, balances, bank statements, credit cards, invoices, investments, social welfare: 3), "+
				"sensitive (health, political affiliation, religious beliefs, sexual life, the other special categories: 4), unknown (read as sensitive); credentials: the kind of what they open"),
			strs("dpc-adjust", "`REASON[=+N|-N]` (repeatable, N 1-3, default 1) a contextual adjustment of the data score, kept within 1-4: raising: more-data (a year of call records, not a week), "+
				"controller-nature (an online pharmacy's customers imply health; a luxury retailer's, wealth), vulnerable-people (minors, protected witnesses, victims of abuse); "+
				"lowering: invalid-data (cards expired long ago), public-data (already publicly available), reveals-less (a generic health certificate, not a diagnosis)"),
			str("identification", "ease of identification from the data alone or with data the recipients can reasonably get: negligible (0.25), limited (0.5), significant (0.75), maximum (1), unknown (read as maximum)"),
			str("confidentiality", "loss of confidentiality: none, exposed (to confidentiality risks without evidence of unlawful processing: 0), known-recipients (disclosed to a number of known recipients: +0.25), unknown-recipients (to an unknown number: +0.5), unknown (read as unknown-recipients)"),
			str("integrity", "loss of integrity: none, recoverable (altered, possibly used wrongly, recoverable: 0), not-recoverable (+0.25), harmful-use (altered and used in a way that harms the person: +0.5), unknown (read as harmful-use)"),
			str("availability", "loss of availability: none, recoverable (without difficulty: 0), temporary (+0.25), permanent (cannot be recovered from the controller or the people: +0.5), unknown (read as permanent)"),
			str("intent", "malicious (an intentional act to cause harm: theft, hacking, selling data: +0.5), non-malicious (error, loss, misconfiguration: 0), unknown (read as malicious)"),
			str("unintelligible", "yes (encrypted or hashed with a state-of-the-art algorithm, key or secret not compromised: removes the confidentiality element), no, unknown (read as no)"),
			str("people", fmt.Sprintf("how many people are affected, or unknown; %d or more (or unknown) raises the band one step (project rule)", domain.VolumeRaise)),
			str("exposure-days", fmt.Sprintf("how many days the data stayed exposed (0 if none), or unknown; %d or more (or unknown) raises the band one step (project rule)", domain.ExposureRaiseDays)),
			str("art34-exception", "a GDPR Art. 34(3) exception that holds: risk-removed ((b) measures taken since make the high risk no longer likely), disproportionate ((c) then a public communication instead)"),
			str("notes", "notes"),
			hidden("encrypted", "encrypted or hashed"), hidden("key-compromised", "the key was compromised too"), hidden("exfiltrated", "data left control"),
			hidden("special-categories", "special categories"), hidden("vulnerable", "vulnerable people"),
			&cli.StringFlag{Name: "subjects", Hidden: true, Usage: "people affected (first advisor; no longer records: use --people)"},
			&cli.StringFlag{Name: "restore-hours", Hidden: true, Usage: "hours to restore (first advisor; no longer records: use --availability)"},
			hidden("recipient-trusted", "trusted recipient"), hidden("deletion-confirmed", "deletion confirmed"), hidden("fraud", "fraud possible"),
		},
		build: func(in *inputs, by domain.By) domain.Command {
			refuseLegacyFactors(in)
			f := domain.RiskFactorsRecorded{
				Method:          domain.CurrentAdviceMethod(),
				Data:            enums(in, in.list("data"), "--data", domain.ParseDataCategory),
				Identification:  enum(in, in.c.String("identification"), false, "--identification", domain.ParseIdentification),
				Confidentiality: enum(in, in.c.String("confidentiality"), false, "--confidentiality", domain.ParseConfidentiality),
				Integrity:       enum(in, in.c.String("integrity"), false, "--integrity", domain.ParseIntegrity),
				Availability:    enum(in, in.c.String("availability"), false, "--availability", domain.ParseAvailability),
				Intent:          enum(in, in.c.String("intent"), false, "--intent", domain.ParseIntent),
				Unintelligible:  enum(in, in.c.String("unintelligible"), false, "--unintelligible", domain.ParseUnintelligibility),
				Art34Exception:  enum(in, in.c.String("art34-exception"), false, "--art34-exception", domain.ParseArt34FactorException),
				Notes:           in.c.String("notes"),
			}
			for _, s := range in.list("dpc-adjust") {
				a, err := domain.ParseDPCAdjustment(s)
				if err != nil {
					in.fail(asFlag(err, "--dpc-adjust"))
					continue
				}
				f.DPCAdjustments = append(f.DPCAdjustments, a)
			}
			for _, c := range []struct {
				flag string
				to   *string
			}{{"people", &f.People}, {"exposure-days", &f.ExposureDays}} {
				if v := in.c.String(c.flag); in.c.IsSet(c.flag) {
					n, err := domain.ParseCountOrUnknown("--"+c.flag, v)
					if err != nil {
						in.fail(err)
					}
					*c.to = n
				}
			}
			return domain.RecordRiskFactors{By: by, RiskFactorsRecorded: f}
		},
	}
}
