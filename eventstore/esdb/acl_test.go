package esdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
	"github.com/breachledger/breachledger/eventstore/storetest"
)

// The rights a ledger's user needs on a secure server, as an operator
// grants them to a group ("breachledger") without making its users
// admins (README: Running on EventStoreDB/KurrentDB):
//   - $r on $all, which only $admins have by default: the ACL in $all's
//     metadata (the stream $$$all);
//   - $r and $w on the ledger's streams (its prefix's streams and the
//     checkpoint and cosignature streams), user streams all, created as
//     the ledger grows: the default user-stream ACL, $userStreamAcl in
//     $settings ($mr lets the audit explain events a stream's metadata
//     hides; $d and $mw are not needed).
const ledgerGroup = "breachledger"

// grant is what an admin grants on a secure server: the roles given $r on
// $all, and the roles given $r, $w and $mr on user streams ($d and $mw
// stay with $admins); nil leaves the server's default.
type grant struct {
	all, streams []string
}

// ledgerRights are exactly the rights the ledger needs, given to its group.
var ledgerRights = grant{all: []string{ledgerGroup}, streams: []string{ledgerGroup}}

// secureLedgerServer starts a TLS server with ACLs and the users admin,
// ledger (in the group breachledger) and stranger (in no group), makes
// the grants as admin, and returns the server and a location for a user.
func secureLedgerServer(t *testing.T, g grant) (*esdbtest.Server, func(user, pass string) string) {
	t.Helper()
	cert, pemBytes, err := esdbtest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := esdbtest.Start(t, esdbtest.Options{
		Certificate: &cert,
		Users:       map[string]string{"admin": "changeit", "ledger": "l-pass", "stranger": "s-pass"},
		Groups:      map[string][]string{"ledger": {ledgerGroup}},
	})
	location := func(user, pass string) string {
		return fmt.Sprintf("esdb://%s:%s@%s?tlsCAFile=%s", user, pass, srv.Addr(), ca)
	}
	admin := rawClientAt(t, location("admin", "changeit"))
	write := func(stream string, data any) {
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		e := esclient.EventData{EventType: "$metadata", ContentType: esclient.ContentTypeJson, Data: raw}
		if _, err := admin.AppendToStream(context.Background(), stream, esclient.AppendToStreamOptions{}, e); err != nil {
			t.Fatalf("grant in %s: %v", stream, err)
		}
	}
	if g.all != nil {
		write("$$$all", map[string]any{"$acl": map[string]any{"$r": g.all}})
	}
	if g.streams != nil {
		write("$settings", map[string]any{"$userStreamAcl": map[string]any{
			"$r": g.streams, "$w": g.streams, "$mr": g.streams, "$d": []string{"$admins"}, "$mw": []string{"$admins"},
		}})
	}
	return srv, location
}

// TestStoreNonAdminUser runs the contract suites as a user who is not an
// admin and has exactly the rights the ledger needs.
func TestStoreNonAdminUser(t *testing.T) {
	factory := func(t *testing.T) eventstore.Store {
		srv, location := secureLedgerServer(t, ledgerRights)
		s := open(t, location("ledger", "l-pass"))
		t.Cleanup(func() {
			if n := srv.Calls("AccessDenied"); n != 0 {
				t.Errorf("the server refused the ledger's user %d times", n)
			}
		})
		return s
	}
	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, factory, storetest.LargestPayload(eventstore.MaxPayloadSize-envelopeRoom))
	})
	t.Run("Checkpoints", func(t *testing.T) { storetest.RunCheckpoints(t, factory) })
	t.Run("Cosignatures", func(t *testing.T) { storetest.RunCosignatures(t, factory) })
}

// TestStoreWithoutRights: a user lacking a right the ledger needs gets
// ErrAccessDenied saying what to grant; a wrong password is
// ErrUnauthenticated, not a refusal of rights.
func TestStoreWithoutRights(t *testing.T) {
	t.Run("no $r on $all", func(t *testing.T) {
		_, location := secureLedgerServer(t, grant{streams: []string{ledgerGroup}})
		_, err := esdb.Open(t.Context(), location("ledger", "l-pass"), esdb.Options{})
		wantDenied(t, "Open()", err)
	})
	t.Run("not in the group", func(t *testing.T) {
		_, location := secureLedgerServer(t, ledgerRights)
		_, err := esdb.Open(t.Context(), location("stranger", "s-pass"), esdb.Options{})
		wantDenied(t, "Open()", err)
	})
	t.Run("no $r and $w on the ledger's streams", func(t *testing.T) {
		_, location := secureLedgerServer(t, grant{all: []string{ledgerGroup}, streams: []string{"$admins"}})
		appendN(t, open(t, location("admin", "changeit")), "incident-1", 1)
		s := open(t, location("ledger", "l-pass"))
		_, err := s.Append(t.Context(), "incident-2", eventstore.NoStream, []eventstore.Record{record(t, "Opened")})
		wantDenied(t, "Append()", err)
		_, err = s.ReadStream(t.Context(), "incident-1", eventstore.ReadOptions{})
		wantDenied(t, "ReadStream()", err)
		if errors.Is(err, eventstore.ErrNotFound) {
			t.Errorf("ReadStream() refused = %v, want it not to be ErrNotFound", err)
		}
		_, err = s.SaveCheckpoint(t.Context(), eventstore.Checkpoint{Size: 1, Root: []byte{1}, Note: []byte("note"), Leaves: leaves(0, 1, 4)})
		wantDenied(t, "SaveCheckpoint()", err)
	})
	t.Run("wrong password", func(t *testing.T) {
		_, location := secureLedgerServer(t, ledgerRights)
		_, err := esdb.Open(t.Context(), location("ledger", "not-the-password"), esdb.Options{})
		if !errors.Is(err, esdb.ErrUnauthenticated) || errors.Is(err, esdb.ErrAccessDenied) {
			t.Errorf("Open() with a wrong password: error = %v, want ErrUnauthenticated", err)
		}
		if err != nil && strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("Open() error = %q shows the password", err)
		}
	})
}

// wantDenied checks that err is the store's refusal of rights, saying
// what the user needs.
func wantDenied(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, esdb.ErrAccessDenied) {
		t.Errorf("%s error = %v, want ErrAccessDenied", op, err)
		return
	}
	for _, w := range []string{"$all", "read and write the ledger's streams"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s error = %q, want it to say %q", op, err, w)
		}
	}
}
