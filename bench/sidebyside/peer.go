package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/hallgren/eventsourcing"
	"github.com/hallgren/eventsourcing/aggregate"
	hsql "github.com/hallgren/eventsourcing/eventstore/sql"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/eventstore/sqlite"
	"github.com/breachledger/breachledger/history"
	"github.com/breachledger/breachledger/ledger"

	"github.com/breachledger/breachledger/bench/internal/benchledger"
)

// perSave is how many events each save appends: an incident's opening
// (detection, rule pack, assessment stage, assessment, classification).
const perSave = 5

// saveEvents are the five events of one save, the same Go values on both
// sides (the peer serialises them with its default JSON encoder, as our
// codec does).
func saveEvents(i int) []domain.Event {
	return benchledger.IncidentEvents(i, perSave)
}

// Incident is the peer's aggregate: the same incident state our fold
// builds, evolved by the same domain.Evolve.
type Incident struct {
	aggregate.Root
	state domain.Incident
	n     uint64
}

// Transition folds one event into the state, as our replay does.
func (a *Incident) Transition(e eventsourcing.Event) {
	ev := reflect.ValueOf(e.Data()).Elem().Interface().(domain.Event)
	a.state = domain.Evolve(a.state, domain.Fact{ID: a.ID(), Revision: a.n, Type: domain.TypeOf(ev), At: e.Timestamp(), Actor: "oscar", Event: ev})
	a.n++
}

// Register registers the event types the aggregate records.
func (a *Incident) Register(r aggregate.RegisterFunc) {
	r(&domain.IncidentDetected{}, &domain.PackPinned{}, &domain.StageChanged{}, &domain.IncidentAssessed{}, &domain.IncidentClassified{})
}

// peer: one writer saving aggregates of 5 events each, then loading every
// aggregate, on breachledger's embedded store and on
// hallgren/eventsourcing v0.9.1 with eventstore/sql v0.7.0 (its SQLite
// store), both on modernc.org/sqlite with WAL, synchronous=FULL,
// busy_timeout and BEGIN IMMEDIATE (read back on both), the peer's
// single-writer mode, fresh files.
func peer(cfg config) ([]row, error) {
	ctx := context.Background()
	aggs, rounds := 2000, 7
	if cfg.short {
		aggs, rounds = 300, 1
	}
	dir := filepath.Join(cfg.dir, "peer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	aggregate.Register(&Incident{})

	// saveCPU is the process's CPU time (user and system: SQLite and its
	// fsyncs run in it on both sides) over the saves.
	type result struct{ save, saveCPU, load time.Duration }
	key, err := benchledger.NewActorKey(filepath.Join(dir, "keys"), "oscar")
	if err != nil {
		return nil, err
	}
	// ours saves with Store.Append, each event signed with key when sign
	// is set (as the CLI signs what its actor records).
	ours := func(path string, sign bool) (result, error) {
		if err := freshSchema(ctx, path); err != nil {
			return result{}, err
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			return result{}, err
		}
		defer st.Close()
		if mode, sync, err := st.Pragmas(ctx); err != nil || mode != "wal" || sync != 2 {
			return result{}, fmt.Errorf("store pragmas: %s %d %v", mode, sync, err)
		}
		start, cpu := time.Now(), cpuTime()
		signer := (*benchledger.ActorKey)(nil)
		if sign {
			signer = &key
		}
		ids, err := saveOurs(ctx, st, aggs, signer)
		if err != nil {
			return result{}, err
		}
		save, saveCPU := time.Since(start), cpuTime()-cpu
		start = time.Now()
		if err := loadOurs(ctx, st, ids); err != nil {
			return result{}, err
		}
		return result{save, saveCPU, time.Since(start)}, nil
	}
	theirs := func(path string) (result, error) {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			os.Remove(p)
		}
		db, err := sql.Open("sqlite", dsn(path))
		if err != nil {
			return result{}, err
		}
		defer db.Close()
		if err := checkPragmas(db); err != nil {
			return result{}, err
		}
		es, err := hsql.NewSQLiteSingelWriter(db)
		if err != nil {
			return result{}, err
		}
		start, cpu := time.Now(), cpuTime()
		ids, err := saveTheirs(es, aggs)
		if err != nil {
			return result{}, err
		}
		save, saveCPU := time.Since(start), cpuTime()-cpu
		start = time.Now()
		if err := loadTheirs(ctx, es, ids); err != nil {
			return result{}, err
		}
		return result{save, saveCPU, time.Since(start)}, nil
	}

	var ourSave, theirSave, ourLoad, theirLoad, ourCPU, theirCPU, signedSave, signedCPU []float64
	for r := range rounds {
		fs := []func() error{
			func() error {
				res, err := ours(filepath.Join(dir, "ours.db"), false)
				ourSave = append(ourSave, float64(aggs*perSave)/res.save.Seconds())
				ourCPU = append(ourCPU, float64(res.saveCPU.Microseconds())/float64(aggs))
				ourLoad = append(ourLoad, float64(aggs)/res.load.Seconds())
				return err
			},
			func() error {
				res, err := theirs(filepath.Join(dir, "theirs.db"))
				theirSave = append(theirSave, float64(aggs*perSave)/res.save.Seconds())
				theirCPU = append(theirCPU, float64(res.saveCPU.Microseconds())/float64(aggs))
				theirLoad = append(theirLoad, float64(aggs)/res.load.Seconds())
				return err
			},
			func() error {
				res, err := ours(filepath.Join(dir, "signed.db"), true)
				signedSave = append(signedSave, float64(aggs*perSave)/res.save.Seconds())
				signedCPU = append(signedCPU, float64(res.saveCPU.Microseconds())/float64(aggs))
				return err
			},
		}
		// Each side runs first, second and last in turn.
		k := r % len(fs)
		fs = append(fs[k:], fs[:k]...)
		for _, f := range fs {
			if err := f(); err != nil {
				return nil, err
			}
		}
	}
	saveRatio := medianF(ourSave) / medianF(theirSave)
	loadRatio := medianF(ourLoad) / medianF(theirLoad)
	return []row{
		{
			name:      fmt.Sprintf("append, 5 events per save, one writer, synchronous=FULL (%s saves)", fmtInt(aggs)),
			product:   "Store.Append: " + rates(ourSave, "events/s") + "; CPU " + micros(ourCPU) + " per save",
			baseline:  "hallgren/eventsourcing v0.9.1 + eventstore/sql v0.7.0, aggregate.Save: " + rates(theirSave, "events/s") + "; CPU " + micros(theirCPU) + " per save",
			ratio:     saveRatio,
			ratioText: fmt.Sprintf("throughput ÷ peer throughput; in CPU time per save %.2f×", medianF(theirCPU)/medianF(ourCPU)),
			goal:      "≥ 1.5×",
			met:       saveRatio >= 1.5,
			notes: []string{fmt.Sprintf("beside it, the same saves with each event signed (Ed25519 SSH signature of its content envelope, as the CLI signs): %s; CPU %s per save; %.2f× the peer's throughput",
				rates(signedSave, "events/s"), micros(signedCPU), medianF(signedSave)/medianF(theirSave))},
		},
		{
			name:      fmt.Sprintf("aggregate load, 5-event incidents (%s loads)", fmtInt(aggs)),
			product:   "ReadStream + decode + fold: " + rates(ourLoad, "loads/s"),
			baseline:  "hallgren aggregate.Load (same fold in Transition): " + rates(theirLoad, "loads/s"),
			ratio:     loadRatio,
			ratioText: "throughput ÷ peer throughput",
			goal:      "≥ 1.5×",
			met:       loadRatio >= 1.5,
		},
	}, nil
}

// loadOurs loads every incident of ids from st as a reader of one incident
// does: its stream read, decoded and folded (the stage checked).
func loadOurs(ctx context.Context, st *sqlite.Store, ids []string) error {
	for _, id := range ids {
		recs, err := st.ReadStream(ctx, domain.IncidentStream(id), eventstore.ReadOptions{})
		if err != nil {
			return err
		}
		facts, err := history.FactsOf(recs)
		if err != nil {
			return err
		}
		if inc := history.IncidentAt(id, facts, domain.Cut{}); inc.Stage != domain.StageDiagnose {
			return fmt.Errorf("incident %s loaded in stage %s, want diagnose", id, inc.Stage)
		}
	}
	return nil
}

// loadTheirs loads every aggregate of ids from the peer's store es
// (aggregate.Load, the same fold in Transition; the stage checked).
func loadTheirs(ctx context.Context, es *hsql.SQLite, ids []string) error {
	for _, id := range ids {
		a := &Incident{}
		if err := aggregate.Load(ctx, es, id, a); err != nil {
			return err
		}
		if a.n != perSave || a.state.Stage != domain.StageDiagnose {
			return fmt.Errorf("aggregate %s loaded %d events", id, a.n)
		}
	}
	return nil
}

// saveAt is the business time of every event the peer rows save.
var saveAt = time.Date(2025, 3, 7, 21, 40, 0, 0, time.UTC)

// saveOurs appends aggs incidents of perSave events each to st, one
// append per incident, and returns their IDs. With a key, each event is
// signed with it first.
func saveOurs(ctx context.Context, st *sqlite.Store, aggs int, key *benchledger.ActorKey) ([]string, error) {
	ids := make([]string, aggs)
	for i := range aggs {
		ids[i] = ledger.NewIncidentID()
		recs := make([]eventstore.Record, perSave)
		for j, e := range saveEvents(i) {
			typ, payload, err := domain.Encode(e)
			if err != nil {
				return nil, err
			}
			recs[j] = eventstore.Record{ID: uuid.Must(uuid.NewV7()), Type: typ, OccurredAt: saveAt, Actor: "oscar", Payload: payload}
		}
		if key != nil {
			if err := key.Sign(recs); err != nil {
				return nil, err
			}
		}
		if _, err := st.Append(ctx, domain.IncidentStream(ids[i]), eventstore.NoStream, recs); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// saveTheirs saves aggs aggregates of the same perSave events each to the
// peer's store es, one aggregate.Save each, and returns their IDs.
func saveTheirs(es *hsql.SQLite, aggs int) ([]string, error) {
	ids := make([]string, aggs)
	for i := range aggs {
		a := &Incident{}
		for _, e := range saveEvents(i) {
			v := reflect.New(reflect.TypeOf(e))
			v.Elem().Set(reflect.ValueOf(e))
			aggregate.TrackChange(a, v.Interface())
		}
		if err := aggregate.Save(es, a); err != nil {
			return nil, err
		}
		ids[i] = a.ID()
	}
	return ids, nil
}

// micros formats the median and range of times in microseconds.
func micros(xs []float64) string {
	lo, hi := minMaxF(xs)
	return fmt.Sprintf("%.0f µs (%.0f–%.0f)", medianF(xs), lo, hi)
}

// cpuTime returns the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
