package ledger

import (
	"context"
	"errors"
)

// StreamLister is a store that can name its streams by prefix without
// reading the log (sqlite.Store walks an index).
type StreamLister interface {
	StreamsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)
}

// StreamsWithPrefix names the streams that start with prefix, asking the
// store under the view; errors.ErrUnsupported when that store cannot
// list streams (the caller scans the log instead). A stream named here may
// have no event the view counts yet: its records are read through the view.
func (v *View) StreamsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	l, ok := v.st.(StreamLister)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return l.StreamsWithPrefix(ctx, prefix, limit)
}
