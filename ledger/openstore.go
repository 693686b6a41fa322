package ledger

import (
	"context"

	"github.com/breachledger/breachledger/eventstore"
)

// OpeningStore returns st as the readers that keep copies of what they read
// (the kept views, projections/readmodel) see it: its ReadStream and ReadAll
// open sealed personal fields with o, whatever the context they are called
// with (a server's requests carry no Opener), as ReadStream and ReadHistory
// do with the context's. Appends and every other method go to st unchanged.
// With a nil o it is st: sealed values stay sealed.
//
// Whoever keeps what it reads through it keeps plaintext personal data, and
// must forget it when a DataShredded forgets it: the record stream carries
// that event, after which these reads give "[forgotten on DATE, basis]".
func OpeningStore(st eventstore.Store, o *Opener) eventstore.Store {
	if o == nil {
		return st
	}
	return openingStore{st, o}
}

// OpenerOf returns the Opener that WithOpener put in ctx, or nil.
func OpenerOf(ctx context.Context) *Opener { return openerOf(ctx) }

type openingStore struct {
	eventstore.Store
	o *Opener
}

func (s openingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Record, error) {
	recs, err := s.Store.ReadStream(ctx, stream, opts)
	if err != nil || !anySealed(recs) {
		return recs, err
	}
	return s.o.Open(ctx, recs)
}

func (s openingStore) ReadAll(ctx context.Context, from uint64, limit int) ([]eventstore.Record, error) {
	recs, err := s.Store.ReadAll(ctx, from, limit)
	if err != nil || !anySealed(recs) {
		return recs, err
	}
	return s.o.Open(ctx, recs)
}
