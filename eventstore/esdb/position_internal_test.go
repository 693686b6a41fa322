package esdb

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestPositionError: the server's refusal of a position the index gave is
// the rank file's fault when there is one (errRankFile: Store.with empties
// it and reads again), and history that changed under the Store when
// its positions were all read from this server; other refusals stay what
// they are.
func TestPositionError(t *testing.T) {
	invalid := clientUnknown(status.Error(codes.Unknown, "Trying to read from an invalid position."))
	denied := clientUnknown(status.Error(codes.PermissionDenied, "Access denied"))
	withFile := &Store{}
	withFile.idx.file = &rankFile{}
	tests := []struct {
		name string
		s    *Store
		err  error
		want error
	}{
		{"invalid position, rank file", withFile, invalid, errRankFile},
		{"invalid position, memory only", &Store{}, invalid, errChanged},
		{"access denied, rank file", withFile, denied, ErrAccessDenied},
	}
	for _, tt := range tests {
		got := tt.s.positionError(context.Background(), nil, tt.err)
		if !errors.Is(got, tt.want) {
			t.Errorf("%s: positionError(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := withFile.positionError(ctx, nil, invalid); !errors.Is(got, context.Canceled) || errors.Is(got, errRankFile) {
		t.Errorf("positionError(done context) = %v, want the context's error", got)
	}
}
