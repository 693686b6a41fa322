package readmodel_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/projections"
	"github.com/breachledger/breachledger/projections/readmodel"
)

// art33A is A's GDPR Art. 33 notice to the authority, worked by hand:
// awareness corrected to 2025-03-07T22:15Z, plus 72 hours; at 2025-03-11
// it is overdue (the notice is recorded only later, by steps[17]).
const art33A = `"due_at":"2025-03-10T22:15:00Z"`

// The insider's attacks on the kept file: editing, deleting or inserting a
// kept row, or moving rm_meta's position, never silences the alarm: the
// overdue row is still answered (the views are rebuilt from the log) and
// Tampered names what was changed.
func TestTamperedRowsNeverSilenceTheAlarm(t *testing.T) {
	ctx := context.Background()
	asOf := at("2025-03-11T00:00:00Z")
	overdue := projections.DeadlineFilter{Overdue: true}
	tests := []struct {
		name   string
		before int // steps folded before the attack (the rest after it)
		attack func(t *testing.T, db *sql.DB, st eventstore.Store)
		table  string // what Tampered must name
		row    string // and a word of the row it names
	}{
		{name: "status and state edited", before: 17, table: "rm_deadlines", row: `"A"`, attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			editKept(t, db, "rm_deadlines", art33Of("A", func(v map[string]any) {
				v["status"], v["state"], v["row"] = "met", int64(1), bytes.Replace(v["row"].([]byte), []byte(`"status":"overdue"`), []byte(`"status":"met"`), 1)
			}))
		}},
		{name: "due_at moved a week on", before: 17, table: "rm_deadlines", row: `"A"`, attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			editKept(t, db, "rm_deadlines", art33Of("A", func(v map[string]any) { v["due_at"] = v["due_at"].(int64) + 7*86400*1000000000 }))
		}},
		{name: "overdue row deleted", before: 17, table: "rm_deadlines", row: `"A"`, attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			exec(t, db, `DELETE FROM rm_deadlines WHERE rowid = ?`, keptRowid(t, db, "A", "gdpr-art33"))
		}},
		{name: "every open row deleted", before: 17, table: "rm_deadlines", attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			exec(t, db, `DELETE FROM rm_deadlines WHERE state = 0`)
		}},
		{name: "overdue row replaced by a fake met row with its MAC", before: 17, table: "rm_deadlines", row: `"A"`, attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			editKept(t, db, "rm_deadlines", art33Of("A", func(v map[string]any) { v["state"], v["status"], v["due_at"] = int64(1), "met", int64(0) }))
		}},
		{name: "fake met row inserted", before: 17, table: "rm_deadlines", row: `"Z"`, attack: func(t *testing.T, db *sql.DB, _ eventstore.Store) {
			exec(t, db, `INSERT INTO rm_deadlines (incident, ord, state, regime, due_at, data, next, mac)
SELECT 'Z', ord, 0, regime, due_at, data, next, mac FROM rm_deadlines WHERE rowid = ?`, keptRowid(t, db, "A", "gdpr-art33"))
		}},
		{name: "rm_meta position moved to the head past the declaration", before: 14, table: "rm_meta", attack: func(t *testing.T, db *sql.DB, st eventstore.Store) {
			head, err := st.Head(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			last, err := st.ReadAll(context.Background(), head-1, 1)
			if err != nil || len(last) != 1 {
				t.Fatal(err)
			}
			exec(t, db, `UPDATE rm_meta SET value = ? WHERE key = 'position'`, head)
			exec(t, db, `UPDATE rm_meta SET value = ? WHERE key = 'last_event'`, last[0].ID.String())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			all := steps(f)[:17]
			for _, step := range all[:tt.before] {
				step()
			}
			path := filepath.Join(t.TempDir(), "views.db")
			k := openKept(t, f.st, path)
			if _, err := k.CatchUp(ctx, asOf); err != nil {
				t.Fatal(err)
			}
			if tt.before == len(all) {
				p, err := k.Deadlines(ctx, asOf, overdue, readmodel.Page{}, true)
				if err != nil || !p.Alert || len(p.Deadlines) != 1 || !bytes.Contains(p.Deadlines[0], []byte(art33A)) {
					t.Fatalf("before the attack: %s, alert %v, %v", p.Deadlines, p.Alert, err)
				}
			}
			k.Close()
			for _, step := range all[tt.before:] {
				step()
			}
			db := rawDB(t, path)
			tt.attack(t, db, f.st)

			k = openKept(t, f.st, path) // as the next reader would
			if _, err := k.CatchUp(ctx, asOf); err != nil {
				t.Fatal(err)
			}
			p, err := k.Deadlines(ctx, asOf, overdue, readmodel.Page{}, true)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Alert || len(p.Deadlines) != 1 || !bytes.Contains(p.Deadlines[0], []byte(art33A)) || !bytes.Contains(p.Deadlines[0], []byte(`"status":"overdue"`)) {
				t.Errorf("after the attack: %s, alert %v; want A's Art. 33 notice overdue, alert", p.Deadlines, p.Alert)
			}
			found := k.Tampered()
			if len(found) == 0 {
				t.Fatalf("Tampered() is empty")
			}
			if e := found[0]; e.Table != tt.table || !strings.Contains(strings.Join(e.Rows, " "), tt.row) || !errors.Is(e, readmodel.ErrTampered) {
				t.Errorf("Tampered()[0] = %v; want table %s, a row naming %s", e, tt.table, tt.row)
			}
			// Rebuilt: the next read finds nothing more.
			if _, err := k.Deadlines(ctx, asOf, overdue, readmodel.Page{}, true); err != nil {
				t.Fatal(err)
			}
			if again := k.Tampered(); len(again) != 0 {
				t.Errorf("after the rebuild, Tampered() = %v", again)
			}
		})
	}
}

// The incident list, the whole deadline view and the facts needed answer
// from checked rows too: an incident deleted from rm_incidents or marked
// closed, the facts needed deleted, the deadlines' head row deleted, an
// overdue row's JSON said met, are found, and the answers stay the log's.
func TestTamperedIncidentsAreFound(t *testing.T) {
	ctx := context.Background()
	asOf := at("2025-03-11T00:00:00Z")
	for _, attack := range []string{
		`DELETE FROM rm_incidents WHERE incident = 'A'`,
		`UPDATE rm_incidents SET closed = 1 WHERE incident = 'A'`,
		`DELETE FROM rm_facts_needed`,
		`DELETE FROM rm_deadlines WHERE incident = ''`, // the head row: a whole read starts from it
		`UPDATE rm_deadlines SET data = CAST(replace(CAST(data AS TEXT), '"status":"overdue"', '"status":"met"') AS BLOB) WHERE instr(data, CAST('"status":"overdue"' AS BLOB)) > 0`,
	} {
		t.Run(attack, func(t *testing.T) {
			f := newFixture(t)
			for _, step := range steps(f)[:17] {
				step()
			}
			path := filepath.Join(t.TempDir(), "views.db")
			k := openKept(t, f.st, path)
			if _, err := k.CatchUp(ctx, asOf); err != nil {
				t.Fatal(err)
			}
			want, err := k.List(ctx, asOf, true, readmodel.Page{}, false)
			if err != nil {
				t.Fatal(err)
			}
			wantD, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, readmodel.Page{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Incidents) != 2 { // A and C open; B closed
				t.Fatalf("open incidents before: %d, want 2", len(want.Incidents))
			}
			exec(t, rawDB(t, path), attack)
			got, err := k.List(ctx, asOf, true, readmodel.Page{}, false)
			if err != nil {
				t.Fatal(err)
			}
			gotD, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, readmodel.Page{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Incidents) != 2 || len(gotD.Deadlines) != len(wantD.Deadlines) || len(gotD.FactsNeeded) != len(wantD.FactsNeeded) {
				t.Errorf("after %s: %d open incidents, %d deadlines, %d facts needed; want 2, %d, %d", attack, len(got.Incidents), len(gotD.Deadlines), len(gotD.FactsNeeded), len(wantD.Deadlines), len(wantD.FactsNeeded))
			}
			if found := k.Tampered(); len(found) == 0 {
				t.Errorf("after %s: Tampered() is empty", attack)
			}
		})
	}
}

// The MAC key's trust rule: made 0600 on first use in the configuration
// directory; a key file others may read is replaced (the views are then
// rebuilt, and that is no tampering); a directory others may write is no
// place for it (ErrNoKey).
func TestKeyTrustRule(t *testing.T) {
	ctx := context.Background()
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	f := newFixture(t)
	for _, step := range steps(f)[:5] {
		step()
	}
	path := filepath.Join(t.TempDir(), "views.db")
	k := openKept(t, f.st, path)
	if _, err := k.CatchUp(ctx, at("2025-03-11T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	k.Close()
	keyPath := filepath.Join(config, "breachledger", readmodel.KeyFile)
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	old, _ := os.ReadFile(keyPath)
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	k = openKept(t, f.st, path)
	if p := k.Position(); p != 0 {
		t.Errorf("position under a replaced key = %d, want 0 (rebuilt)", p)
	}
	if found := k.Tampered(); len(found) != 0 {
		t.Errorf("a replaced key is reported as tampering: %v", found)
	}
	k.Close()
	if b, _ := os.ReadFile(keyPath); bytes.Equal(b, old) {
		t.Errorf("a key others could read was kept")
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced key mode %04o, want 0600", fi.Mode().Perm())
	}
	if err := os.Chmod(filepath.Join(config, "breachledger"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := readmodel.Open(ctx, f.st, path); !errors.Is(err, readmodel.ErrNoKey) {
		t.Errorf("Open with a world-writable key directory: %v, want ErrNoKey", err)
	}
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", q)
	}
}

// The MAC covers each row's packed values (data) as kept, the JSON in
// them, and the register entry (kept apart, so a list read does not pull
// it) by its SHA-256 in data: a JSON edited (well packed again, as an
// insider who knows the packing would), the register edited with or
// without its digest made to match, the digest replaced, or the register
// removed, are each found by the read of the view that reads it, and
// every view answers as before.
func TestTamperedPackedRowsAreFound(t *testing.T) {
	ctx := context.Background()
	asOf := at("2025-03-11T00:00:00Z")
	// edit replaces old by new in a JSON value of the rows where matches,
	// and with digest also packs the register's matching SHA-256.
	edit := func(table, col, where, old, new string, digest bool) func(t *testing.T, db *sql.DB) {
		return func(t *testing.T, db *sql.DB) {
			editKept(t, db, table, func(v map[string]any) bool {
				b, _ := v[col].([]byte)
				e := bytes.Replace(b, []byte(old), []byte(new), 1)
				if bytes.Equal(e, b) {
					return false
				}
				v[col] = e
				if digest {
					sum := sha256.Sum256(e)
					v["register_sha"] = sum[:]
				}
				return true
			}, where)
		}
	}
	overdueA := `incident = 'A' AND state = 0 AND instr(data, CAST('"status":"overdue"' AS BLOB)) > 0`
	tests := []struct {
		name   string
		attack func(t *testing.T, db *sql.DB)
		table  string
	}{
		{"deadline JSON said met, well packed", edit("rm_deadlines", "row", overdueA, `"status":"overdue"`, `"status":"met"`, false), "rm_deadlines"},
		{"deadline status and JSON said pending, well packed", func(t *testing.T, db *sql.DB) {
			editKept(t, db, "rm_deadlines", func(v map[string]any) bool {
				v["status"], v["row"] = "pending", bytes.Replace(v["row"].([]byte), []byte(`"status":"overdue"`), []byte(`"status":"pending"`), 1)
				return true
			}, overdueA)
		}, "rm_deadlines"},
		{"list JSON edited, well packed", edit("rm_incidents", "list", `incident = 'A'`, `"bulk read"`, `"a drill"`, false), "rm_incidents"},
		{"register JSON edited, its digest left", edit("rm_incidents", "register", `incident = 'A'`, `"bulk read"`, `"a drill"`, false), "rm_incidents"},
		{"register JSON edited, its digest made to match", edit("rm_incidents", "register", `incident = 'A'`, `"bulk read"`, `"a drill"`, true), "rm_incidents"},
		{"register digest replaced alone", func(t *testing.T, db *sql.DB) {
			editKept(t, db, "rm_incidents", func(v map[string]any) bool { v["register_sha"] = make([]byte, 32); return true }, `incident = 'A'`)
		}, "rm_incidents"},
		{"register removed", func(t *testing.T, db *sql.DB) {
			exec(t, db, `UPDATE rm_incidents SET register = NULL WHERE incident = 'A'`)
		}, "rm_incidents"},
		{"register removed with its digest", func(t *testing.T, db *sql.DB) {
			editKept(t, db, "rm_incidents", func(v map[string]any) bool { v["register"], v["register_sha"] = nil, nil; return true }, `incident = 'A'`)
		}, "rm_incidents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for _, step := range steps(f)[:17] {
				step()
			}
			path := filepath.Join(t.TempDir(), "views.db")
			k := openKept(t, f.st, path)
			if _, err := k.CatchUp(ctx, asOf); err != nil {
				t.Fatal(err)
			}
			read := func() string {
				var out []string
				for _, open := range []bool{true, false} {
					l, err := k.List(ctx, asOf, open, readmodel.Page{}, false)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, fmt.Sprintf("list %v: %s", open, l.Incidents))
				}
				r, err := k.Register(ctx, asOf, readmodel.Page{}, false)
				if err != nil {
					t.Fatal(err)
				}
				d, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{}, readmodel.Page{}, false)
				if err != nil {
					t.Fatal(err)
				}
				o, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{Overdue: true}, readmodel.Page{}, false)
				if err != nil {
					t.Fatal(err)
				}
				return strings.Join(append(out, fmt.Sprintf("register: %s", r.Entries), fmt.Sprintf("deadlines: %s %s", d.Deadlines, d.FactsNeeded), fmt.Sprintf("overdue: %s", o.Deadlines)), "\n")
			}
			want := read()
			if found := k.Tampered(); len(found) != 0 {
				t.Fatalf("before the attack, Tampered() = %v", found)
			}
			tt.attack(t, rawDB(t, path))
			if got := read(); got != want {
				t.Errorf("after the attack:\n%s\nwant\n%s", got, want)
			}
			found := k.Tampered()
			if len(found) == 0 {
				t.Fatalf("Tampered() is empty")
			}
			if e := found[0]; e.Table != tt.table || !errors.Is(e, readmodel.ErrTampered) {
				t.Errorf("Tampered()[0] = %v; want table %s", e, tt.table)
			}
		})
	}
}

// A catch-up seals again the rows before those it writes (their successor
// changed): one edited by an insider is found there, not sealed over. The
// deadlines' head row (the row before A's, which the rest of the log
// rewrites) is edited, then the rest of the log folded: the catch-up
// itself finds the edit (and rebuilds), and the view is the log's.
func TestSealingFindsTamperedNeighbours(t *testing.T) {
	ctx := context.Background()
	asOf := at("2025-03-11T00:00:00Z")
	f := newFixture(t)
	all := steps(f)[:17]
	for _, step := range all[:12] {
		step()
	}
	path := filepath.Join(t.TempDir(), "views.db")
	k := openKept(t, f.st, path)
	if _, err := k.CatchUp(ctx, asOf); err != nil {
		t.Fatal(err)
	}
	k.Close()
	for _, step := range all[12:] {
		step()
	}
	editKept(t, rawDB(t, path), "rm_deadlines", func(v map[string]any) bool {
		v["obligation"] = "edited"
		return v["incident"] == ""
	})
	k = openKept(t, f.st, path)
	p, err := k.CatchUp(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	found := k.Tampered()
	if len(found) == 0 || !p.Rebuilt {
		t.Fatalf("the catch-up after the edit: rebuilt %v, Tampered() = %v; want the edit found and the views rebuilt", p.Rebuilt, found)
	}
	if e := found[0]; e.Table != "rm_deadlines" || !strings.Contains(e.Why, "sealing") {
		t.Errorf("Tampered()[0] = %v; want an rm_deadlines row found sealing its successor", e)
	}
	d, err := k.Deadlines(ctx, asOf, projections.DeadlineFilter{Overdue: true}, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Deadlines) != 1 || !bytes.Contains(d.Deadlines[0], []byte(art33A)) {
		t.Errorf("after the catch-up: %s; want A's Art. 33 notice overdue", d.Deadlines)
	}
}

// editKept rewrites the kept rows of table matched by where (SQL on its
// stored columns; every row by default) for which edit returns true,
// through readmodel.EditKept (packed again, next and mac left); at least
// one row must change.
func editKept(t *testing.T, db *sql.DB, table string, edit func(v map[string]any) bool, where ...string) {
	t.Helper()
	w := "1"
	if len(where) > 0 {
		w = where[0]
	}
	n, err := readmodel.EditKept(db, table, w, edit)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s where %s: no row changed", table, w)
	}
}

// art33Of is an edit of incident's row of obligation gdpr-art33 alone.
func art33Of(incident string, f func(v map[string]any)) func(v map[string]any) bool {
	return func(v map[string]any) bool {
		if v["incident"] != incident || v["obligation"] != "gdpr-art33" {
			return false
		}
		f(v)
		return true
	}
}

// keptRowid returns the rowid of incident's kept deadline row of an
// obligation.
func keptRowid(t *testing.T, db *sql.DB, incident, obligation string) int64 {
	t.Helper()
	rows, err := readmodel.ReadKept(db, "rm_deadlines", "incident = ?", incident)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rows {
		if v["obligation"] == obligation {
			return v["rowid"].(int64)
		}
	}
	t.Fatalf("no kept row of %s %s", incident, obligation)
	return 0
}

// A view filtered by regime reads only its regimes' facts needed, and
// proves that range whole: every GDPR fact needed deleted from the file is
// not read by a HIPAA view (whose answer stays the same), and is found by
// a GDPR one, whose answer stays the log's. Before facts needed were
// chained by regime, every view read them all.
func TestFactsNeededReadByRegime(t *testing.T) {
	ctx := context.Background()
	asOf := at("2025-03-11T00:00:00Z")
	f := newFixture(t)
	for _, step := range steps(f)[:17] {
		step()
	}
	path := filepath.Join(t.TempDir(), "views.db")
	k := openKept(t, f.st, path)
	if _, err := k.CatchUp(ctx, asOf); err != nil {
		t.Fatal(err)
	}
	gdpr := projections.DeadlineFilter{Regimes: []string{"GDPR"}}
	hipaa := projections.DeadlineFilter{Regimes: []string{"HIPAA"}}
	wantG, err := k.Deadlines(ctx, asOf, gdpr, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	wantH, err := k.Deadlines(ctx, asOf, hipaa, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantG.FactsNeeded) == 0 {
		t.Fatal("the fixture has no GDPR fact needed")
	}
	exec(t, rawDB(t, path), `DELETE FROM rm_facts_needed WHERE regime = 'GDPR'`)

	gotH, err := k.Deadlines(ctx, asOf, hipaa, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if found := k.Tampered(); len(found) != 0 {
		t.Errorf("a HIPAA view read the GDPR facts needed: Tampered() = %v", found)
	}
	if got, want := len(gotH.FactsNeeded), len(wantH.FactsNeeded); got != want {
		t.Errorf("HIPAA view: %d facts needed, want %d", got, want)
	}
	gotG, err := k.Deadlines(ctx, asOf, gdpr, readmodel.Page{}, false)
	if err != nil {
		t.Fatal(err)
	}
	found := k.Tampered()
	if len(found) == 0 || found[0].Table != "rm_facts_needed" {
		t.Fatalf("the GDPR facts needed deleted were not found: Tampered() = %v", found)
	}
	if got, want := len(gotG.FactsNeeded), len(wantG.FactsNeeded); got != want {
		t.Errorf("GDPR view after the attack: %d facts needed, want the log's %d", got, want)
	}
}
