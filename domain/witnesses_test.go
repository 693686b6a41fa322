package domain_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/breachledger/breachledger/domain"
)

// keyHash is a signed-note key hash: the first 4 bytes of
// SHA-256(name || "\n" || algorithm byte || key), in hex.
func keyHash(name string, algKey []byte) string {
	sum := sha256.Sum256(append([]byte(name+"\n"), algKey...))
	return hex.EncodeToString(sum[:4])
}

// witnessVKey returns the verifier key of a witness named name: algorithm
// alg (0x04 Ed25519 from a seed made of name, 0x06 ML-DSA-44 with 1312
// bytes derived from name: the domain checks its form, not the key).
func witnessVKey(name string, alg byte) string {
	seed := sha256.Sum256([]byte(name))
	var key []byte
	switch alg {
	case 0x06:
		for len(key) < 1312 {
			seed = sha256.Sum256(seed[:])
			key = append(key, seed[:]...)
		}
		key = key[:1312]
	default:
		key = ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	}
	raw := append([]byte{alg}, key...)
	return name + "+" + keyHash(name, raw) + "+" + base64.StdEncoding.EncodeToString(raw)
}

// TestKeyHashVector: the test's key hash (which makes every vector below)
// is the one real keys carry: published note keys, made elsewhere.
func TestKeyHashVector(t *testing.T) {
	for _, vkey := range []string{
		"filippo.io/debian-archive+6c61b70b+Aaw9ASjgICSzfKJDcCqz7l3FtSpKvQYCvaRfdfOiIRun",
		"sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP",
	} {
		name, rest, _ := strings.Cut(vkey, "+")
		hash, b64, _ := strings.Cut(rest, "+")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		if got := keyHash(name, raw); got != hash {
			t.Errorf("keyHash(%s) = %s, want %s", name, got, hash)
		}
	}
}

func TestParseWitnessKey(t *testing.T) {
	ed := witnessVKey("witness.example/w1", 0x04)
	ml := witnessVKey("witness.example/pq", 0x06)
	edName, edRest, _ := strings.Cut(ed, "+")
	edHash, edB64, _ := strings.Cut(edRest, "+")
	edRaw, _ := base64.StdEncoding.DecodeString(edB64)
	withAlg := func(name string, alg byte, key []byte) string {
		raw := append([]byte{alg}, key...)
		return name + "+" + keyHash(name, raw) + "+" + base64.StdEncoding.EncodeToString(raw)
	}
	valid := []struct {
		name, vkey, wantName string
		wantAlg              byte
		wantLen              int
	}{
		{"Ed25519 cosignature/v1", ed, "witness.example/w1", 0x04, 32},
		{"ML-DSA-44 cosignature/v1", ml, "witness.example/pq", 0x06, 1312},
		{"a name with non-ASCII letters", witnessVKey("témoin.example", 0x04), "témoin.example", 0x04, 32},
	}
	for _, tt := range valid {
		k, err := domain.ParseWitnessKey(tt.vkey)
		if err != nil {
			t.Errorf("%s: ParseWitnessKey = %v", tt.name, err)
			continue
		}
		if k.Name != tt.wantName || k.Algorithm != tt.wantAlg || len(k.Key) != tt.wantLen || domain.WitnessName(tt.vkey) != tt.wantName {
			t.Errorf("%s: got %s alg %#x %d bytes, want %s alg %#x %d bytes", tt.name, k.Name, k.Algorithm, len(k.Key), tt.wantName, tt.wantAlg, tt.wantLen)
		}
	}
	if k, _ := domain.ParseWitnessKey(ed); k.Hash != edHash || string(k.Key) != string(edRaw[1:]) {
		t.Errorf("ParseWitnessKey(%s) = %+v: want hash %s and the key's 32 bytes", ed, k, edHash)
	}

	flip := func(s string, i int) string { // another hex digit at i
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	refused := []struct {
		name, vkey, wantReason, wantHint string
	}{
		{"a plain Ed25519 note key (a log's)", "filippo.io/debian-archive+6c61b70b+Aaw9ASjgICSzfKJDcCqz7l3FtSpKvQYCvaRfdfOiIRun", "plain Ed25519 note key", `"verifier key"`},
		{"the same key bytes as a note key", withAlg(edName, 0x01, edRaw[1:]), "plain Ed25519 note key", "cosignature/v1 key"},
		{"a key hash that does not match", edName + "+" + flip(edHash, 0) + "+" + edB64, "hash to " + edHash, "altered or mistyped"},
		{"another name on the same key", "witness.example/w2+" + edHash + "+" + edB64, "hash to", "altered or mistyped"},
		{"an upper-case key hash", edName + "+" + strings.ToUpper(edHash) + "+" + edB64, "8 lower-case hex", "NAME+HASH+BASE64"},
		{"a short key hash", edName + "+" + edHash[:7] + "+" + edB64, "8 lower-case hex", ""},
		{"no '+' at all", "witness.example", "NAME+HASH+BASE64", ""},
		{"an empty name", "+" + edHash + "+" + edB64, "empty name", ""},
		{"a name that is not UTF-8", "w\xff+" + edHash + "+" + edB64, "not valid UTF-8", ""},
		{"a space in the name", "witness example+" + edHash + "+" + edB64, "space", ""},
		{"a trailing newline", ed + "\n", "space or a line break", ""},
		{"a non-breaking space", "witness\u00a0example+" + edHash + "+" + edB64, "space", ""},
		{"not base64", edName + "+" + edHash + "+!!!!", "standard base64", ""},
		{"URL-safe base64", edName + "+" + edHash + "+" + base64.URLEncoding.EncodeToString(append([]byte{0x04}, make([]byte, 32)...)) + "_-", "standard base64", ""},
		{"no key bytes", edName + "+" + edHash + "+", "standard base64", ""},
		{"an ECDSA key (algorithm 0x02)", withAlg(edName, 0x02, edRaw[1:]), "algorithm 0x02", "verifier key"},
		{"an Ed25519 key of 31 bytes", withAlg(edName, 0x04, edRaw[1:32]), "31-byte key", ""},
		{"an ML-DSA-44 key of 32 bytes", withAlg(edName, 0x06, edRaw[1:]), "32-byte key", ""},
	}
	for _, tt := range refused {
		_, err := domain.ParseWitnessKey(tt.vkey)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "witness-key" || !strings.Contains(re.Reason, tt.wantReason) || !strings.Contains(re.Hint, tt.wantHint) {
			t.Errorf("%s: ParseWitnessKey(%q) = %v, want refused by witness-key saying %q, hint %q", tt.name, tt.vkey, err, tt.wantReason, tt.wantHint)
		}
	}
	// Non-canonical base64 (other padding bits) of the same bytes is refused:
	// one key has one text form, which "same key" compares. (An ML-DSA-44
	// key, 1313 bytes with its algorithm, ends in one '=' after a character
	// whose two low bits are padding.)
	mlName, mlRest, _ := strings.Cut(ml, "+")
	mlHash, mlB64, _ := strings.Cut(mlRest, "+")
	last := len(mlB64) - 2
	alt := mlB64[:last] + string(mlB64[last]+1) + mlB64[last+1:]
	b, err1 := base64.StdEncoding.DecodeString(alt)
	want, err2 := base64.StdEncoding.DecodeString(mlB64)
	if err1 != nil || err2 != nil || string(b) != string(want) || alt == mlB64 {
		t.Fatalf("the test's non-canonical form does not decode to the key (%v, %v)", err1, err2)
	}
	if _, err := domain.ParseWitnessKey(mlName + "+" + mlHash + "+" + alt); err == nil {
		t.Errorf("a non-canonical base64 form of the key was accepted")
	}
}

func TestCleanWitnessURL(t *testing.T) {
	valid := []struct{ in, want string }{
		{"http://127.0.0.1:7380", "http://127.0.0.1:7380"},
		{"http://127.0.0.1:7380/", "http://127.0.0.1:7380"},
		{"https://witness.example/w1", "https://witness.example/w1"},
		{"https://witness.example/w1//", "https://witness.example/w1"},
		{"HTTPS://Witness.Example/A%2Fb", "https://Witness.Example/A%2Fb"},
		{"http://[::1]:7380/x", "http://[::1]:7380/x"},
		{"http://[2001:db8::1]", "http://[2001:db8::1]"},
		{"https://w_1.example:65535/a/b-c.d~e", "https://w_1.example:65535/a/b-c.d~e"},
	}
	for _, tt := range valid {
		got, err := domain.CleanWitnessURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CleanWitnessURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if again, err := domain.CleanWitnessURL(got); err != nil || again != got {
			t.Errorf("CleanWitnessURL(%q) = %q, %v: not stable", got, again, err)
		}
	}
	refused := []struct{ in, want string }{
		{"", "not an absolute http or https URL"},
		{"witness.example/w1", "not an absolute http or https URL"},
		{"ftp://witness.example", "not an absolute http or https URL"},
		{"//witness.example", "not an absolute http or https URL"},
		{"http://", "no host"},
		{"http:///add", "no host"},
		{"http://:7380", "no host"},
		{"http://user:pw@witness.example", "user info"},
		{"http://witness.example/w1?x=1", "query or a fragment"},
		{"http://witness.example/w1#top", "query or a fragment"},
		{"http://witness.example:", "empty port"},
		{"http://witness.example:0", "port"},
		{"http://witness.example:65536", "port"},
		{"http://witness.example:+80", "port"},
		{"http://witness.example:80:80", "port"},
		{"http://wit ness.example", "not a host name"},
		{"http://witness.example%2e", "not a host name"},
		{"http://[::1", "closing ']'"},
		{"http://[::1]x", "after its IPv6 address"},
		{"http://[::1]:", "empty port"},
		{"http://[zz::1]", "not an IPv6 address"},
		{"http://witness.example/a b", "in its path"},
		{"http://witness.example/é", "in its path"},
		{"http://witness.example/%zz", "percent-escape"},
		{"http://witness.example/a\\b", "in its path"},
	}
	for _, tt := range refused {
		_, err := domain.CleanWitnessURL(tt.in)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != "witness-url" || !strings.Contains(re.Reason, tt.want) || !strings.Contains(re.Hint, "http(s)://HOST") {
			t.Errorf("CleanWitnessURL(%q) = %v, want refused by witness-url saying %q", tt.in, err, tt.want)
		}
	}
}

// TestWitnesses: deciding and folding the ledger's witnesses.
func TestWitnesses(t *testing.T) {
	h := newHistory(t)
	now := ts(t, "2025-06-01T00:00:00Z")
	w1, w1b, w2 := witnessVKey("witness.example/w1", 0x04), witnessVKey("witness.example/w1", 0x06), witnessVKey("witness.example/w2", 0x06)
	add := func(actor, at, key, url string) (domain.Event, error) {
		events, err := decideLedger(t, h, domain.AddWitness{By: by(actor, at), Key: key, URL: url, Reason: "independent cosigner"}, now)
		if err != nil {
			return nil, err
		}
		return events[0], nil
	}
	remove := func(actor, at, key, reason string) error {
		_, err := decideLedger(t, h, domain.RemoveWitness{By: by(actor, at), Key: key, Reason: reason}, now)
		return err
	}
	isRule := func(err error, rule string) bool {
		var re *domain.RuleError
		return errors.As(err, &re) && re.Rule == rule && re.Hint != ""
	}

	n0 := len(h.ledger)
	refusals := []struct {
		name     string
		err      error
		wantRule string
	}{
		{"add by a non-admin", func() error { _, err := add("ian", "2025-05-01T00:00:00Z", w1, "http://127.0.0.1:7380"); return err }(), "witness-role"},
		{"add by an auditor", func() error { _, err := add("aud", "2025-05-01T00:00:00Z", w1, "http://127.0.0.1:7380"); return err }(), "witness-role"},
		{"add with a note key", func() error {
			_, err := add("admin", "2025-05-01T00:00:00Z", "filippo.io/debian-archive+6c61b70b+Aaw9ASjgICSzfKJDcCqz7l3FtSpKvQYCvaRfdfOiIRun", "http://127.0.0.1:7380")
			return err
		}(), "witness-key"},
		{"add with a bad URL", func() error {
			_, err := add("admin", "2025-05-01T00:00:00Z", w1, "http://127.0.0.1:7380/?x")
			return err
		}(), "witness-url"},
		{"remove by a non-admin", remove("lee", "2025-05-01T00:00:00Z", w1, "x"), "witness-role"},
	}
	for _, tt := range refusals {
		if !isRule(tt.err, tt.wantRule) {
			t.Errorf("%s = %v, want refused by %s with a hint", tt.name, tt.err, tt.wantRule)
		}
	}
	if len(h.ledger) != n0 {
		t.Fatalf("refusals recorded events: %d ledger events, want %d", len(h.ledger), n0)
	}

	e, err := add("admin", "2025-05-01T00:00:00Z", w1, "http://127.0.0.1:7380/")
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.WitnessAdded{Key: w1, URL: "http://127.0.0.1:7380", Reason: "independent cosigner"}); e != want {
		t.Errorf("added %+v, want %+v (the URL without its trailing '/')", e, want)
	}
	if _, err := add("admin", "2025-05-01T00:01:00Z", w1, "http://127.0.0.1:7381"); !isRule(err, "witness-exists") {
		t.Errorf("the same key twice = %v, want witness-exists", err)
	}
	if _, err := add("admin", "2025-05-01T00:02:00Z", w1b, "http://127.0.0.1:7381"); !isRule(err, "witness-exists") || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("another key of the same witness name = %v, want witness-exists (ambiguous)", err)
	}
	if _, err := add("admin", "2025-05-02T00:00:00Z", w2, "https://w2.example/"); err != nil {
		t.Fatal(err)
	}

	l := domain.ReplayLedger(h.ledger, domain.Cut{})
	active := l.Witnesses.Active()
	if len(active) != 2 || active[0].Name != "witness.example/w1" || active[0].Key != w1 || active[0].URL != "http://127.0.0.1:7380" ||
		active[0].AddCheckpointURL() != "http://127.0.0.1:7380/add-checkpoint" || active[0].Added.Actor != "admin" ||
		!active[0].Added.At.Equal(ts(t, "2025-05-01T00:00:00Z")) || active[1].Name != "witness.example/w2" || active[1].URL != "https://w2.example" {
		t.Fatalf("Active() = %+v", active)
	}

	if err := remove("admin", "2025-05-03T00:00:00Z", w1b, "never added"); !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), "witness-not-found") {
		t.Errorf("remove a key never added = %v, want not found (witness-not-found)", err)
	}
	if err := remove("admin", "2025-05-03T00:00:00Z", w1, ""); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("remove without a reason = %v, want invalid", err)
	}
	if err := remove("admin", "2025-05-03T00:00:00Z", w1, "operator retired it"); err != nil {
		t.Fatal(err)
	}
	if err := remove("admin", "2025-05-03T00:01:00Z", w1, "again"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("remove a removed witness = %v, want not found", err)
	}
	// Removed, its name is free: the witness's new key is accepted, and
	// the old key may come back after that one goes.
	if _, err := add("admin", "2025-05-04T00:00:00Z", w1b, "http://127.0.0.1:7381"); err != nil {
		t.Errorf("a new key of a removed witness's name = %v", err)
	}
	if err := remove("admin", "2025-05-05T00:00:00Z", w1b, "rotated back"); err != nil {
		t.Fatal(err)
	}
	if _, err := add("admin", "2025-05-06T00:00:00Z", w1, "http://127.0.0.1:7380"); err != nil {
		t.Errorf("re-adding a removed witness = %v", err)
	}

	l = domain.ReplayLedger(h.ledger, domain.Cut{})
	all := l.Witnesses.All()
	if len(all) != 4 {
		t.Fatalf("All() = %+v, want 4 entries", all)
	}
	if all[0].Removed == nil || all[0].RemoveReason != "operator retired it" || !all[0].Removed.At.Equal(ts(t, "2025-05-03T00:00:00Z")) ||
		all[1].Removed != nil || all[2].Key != w1b || all[2].Removed == nil || all[3].Key != w1 || all[3].Removed != nil {
		t.Errorf("All() = %+v", all)
	}
	var names []string
	for _, w := range l.Witnesses.Active() {
		names = append(names, w.Name)
	}
	if got, want := strings.Join(names, ","), "witness.example/w2,witness.example/w1"; got != want {
		t.Errorf("Active() names = %s, want %s (in order of addition)", got, want)
	}
	// As known before the removal, w1 was active; the state then is not
	// changed by folding what came after.
	before := domain.ReplayLedger(h.ledger, domain.Cut{KnownAt: ts(t, "2025-05-03T00:00:30Z")})
	if a := before.Witnesses.Active(); len(a) != 2 || a[0].Key != w1 {
		t.Errorf("active as known before the removal = %+v", a)
	}
	prefix := domain.ReplayLedger(h.ledger[:len(h.ledger)-4], domain.Cut{})
	after := prefix
	for _, f := range h.ledger[len(h.ledger)-4:] {
		after = domain.EvolveLedger(after, f)
	}
	if len(prefix.Witnesses.All()) != 2 || prefix.Witnesses.All()[0].Removed != nil {
		t.Errorf("EvolveLedger changed the ledger it was given: %+v", prefix.Witnesses.All())
	}
	if len(after.Witnesses.All()) != 4 {
		t.Errorf("EvolveLedger: %d witnesses, want 4", len(after.Witnesses.All()))
	}

	if req, _ := domain.SignatureRequired(l, "WitnessAdded"); req {
		t.Errorf("signature required without any registered key")
	}
}

// TestWitnessRefreshSetting: witness-refresh defaults to 1h, is set like
// every setting, and stays out of the settings' JSON (as backdate-window).
func TestWitnessRefreshSetting(t *testing.T) {
	h := newHistory(t)
	if got, ok := h.state().Ledger.Settings.Value("witness-refresh"); !ok || got != time.Hour {
		t.Errorf("default witness-refresh = %v, %v; want 1h", got, ok)
	}
	if _, err := decideLedger(t, h, domain.ChangeSetting{By: by("ian", "2025-05-01T00:00:00Z"), Key: "witness-refresh", Value: "30m"}, ts(t, "2025-06-01T00:00:00Z")); err == nil {
		t.Errorf("a non-admin changed witness-refresh")
	}
	if _, err := decideLedger(t, h, domain.ChangeSetting{By: by("admin", "2025-05-01T00:00:00Z"), Key: "witness-refresh", Value: "30m", Reason: "test: in force from May"}, ts(t, "2025-06-01T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	s := h.state().Ledger.Settings
	if s.WitnessRefresh != 30*time.Minute {
		t.Errorf("witness-refresh = %v, want 30m", s.WitnessRefresh)
	}
	if b, _ := s.MarshalJSON(); strings.Contains(string(b), "witness") {
		t.Errorf("settings JSON %s holds witness-refresh", b)
	}
}
