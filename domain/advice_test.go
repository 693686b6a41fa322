package domain_test

import (
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// The advisor against worked cases that supervisory authorities published:
// EDPB Guidelines 01/2021 on Examples regarding Personal Data Breach
// Notification (v2.0, adopted 14 December 2021). Each case's factors are
// the ones the guidelines describe; want is the guidelines' conclusion on
// notifying the supervisory authority and the data subjects.
func TestAdviceFromEDPBCases(t *testing.T) {
	tests := []struct {
		source  string
		factors domain.RiskFactorsRecorded
		want    domain.Outcome
		reason  string // a reason must mention this
	}{
		{
			source:  "EDPB 01/2021 Case No. 01: ransomware with proper backup and without exfiltration; restored within hours; SA: no, data subjects: no",
			factors: domain.RiskFactorsRecorded{RestoreHours: 5, Subjects: 1500},
			want:    domain.OutcomeDocument, reason: "Case No. 01",
		},
		{
			source:  "EDPB 01/2021 Case No. 03: ransomware with backup and without exfiltration in a hospital; patients' data unavailable for days, care delayed; SA: yes, data subjects: yes",
			factors: domain.RiskFactorsRecorded{RestoreHours: 48, SpecialCategories: true, VulnerableSubjects: true, Subjects: 3000},
			want:    domain.OutcomeSubjects, reason: "Case No. 03",
		},
		{
			source:  "EDPB 01/2021 Case No. 06: exfiltration of hashed passwords (state-of-the-art salted hashing, secret not compromised); SA: no, data subjects: no",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, Encrypted: true, Subjects: 1200},
			want:    domain.OutcomeDocument, reason: "Art. 34(3)(a)",
		},
		{
			source:  "EDPB 01/2021 Case No. 07: credential stuffing attack on a banking website; account and financial data; SA: yes, data subjects: yes",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, FraudPotential: true, SpecialCategories: true, Subjects: 2000},
			want:    domain.OutcomeSubjects, reason: "identity theft or fraud",
		},
		{
			source:  "EDPB 01/2021 Case No. 09: accidental transmission of data to a trusted third party, who confirmed deleting it; SA: no, data subjects: no",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, RecipientTrusted: true, DeletionConfirmed: true, Subjects: 15},
			want:    domain.OutcomeDocument, reason: "Case No. 09",
		},
		{
			source:  "EDPB 01/2021 Case No. 11: stolen devices storing encrypted personal data, key not compromised, backup available; SA: no, data subjects: no",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, Encrypted: true, Subjects: 5000},
			want:    domain.OutcomeDocument, reason: "unintelligible",
		},
		{
			source:  "EDPB 01/2021 Case No. 12: stolen paper files with sensitive data (a rehabilitation centre); SA: yes, data subjects: yes",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, SpecialCategories: true, VulnerableSubjects: true, Subjects: 40},
			want:    domain.OutcomeSubjects, reason: "special categories",
		},
		{
			source:  "EDPB 01/2021 Case No. 14: highly confidential personal data sent by mail by mistake; SA: yes, data subjects: yes",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, SpecialCategories: true, Subjects: 1},
			want:    domain.OutcomeSubjects, reason: "high risk",
		},
		{
			source:  "EDPB 01/2021 Case No. 16: a snail-mail mistake (an insurance policy sent to the wrong person), no sensitive data; SA: yes, data subjects: no",
			factors: domain.RiskFactorsRecorded{Exfiltrated: true, Subjects: 1},
			want:    domain.OutcomeAuthority, reason: "Case No. 16",
		},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			a := domain.Advise(tt.factors)
			if a.Outcome != tt.want {
				t.Errorf("outcome = %s, want %s; reasons:\n  %s", a.Outcome, tt.want, strings.Join(a.Reasons, "\n  "))
			}
			if a.Level != tt.want.Level() {
				t.Errorf("level = %s, want %s", a.Level, tt.want.Level())
			}
			if !strings.Contains(strings.Join(a.Reasons, "\n"), tt.reason) {
				t.Errorf("no reason mentions %q:\n  %s", tt.reason, strings.Join(a.Reasons, "\n  "))
			}
		})
	}
}

// One factor flips the outcome, tested both ways: the key of encrypted
// stolen data (EDPB 01/2021 Case No. 11: "unless the key is compromised"),
// the recipient's confirmed deletion (Case No. 09), the hours to restore
// (Cases No. 01 and 02) and vulnerable subjects (Case No. 03).
func TestAdviceFlipsOnOneFactor(t *testing.T) {
	tests := []struct {
		name     string
		base     domain.RiskFactorsRecorded
		flip     func(*domain.RiskFactorsRecorded)
		from, to domain.Outcome
	}{
		{"encryption key found compromised (Case No. 11)",
			domain.RiskFactorsRecorded{Exfiltrated: true, Encrypted: true, Subjects: 5000},
			func(f *domain.RiskFactorsRecorded) { f.KeyCompromised = true },
			domain.OutcomeDocument, domain.OutcomeAuthority},
		{"encryption key found compromised, health data (Cases No. 11 and 12)",
			domain.RiskFactorsRecorded{Exfiltrated: true, Encrypted: true, SpecialCategories: true, Subjects: 5000},
			func(f *domain.RiskFactorsRecorded) { f.KeyCompromised = true },
			domain.OutcomeDocument, domain.OutcomeSubjects},
		{"the trusted recipient's deletion not confirmed (Case No. 09)",
			domain.RiskFactorsRecorded{Exfiltrated: true, RecipientTrusted: true, DeletionConfirmed: true},
			func(f *domain.RiskFactorsRecorded) { f.DeletionConfirmed = false },
			domain.OutcomeDocument, domain.OutcomeAuthority},
		{"restore takes days, not hours (Cases No. 01 and 02)",
			domain.RiskFactorsRecorded{RestoreHours: 6},
			func(f *domain.RiskFactorsRecorded) { f.RestoreHours = 120 },
			domain.OutcomeDocument, domain.OutcomeAuthority},
		{"the unavailable data is patients' (Case No. 03)",
			domain.RiskFactorsRecorded{RestoreHours: 48},
			func(f *domain.RiskFactorsRecorded) { f.VulnerableSubjects = true },
			domain.OutcomeAuthority, domain.OutcomeSubjects},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flipped := tt.base
			tt.flip(&flipped)
			if got := domain.Advise(tt.base).Outcome; got != tt.from {
				t.Errorf("before: %s, want %s", got, tt.from)
			}
			if got := domain.Advise(flipped).Outcome; got != tt.to {
				t.Errorf("after: %s, want %s", got, tt.to)
			}
			// and back: undoing the flip restores the first outcome
			if got := domain.Advise(tt.base).Outcome; got != tt.from {
				t.Errorf("back: %s, want %s", got, tt.from)
			}
		})
	}
}

// The advice never decides: the determination is a person's event, and the
// incident says where it differs from the advice.
func TestAdviceDiffersFromTheDecision(t *testing.T) {
	h := newHistory(t)
	h.breach() // risk determined high
	if a, ok := domain.AdviceFor(ptr(h.at(domain.Cut{}))); !ok || a.Outcome != domain.OutcomeCannotAdvise || a.Differs != "" {
		t.Fatalf("advice without recorded factors: %v %s differs %q; want cannot-advise, and no difference claimed", ok, a.Outcome, a.Differs)
	}
	if n, ok := domain.AdviceNeeded(ptr(h.at(domain.Cut{}))); !ok || !strings.Contains(n.Command, "--data ... --identification ...") {
		t.Errorf("facts needed for the advice: %v %+v", ok, n)
	}
	if _, err := h.decide(domain.RecordRiskFactors{By: by("sam", "2025-03-09T12:00:00Z"), RiskFactorsRecorded: domain.RiskFactorsRecorded{Exfiltrated: true, Encrypted: true, Subjects: 1200}}); err != nil {
		t.Fatal(err)
	}
	inc := h.at(domain.Cut{})
	a, ok := domain.AdviceFor(&inc)
	if !ok || a.Outcome != domain.OutcomeDocument || !strings.Contains(a.Differs, `"high"`) {
		t.Errorf("advice %s, differs %q; want document-only, differing from the high determination", a.Outcome, a.Differs)
	}
	if inc.Risk.Level != domain.RiskHigh {
		t.Errorf("the advice changed the determination to %s", inc.Risk.Level)
	}
	h.add("ivy", "2025-03-09T13:00:00Z", domain.RiskDetermined{Level: domain.RiskUnlikely, Reasoning: "encrypted, key safe"})
	inc = h.at(domain.Cut{})
	if a, _ := domain.AdviceFor(&inc); a.Differs != "" {
		t.Errorf("differs %q after a determination that follows the advice", a.Differs)
	}
}

func ptr(inc domain.Incident) *domain.Incident { return &inc }
