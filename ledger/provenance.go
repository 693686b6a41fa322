package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/integrity"
)

// ReadCheckpointed reads the events a report is built from: those a
// signed checkpoint of the ledger covers (the newest when size is 0, else
// the one of exactly size events), as a history, and the provenance the
// report names. It recomputes the Merkle root from the events and fails
// (integrity.ErrIntegrity) unless it is the checkpoint's. With key, it
// also checks the checkpoint's signature. A store that keeps no checkpoint,
// or a ledger none was signed for, gives every event and says so.
//
// keep, when not nil, chooses the records that go into the history (every
// record still counts for the root): a report of one incident needs only
// its stream and the ledger's.
func ReadCheckpointed(ctx context.Context, st eventstore.Store, size uint64, key *integrity.PublicKey, keep func(eventstore.Record) bool) (*history.History, history.Provenance, error) {
	origin, err := Origin(ctx, st)
	if err != nil {
		return nil, history.Provenance{}, err
	}
	p := history.Provenance{Origin: origin}
	// Through a View, the tree needs every record, rejected ones
	// included; the history leaves those out.
	var rejected map[uint64]string
	if v, ok := st.(*View); ok {
		rejected, st = v.Coverage().Rejected, v.st
	}
	var stored *eventstore.Checkpoint
	if cs, ok := st.(eventstore.CheckpointStore); ok {
		cp, err := checkpointOfSize(ctx, cs, size)
		switch {
		case errors.Is(err, eventstore.ErrNoCheckpoint) && size == 0:
		case err != nil:
			return nil, p, err
		default:
			stored = &cp
		}
	} else if size > 0 {
		return nil, p, fmt.Errorf("--checkpoint %d: this store keeps no checkpoints: %w", size, domain.ErrNotFound)
	}
	end := ^uint64(0)
	if stored != nil {
		end = stored.Size
	}
	h := history.New()
	tree := integrity.NewTree()
	// Page by page: the tree takes the stored records (the leaves commit
	// to the sealed payloads), the history the page opened (seal.go).
	for from := uint64(0); from < end; {
		page, err := st.ReadAll(ctx, from, eventstore.DefaultPageSize)
		if err != nil {
			return nil, p, fmt.Errorf("read ledger: %w", err)
		}
		if len(page) == 0 {
			break
		}
		n := 0
		for _, r := range page {
			if r.Sequence >= end {
				break
			}
			if r.Sequence != tree.Size() {
				return nil, p, fmt.Errorf("the log has sequence %d where %d should be (run \"breachledger verify\"): %w", r.Sequence, tree.Size(), integrity.ErrIntegrity)
			}
			tree.Append(integrity.LeafOf(r).Hash())
			n++
		}
		opened, err := openRecords(ctx, page[:n])
		if err != nil {
			return nil, p, err
		}
		for _, r := range opened {
			if _, no := rejected[r.Sequence]; no || (keep != nil && !keep(r)) {
				continue
			}
			f, err := history.FactOf(r)
			if err != nil {
				return nil, p, err
			}
			h.Add(f)
		}
		if n < len(page) {
			break
		}
		from = page[n-1].Sequence + 1
	}
	p.Custody = history.CustodyNotes(h.Ledger)
	p.Raced = history.RaceNotes(h.Raced)
	root := tree.Root()
	p.TreeSize, p.Root, p.RootHex, p.Recomputed = tree.Size(), base64.StdEncoding.EncodeToString(root), hex.EncodeToString(root), stored != nil
	if stored == nil {
		p.Signature = "no signed checkpoint covers these events; the root was computed from them"
		return h, p, nil
	}
	if tree.Size() != stored.Size || !bytes.Equal(root, stored.Root) {
		return nil, p, fmt.Errorf("the ledger's first %d events do not give the root of its checkpoint of %d events (run \"breachledger verify\"): %w", tree.Size(), stored.Size, integrity.ErrIntegrity)
	}
	p.Signed, p.Note = true, string(stored.Note)
	if key == nil {
		p.Signature = `not checked here: check it with the ledger's public key ("breachledger verify --key PUB", or this command with --key PUB)`
		return h, p, nil
	}
	chain, err := ReadKeyChain(ctx, st, key)
	if err != nil {
		return nil, p, err
	}
	cp, err := chain.Open(stored.Size, stored.Note)
	if err != nil {
		return nil, p, fmt.Errorf("the checkpoint of %d events: %w", stored.Size, err)
	}
	key = chain.KeyAt(stored.Size)
	if cp.Size != stored.Size || !bytes.Equal(cp.Root, root) {
		return nil, p, fmt.Errorf("the signed checkpoint says %d events with another root than the one stored beside it: %w", cp.Size, integrity.ErrIntegrity)
	}
	p.Signature = "verified with the ledger public key " + key.String()
	return h, p, nil
}

// checkpointOfSize returns the newest stored checkpoint (size 0) or the one
// of exactly size events.
func checkpointOfSize(ctx context.Context, cs eventstore.CheckpointStore, size uint64) (eventstore.Checkpoint, error) {
	if size == 0 {
		return cs.LatestCheckpoint(ctx)
	}
	cps, err := cs.ReadCheckpoints(ctx, size-1, 1)
	if err != nil {
		return eventstore.Checkpoint{}, err
	}
	if len(cps) == 0 || cps[0].Size != size {
		return eventstore.Checkpoint{}, &domain.NotFoundError{What: "checkpoint of size", ID: fmt.Sprint(size), Hint: `every append signs one; "breachledger verify" lists the newest`}
	}
	return cps[0], nil
}
