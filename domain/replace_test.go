package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/breachledger/breachledger/domain"
)

// TestReplaceForms: the Replace form of the editing commands records
// exactly the lists given, whatever was recorded before, and takes no
// Remove lists beside them.
func TestReplaceForms(t *testing.T) {
	h := newHistory(t)
	h.breach() // scope: contoso, fabrikam; 1200 subjects
	s := h.state()
	at := by("sam", "2025-03-10T00:00:00Z")
	tests := []struct {
		name    string
		cmd     domain.Command
		want    domain.Event
		wantErr error
	}{
		{"scope", domain.RecordScope{By: at, Replace: true, AddCustomers: []string{"northwind", "contoso"}, AddJurisdictions: []string{"de"}, Subjects: i64(7), Records: i64(0)},
			domain.ScopeRecorded{Customers: []string{"northwind", "contoso"}, DataCategories: []string{}, SubjectCategories: []string{}, Jurisdictions: []string{"DE"}, Subjects: 7}, nil},
		{"scope with a removal beside replace", domain.RecordScope{By: at, Replace: true, AddCustomers: []string{"x"}, RemoveCustomers: []string{"contoso"}}, nil, domain.ErrInvalid},
		{"profile", domain.RecordProfile{By: by("ivy", "2025-03-10T00:00:00Z"), Replace: true, AddEstablishments: []string{"ie"}},
			domain.EntityProfiled{Establishments: []string{"IE"}, Sectors: []string{}, EntityTypes: []domain.EntityType{}, Controllers: []string{}}, nil},
		{"affected", domain.RecordAffected{By: at, Replace: true, Set: []domain.AffectedCount{{Jurisdiction: "fr", Count: 2}}},
			domain.AffectedRecorded{Counts: []domain.AffectedCount{{Jurisdiction: "FR", Count: 2}}}, nil},
		{"affected with a removal beside replace", domain.RecordAffected{By: at, Replace: true, Remove: []string{"FR"}}, nil, domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.Decide(s, tt.cmd, at.At)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decide = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("Decide = %#v\nwant [%#v]", got, tt.want)
			}
		})
	}
}

func i64(n int64) *int64 { return &n }
