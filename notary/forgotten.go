package notary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// redecideForgotten is domain.Redecide for an append some of whose sealed
// values were forgotten (their keys destroyed by a DataShredded) before
// the notary judged it: forgotten[i] are the paths of event i's forgotten
// values. Its writer decided on their plaintext, which nobody can read any
// more; the rules decide the command the events record as they would, and
// the events must be what they decide but at those paths, where a decided
// value (a text the rules write, such as a rule pack's pin reason, or one
// they trim) cannot be compared with "[forgotten on DATE, basis]". What
// the rules decide from a forgotten value (a follow-up notice's recipient,
// matched against earlier ones) they decide on the placeholder, which is
// the same for every value under one key: an incident's recipients share
// the incident's key, so they still compare equal.
func redecideForgotten(s domain.State, by domain.By, events []domain.Event, now time.Time, forgotten map[int][]string) error {
	c, err := domain.CommandOf(by, events)
	if err != nil {
		return err
	}
	decided, err := domain.Decide(s, c, now)
	if err != nil {
		var re *domain.RuleError
		if errors.As(err, &re) {
			return re
		}
		return notDecided("the command these events record is not one Decide accepts (%v)", err)
	}
	if len(decided) != len(events) {
		return notDecided("the rules decide %d events, and %d are recorded", len(decided), len(events))
	}
	for i := range decided {
		dt, dp, err := domain.Encode(decided[i])
		if err != nil {
			return fmt.Errorf("redecide: %w", err)
		}
		rt, rp, err := domain.Encode(events[i])
		if err != nil {
			return notDecided("event %d of %d cannot be stored: %v", i+1, len(events), err)
		}
		if dt != rt {
			return notDecided("event %d of %d is a %s, and the rules decide a %s", i+1, len(events), rt, dt)
		}
		if bytes.Equal(dp, rp) {
			continue
		}
		d, err := decodeNumbers(dp)
		if err != nil {
			return fmt.Errorf("redecide: %w", err)
		}
		r, err := decodeNumbers(rp)
		if err != nil {
			return fmt.Errorf("redecide: %w", err)
		}
		for _, path := range forgotten[i] {
			v, ok := at(r, path)
			if !ok {
				continue
			}
			put(d, path, v)
		}
		if !reflect.DeepEqual(d, r) {
			return notDecided("event %d of %d (%s): field %s is not what the rules decide (its forgotten values, %s, left aside)", i+1, len(events), rt, firstDifference(d, r), strings.Join(forgotten[i], ", "))
		}
	}
	return nil
}

// firstDifference names the first top-level field, in name order, whose
// value differs between decided and recorded.
func firstDifference(decided, recorded map[string]any) string {
	names := make([]string, 0, len(decided)+len(recorded))
	for k := range decided {
		names = append(names, k)
	}
	for k := range recorded {
		if _, ok := decided[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if !reflect.DeepEqual(decided[k], recorded[k]) {
			return k
		}
	}
	return "(payload)"
}

func notDecided(format string, args ...any) *domain.RuleError {
	return &domain.RuleError{Rule: domain.RuleNotDecided, Reason: fmt.Sprintf(format, args...),
		Hint: "record facts with breachledger's commands, which decide them by the rules; a row written around them is rejected"}
}

// decodeNumbers decodes a payload keeping its numbers as written.
func decodeNumbers(payload []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return doc, nil
}

// step is one step of a concrete field path: a name, then an index when
// the field is a list ("systems[1]").
type step struct {
	name  string
	index int // -1: not a list element
}

func parsePath(path string) []step {
	var out []step
	for _, seg := range strings.Split(path, ".") {
		st := step{name: seg, index: -1}
		if name, rest, ok := strings.Cut(seg, "["); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil {
				st = step{name: name, index: i}
			}
		}
		out = append(out, st)
	}
	return out
}

// at returns the value at a concrete path ("recipient", "systems[1]",
// "replacement.text") of doc.
func at(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, st := range parsePath(path) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[st.name]; !ok {
			return nil, false
		}
		if st.index >= 0 {
			xs, ok := cur.([]any)
			if !ok || st.index >= len(xs) {
				return nil, false
			}
			cur = xs[st.index]
		}
	}
	return cur, true
}

// put replaces the value at a concrete path of doc, when there is one (a
// field the rules did not decide stays absent).
func put(doc map[string]any, path string, v any) {
	steps := parsePath(path)
	m := doc
	for i, st := range steps {
		last := i == len(steps)-1
		if st.index < 0 {
			if last {
				if _, ok := m[st.name]; ok {
					m[st.name] = v
				}
				return
			}
			next, ok := m[st.name].(map[string]any)
			if !ok {
				return
			}
			m = next
			continue
		}
		xs, ok := m[st.name].([]any)
		if !ok || st.index >= len(xs) {
			return
		}
		if last {
			xs[st.index] = v
			return
		}
		next, ok := xs[st.index].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
}
