package projections_test

import (
	"strings"
	"testing"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/projections"
)

// An incident whose factors were recorded under the first advisor keeps
// that advice; the current method's reading beside it asks for the graded
// facts; a closed incident is not re-advised.
func TestCompareMethod(t *testing.T) {
	inc := domain.Incident{ID: "INC1", Exists: true, Detection: &domain.Detection{IncidentDetected: domain.IncidentDetected{Role: domain.RoleController}}}
	inc.Regulatory.RiskFactors = &domain.RiskFactorsEntry{RiskFactorsRecorded: domain.RiskFactorsRecorded{Exfiltrated: true, Subjects: 1, Notes: "<b>x</b>"}}
	a, ok := domain.AdviceFor(&inc)
	if !ok || a.Method != domain.MethodEDPB2021 {
		t.Fatalf("pinned advice %v %+v", ok, a)
	}
	v := projections.IncidentView{Incident: inc, RiskAdvice: &a}
	var b strings.Builder
	if err := projections.WriteCompareMethod(&b, v); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"Under the current method, beside the pinned edpb-2021:", "Risk advice (enisa-2013.1): cannot-advise", "breachledger factors INC1 --data ..."} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	v.Closed = true
	b.Reset()
	if err := projections.WriteCompareMethod(&b, v); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "not re-advised, the incident is closed") || strings.Contains(got, "cannot-advise") {
		t.Errorf("closed incident re-advised:\n%s", got)
	}
	cur := domain.AdviseENISA(domain.RiskFactorsRecorded{Method: domain.CurrentAdviceMethod()}, domain.AdviceContext{})
	v = projections.IncidentView{Incident: inc, RiskAdvice: &cur}
	b.Reset()
	if err := projections.WriteCompareMethod(&b, v); err != nil || b.Len() != 0 {
		t.Errorf("a comparison under the current method itself: %q %v", b.String(), err)
	}
}
