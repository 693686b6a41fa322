// This file replaces esdb/containers_test.go of EventStore-Client-Go v4.2.0
// in a temporary copy of the module (run.sh makes the copy; it is never
// compiled in breachledger). The client's tests start EventStoreDB in docker
// containers; here every "container" is an esdbtest server in this process:
//
//   - EVENTSTORE_INSECURE=true (the default): plain gRPC, no users;
//   - EVENTSTORE_INSECURE=false: TLS with a self-signed certificate
//     (written to ../certs/node/node.crt, where the TLS tests read it) and
//     basic auth, user admin:changeit.
//
// The functions and types the tests call keep their names and signatures.
// What differs from the original, and why:
//
//   - CreatePopulatedDatabase starts an empty server: the dataset image
//     (docker.eventstore.com/eventstore-utils/testdata) cannot run here, so
//     every test that reads the dataset is in the skip table below.
//   - The readiness wait WaitForAdminToBeAvailable (it reads $users) runs as
//     a subtest of the test that created the database
//     (WaitForAdminToBeAvailable_empty, ..._populated), so that a missing
//     $users fails that subtest instead of stopping every test; its retries
//     are 5 × 200 ms instead of 50 × 1 s (an in-process server is ready when
//     Listen returns).
//   - WaitForLeaderToBeElected is not called: it creates a persistent
//     subscription, which esdbtest does not claim; a single in-process node
//     is the leader.
//   - CLUSTER=true (a three-node docker cluster on ports 2111-2113) is not
//     supported.
package esdb_test

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/goombaio/namegenerator"

	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// skip is one test of the suite that is not run, and why.
type skip struct {
	name   string // exact test name, as go test prints it (subtests joined by "/")
	mode   string // "plain", "tls", or "" for both passes
	reason string
}

const (
	dataset     = "needs the prepopulated dataset image (eventstore-utils/testdata): reads its streams or $all positions"
	persistent  = "persistent subscriptions: not claimed by esdbtest"
	projections = "projections: not claimed by esdbtest"
	tlsOnly     = "the test skips itself without TLS (the client sends credentials only over TLS); it runs in the tls pass"
)

// skips lists every test of the suite that is not run. A name not listed
// runs. Each name is matched exactly (go test -skip, built in TestMain).
var skips = []skip{
	{"TestStreams/ReadStreamTests/readStreamEventsForwardsFromZeroPosition", "", dataset},
	{"TestStreams/ReadStreamTests/readStreamEventsBackwardsFromEndPosition", "", dataset},
	{"TestStreams/SubscriptionTests/streamSubscriptionDeliversAllEventsInStreamAndListensForNewEvents", "", dataset},
	{"TestStreams/SubscriptionTests/allSubscriptionWithFilterDeliversCorrectEvents", "", dataset},
	{"TestStreams/SubscriptionTests/connectionClosing", "", dataset},
	{"TestStreams/SubscriptionTests/subscriptionToStreamCaughtUpMessage", "", dataset},
	{"TestExpectations", "", dataset},
	{"TestPersistentSubscriptions", "", persistent},
	{"TestProjections", "", projections},
	{"TestPlugins", "", "X.509 user certificates (the UserCertificates plugin, certs/ca and certs/user-*): not claimed by esdbtest"},
	{"TestStreams/AuthenticationTests", "", "checks credentials through CreatePersistentSubscription (persistent subscriptions: not claimed by esdbtest; " +
		"the invalid-credentials case would pass vacuously on Unimplemented)"},
	{"TestStreams/AppendTests/appendToSystemStreamWithIncorrectCredentials", "plain", tlsOnly},
	{"TestStreams/ReadStreamTests/readStreamWithCredentialsOverride", "plain", tlsOnly},
}

// TestMain prints the skip table of this pass (run.sh's summary reads those
// lines) and turns it into go test's -skip pattern: per entry, each element
// of the name anchored and quoted, entries joined by a top-level "|".
func TestMain(m *testing.M) {
	flag.Parse()
	mode := "plain"
	if !insecure() {
		mode = "tls"
	}
	var alts []string
	for _, s := range skips {
		if s.mode != "" && s.mode != mode {
			continue
		}
		fmt.Printf("CONFORMANCE-SKIP\t%s\t%s\n", s.name, s.reason)
		var elems []string
		for _, e := range strings.Split(s.name, "/") {
			elems = append(elems, "^"+regexp.QuoteMeta(e)+"$")
		}
		alts = append(alts, strings.Join(elems, "/"))
	}
	if prev := flag.Lookup("test.skip").Value.String(); prev != "" {
		alts = append(alts, prev)
	}
	if err := flag.Set("test.skip", strings.Join(alts, "|")); err != nil {
		fmt.Fprintln(os.Stderr, "set -test.skip:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

var NAME_GENERATOR = namegenerator.NewNameGenerator(0)

// Container is a running database: an esdbtest server.
type Container struct {
	Endpoint string
	server   *esdbtest.Server
}

func (container *Container) Close() { container.server.Stop() }

func GetEnvOrDefault(key, defaultValue string) string {
	if value, exists := os.LookupEnv(key); exists {
		return value
	}
	return defaultValue
}

func insecure() bool { return GetEnvOrDefault("EVENTSTORE_INSECURE", "true") == "true" }

type ESDBVersion struct {
	Maj   int
	Min   int
	Patch int
}

type VersionPredicateFn = func(ESDBVersion) bool

// IsESDB_Version is the original: it reads EVENTSTORE_DOCKER_TAG.
func IsESDB_Version(predicate VersionPredicateFn) bool {
	value, exists := os.LookupEnv("EVENTSTORE_DOCKER_TAG")
	if !exists || value == "ci" {
		return false
	}
	parts := strings.Split(value, "-")
	versionNumbers := strings.Split(parts[0], ".")
	return predicate(ESDBVersion{
		Maj:   mustConvertToInt(versionNumbers[0]),
		Min:   mustConvertToInt(versionNumbers[1]),
		Patch: mustConvertToInt(versionNumbers[2]),
	})
}

func mustConvertToInt(s string) int {
	val, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return val
}

func IsESDBVersion20() bool {
	return IsESDB_Version(func(version ESDBVersion) bool { return version.Maj < 21 })
}

var (
	certOnce sync.Once
	nodeCert tls.Certificate
	certErr  error
)

// serverOptions makes the TLS certificate once per process and writes what
// the TLS tests read: ../certs/node/node.crt (the server's self-signed
// certificate, a CA for 127.0.0.1 and localhost) and
// ../certs/untrusted-ca/ca.crt (another, unrelated one). The server speaks
// TLS with it and wants basic auth admin:changeit.
func serverOptions(t *testing.T) esdbtest.Options {
	t.Helper()
	certOnce.Do(func() {
		var nodePEM, otherPEM []byte
		if nodeCert, nodePEM, certErr = esdbtest.SelfSigned(); certErr != nil {
			return
		}
		if _, otherPEM, certErr = esdbtest.SelfSigned(); certErr != nil {
			return
		}
		if certErr = writeCert(filepath.Join("..", "certs", "node", "node.crt"), nodePEM); certErr != nil {
			return
		}
		certErr = writeCert(filepath.Join("..", "certs", "untrusted-ca", "ca.crt"), otherPEM)
	})
	if certErr != nil {
		t.Fatalf("make the TLS certificates: %v", certErr)
	}
	return esdbtest.Options{Certificate: &nodeCert, Users: map[string]string{"admin": "changeit"}}
}

// createDatabase starts a server and a client of it; label names the
// readiness subtest (WaitForAdminToBeAvailable_empty, ..._populated).
func createDatabase(t *testing.T, label string) (*Container, *esdb.Client) {
	t.Helper()
	var opts esdbtest.Options
	if !insecure() {
		opts = serverOptions(t)
	}
	srv, err := esdbtest.Listen(opts)
	if err != nil {
		t.Fatalf("start the in-process server: %v", err)
	}
	// The summary counts the tests under this top-level test as server-facing.
	t.Log("CONFORMANCE-SERVER")
	container := &Container{Endpoint: srv.Addr(), server: srv}
	client := GetClient(t, container)
	t.Run("WaitForAdminToBeAvailable_"+label, func(t *testing.T) { WaitForAdminToBeAvailable(t, client) })
	return container, client
}

func CreateEmptyDatabase(t *testing.T) (*Container, *esdb.Client) { return createDatabase(t, "empty") }

// CreatePopulatedDatabase starts an empty server: the dataset image cannot
// run here, and every test that reads the dataset is skipped by name.
func CreatePopulatedDatabase(t *testing.T) (*Container, *esdb.Client) {
	return createDatabase(t, "populated")
}

func GetClient(t *testing.T, container *Container) *esdb.Client {
	if insecure() {
		return createTestClient(fmt.Sprintf("esdb://%s?tls=false", container.Endpoint), container, t)
	}
	return createTestClient(fmt.Sprintf("esdb://admin:changeit@%s?tlsverifycert=false&tls=true", container.Endpoint), container, t)
}

func createTestClient(conn string, container *Container, t *testing.T) *esdb.Client {
	return CreateClient(conn, t)
}

func CreateClient(connStr string, t *testing.T) *esdb.Client {
	config, err := esdb.ParseConnectionString(connStr)
	if err != nil {
		t.Fatalf("Error when parsin connection string: %v", err)
	}
	client, err := esdb.NewClient(config)
	if err != nil {
		t.Fatalf("Error when creating an ESDB esdb: %v", err)
	}
	return client
}

// WaitForAdminToBeAvailable is the original check (the first event of
// $users can be read) with a budget of 5 tries 200 ms apart.
func WaitForAdminToBeAvailable(t *testing.T, db *esdb.Client) {
	const tries = 5
	for count := 0; count < tries; count++ {
		ctx, cancel := context.WithTimeout(context.Background(), 1*time.Second)
		stream, err := db.ReadStream(ctx, "$users", esdb.ReadStreamOptions{}, 1)
		if ctx.Err() != nil {
			cancel()
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if stream != nil {
			_, err = stream.Recv()
			stream.Close()
			if err == nil {
				cancel()
				return
			}
		}
		cancel()
		if esdbError, ok := esdb.FromError(err); !ok {
			switch esdbError.Code() {
			case esdb.ErrorCodeResourceNotFound, esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorUnavailable:
				t.Logf("[debug] $users not readable (%v), retrying...", esdbError)
				time.Sleep(200 * time.Millisecond)
				continue
			}
			t.Fatalf("unexpected error when waiting the admin account to be available: %+v", esdbError)
		}
		t.Fatalf("unexpected error when waiting the admin account to be available: %+v", err)
	}
	t.Fatalf("failed to access admin account in a timely manner (%d tries: the first event of $users)", tries)
}

func writeCert(path string, pemBytes []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("make %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, pemBytes, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
