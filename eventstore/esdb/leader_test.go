package esdb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breachledger/breachledger/eventstore/esdb"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// TestStoreOnFollower: a store given a follower's address (no gossip)
// works as on the leader: the follower serves its reads and forwards its
// appends to the leader, as a real follower does for the v4.2.0 client,
// which never sends requires-leader.
func TestStoreOnFollower(t *testing.T) {
	nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{})
	s := open(t, fmt.Sprintf("esdb://%s?tls=false", nodes[1].Addr()))
	want := appendN(t, s, "incident-1", 3)
	got, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadAll() on a follower mismatch (-appended +read):\n%s", diff)
	}
	if n, m := nodes[1].Calls("Forwarded"), nodes[0].Calls("Append"); n != 3 || m != 3 {
		t.Errorf("follower forwarded %d appends, leader served %d; want 3, 3", n, m)
	}
	if n := nodes[1].Calls("NotLeader"); n != 0 {
		t.Errorf("follower answered not-leader %d times, want none", n)
	}
}

// TestStoreLeaderChange: on a cluster whose followers answer not-leader
// to everything, a store found the leader through gossip; the leadership
// moves to another node mid-run, and the store's next append, refused by
// the old leader, lands on the new one (the store replaces its client,
// which discovers the new leader), with the ledger's sequences intact.
func TestStoreLeaderChange(t *testing.T) {
	nodes := esdbtest.StartCluster(t, 3, esdbtest.Options{RequiresLeader: true})
	s := open(t, fmt.Sprintf("esdb+discover://%s?tls=false", nodes[2].Addr()))
	want := appendN(t, s, "incident-1", 2)
	if n := nodes[0].Calls("Append"); n != 2 {
		t.Fatalf("leader served %d appends, want 2", n)
	}

	nodes[1].Elect()
	gen := esdb.Generation(s)
	want = append(want, appendN(t, s, "incident-1", 2)...)
	if n := nodes[0].Calls("NotLeader"); n == 0 {
		t.Errorf("the old leader answered no call with not-leader")
	}
	if n := nodes[1].Calls("Append"); n != 2 {
		t.Errorf("the new leader served %d appends, want 2", n)
	}
	if esdb.Generation(s) == gen {
		t.Errorf("the store kept its client on the old leader")
	}
	// The old client, on the not-leader answer, reconnected to the new
	// leader in the background and asked it for its features, as the new
	// client did; let that finish before the servers stop (a client whose
	// question fails leaks its connection).
	for nodes[0].Calls("NotLeader") > 0 && nodes[1].Calls("GetSupportedMethods") < 2 {
		time.Sleep(time.Millisecond)
	}
	for i, r := range want {
		if r.Sequence != uint64(i) {
			t.Errorf("record %d: Sequence = %d, want %d", i, r.Sequence, i)
		}
	}
	got, err := s.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadAll() after the election mismatch (-appended +read):\n%s", diff)
	}
}
