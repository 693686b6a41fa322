package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/breachledger/breachledger/domain"
)

// Clients that hang up while the server replays a ledger of several pages
// leave nothing running: every read the request started ends with it.
func TestClientDisconnectLeavesNothingRunning(t *testing.T) {
	e := newEnv(t)
	for i := range 2500 {
		e.add(domain.IncidentStream("A"), "2025-03-12T12:00:00Z", "oscar", domain.NoteAdded{Text: fmt.Sprintf("note %d", i)})
	}
	// One whole request, to know how long a replay takes here.
	path := "/v1/deadlines?as_of=2025-03-13T00:00:00Z"
	start := time.Now()
	e.ok(path, nil)
	span := int64(time.Since(start))
	before := goleak.IgnoreCurrent() // the test server's, and the first request's connection
	client := &http.Client{Transport: &http.Transport{}}
	rng := rand.New(rand.NewPCG(11, 8))
	var hungUp int
	for range 60 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.Int64N(span)))
		req, err := http.NewRequestWithContext(ctx, "GET", e.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+goodToken)
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err != nil {
			hungUp++
		}
		cancel()
	}
	t.Logf("%d of 60 requests hung up before their answer", hungUp)
	client.CloseIdleConnections()
	if err := goleak.Find(before); err != nil {
		t.Fatal(err)
	}
}
