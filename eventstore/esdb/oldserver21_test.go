package esdb_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/esdb/esdbtest"
)

// checkpointlessProxy serves reads (Streams.Read) in front of an esdbtest
// server and passes on every answer but the checkpoints of filtered $all
// subscriptions, which it drops: the server then behaves as a 21.10 patch
// after KurrentDB PRs #4023/#4035 does when $all ends with fewer events
// outside the filter than the checkpoint interval (no caught_up before
// 23.10, no checkpoint when the subscription goes live, none on the
// way). With features it also passes on ServerFeatures, so the client
// learns the server's version; without, the server is one too old to say.
type checkpointlessProxy struct {
	api.UnimplementedStreamsServer
	serverfeatures.UnimplementedServerFeaturesServer
	next     api.StreamsClient
	features serverfeatures.ServerFeaturesClient
	addr     string
}

func startCheckpointlessProxy(tb testing.TB, srv *esdbtest.Server, features bool) *checkpointlessProxy {
	tb.Helper()
	cc, lis := proxyTo(tb, srv)
	p := &checkpointlessProxy{next: api.NewStreamsClient(cc), features: serverfeatures.NewServerFeaturesClient(cc), addr: lis.Addr().String()}
	// The client pings every 10 s: allowed, as a real server does.
	gs := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}))
	api.RegisterStreamsServer(gs, p)
	if features {
		serverfeatures.RegisterServerFeaturesServer(gs, p)
	}
	serveProxy(tb, gs, lis, cc)
	return p
}

// URL is the proxy's location, with query settings added.
func (p *checkpointlessProxy) URL(query ...string) string {
	return "esdb://" + p.addr + "?" + strings.Join(append([]string{"tls=false"}, query...), "&")
}

func (p *checkpointlessProxy) GetSupportedMethods(ctx context.Context, in *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	return p.features.GetSupportedMethods(ctx, in)
}

func (p *checkpointlessProxy) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	var trailer metadata.MD
	in, err := p.next.Read(out.Context(), req, grpc.Trailer(&trailer))
	if err != nil {
		return err
	}
	for {
		resp, err := in.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			out.SetTrailer(trailer)
			return err
		}
		if resp.GetCheckpoint() != nil {
			continue
		}
		if err := out.Send(resp); err != nil {
			return err
		}
	}
}

// TestScanWithoutLiveCheckpoint: on a server before 23.10 that sends no
// checkpoint when a filtered subscription goes live (a late 21.10 patch,
// or one too old to report its version), a scan of $all that ends with
// events outside the ledger still ends: Head, ReadAll and ReadStream
// answer, with and without a rank file, when $all ends with other
// ledgers' events (fewer and more than a checkpoint interval), with none
// of the ledger's since the rank file's newest row, and with none at all.
func TestScanWithoutLiveCheckpoint(t *testing.T) {
	for _, tt := range []struct {
		name     string
		features bool
	}{
		{"21.10 without the live checkpoint", true},
		{"a server that reports no version", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			srv := esdbtest.Start(t, esdbtest.Options{Version: "21.10.0"})
			proxy := startCheckpointlessProxy(t, srv, tt.features)
			if n, err := open(t, proxy.URL("prefix=empty/")).Head(ctx); err != nil || n != 0 {
				t.Fatalf("Head() of a ledger with no events (only system streams in $all) = %d, %v, want 0", n, err)
			}

			writer := open(t, srv.URL())
			other := open(t, srv.URL("prefix=other/"))
			want := appendN(t, writer, "incident-1", 3)
			appendN(t, other, "incident-9", 2) // $all ends outside the ledger

			s := open(t, proxy.URL()) // a fresh index: every read scans $all
			if n, err := s.Head(ctx); err != nil || n != 3 {
				t.Fatalf("Head() = %d, %v, want 3", n, err)
			}
			all, err := s.ReadAll(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want), ids(all)); diff != "" {
				t.Errorf("ReadAll() event IDs (-want +got):\n%s", diff)
			}
			got, err := open(t, proxy.URL()).ReadStream(ctx, "incident-1", eventstore.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("ReadStream() event IDs (-want +got):\n%s", diff)
			}

			// With a rank file: the next scans start at its newest row.
			file := filepath.Join(t.TempDir(), "ranks.db")
			if n, err := openRanked(t, proxy.URL(), file).Head(ctx); err != nil || n != 3 {
				t.Fatalf("Head() filling the rank file = %d, %v, want 3", n, err)
			}
			appendN(t, other, "incident-9", 40) // more than a checkpoint interval (32), none of the ledger's
			if n, err := openRanked(t, proxy.URL(), file).Head(ctx); err != nil || n != 3 {
				t.Fatalf("Head() with only other ledgers' events after the rank file's newest row = %d, %v, want 3", n, err)
			}
			want = append(want, appendN(t, writer, "incident-1", 1)...)
			appendN(t, other, "incident-9", 40)
			r := openRanked(t, proxy.URL(), file)
			if n, err := r.Head(ctx); err != nil || n != 4 {
				t.Fatalf("Head() with one ledger event among others after the rank file's newest row = %d, %v, want 4", n, err)
			}
			all, err = r.ReadAll(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(want), ids(all)); diff != "" {
				t.Errorf("ReadAll() with the rank file, event IDs (-want +got):\n%s", diff)
			}
		})
	}
}
