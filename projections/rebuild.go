package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"ledger/eventstore"
	"ledger/internal/relay"
)

// rebuildBatch is how many events a rebuild applies per committed batch.
const rebuildBatch = 32 << 10

// Rebuild drops the read model called name (or every read model when name
// is "" or "all") and replays the whole log from position 1 into it, in
// large batches committed without fsync, then syncs once. progress, when
// not nil, is called after each batch with the events done and the log's
// length. The result is byte-identical to the read model built live.
//
// Rebuild must not run while a store ingests into db: it writes the read
// models' keys behind the Appliers' caches. Run it before opening the
// store (the CLI's "rebuild" command) or on a copy.
func Rebuild(ctx context.Context, db *pebble.DB, name string, progress func(done, total uint64)) error {
	var ps []projection
	for _, p := range allProjections() {
		if name == "" || name == "all" || name == p.name() {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return fmt.Errorf("%w: read model %q", ErrNotFound, name)
	}
	for _, p := range ps {
		lo, hi := prefixBounds(p.short())
		if err := db.DeleteRange(lo, hi, pebble.NoSync); err != nil {
			return fmt.Errorf("projections: drop %s: %w", p.name(), err)
		}
	}
	total, err := eventstore.LogOf(db).LastPosition()
	if err != nil {
		return err
	}
	if err := replay(ctx, db, ps, total, progress); err != nil {
		return err
	}
	return db.LogData(nil, pebble.Sync)
}

// replay applies the log to fresh appliers of ps. Reads on a cache miss go
// to the DB: the caches are only trimmed after a commit, so every value
// written into an uncommitted batch is still cached.
//
// A reader walks the log and splits each stored event into its fields
// (readLog); each read model applies every chunk on a goroutine of its
// own, into a batch of its own: they share nothing but the chunk, which
// goes back to the reader once all are done with it. With one goroutine
// applying every read model, applying was the slower half.
func replay(ctx context.Context, db *pebble.DB, ps []projection, total uint64, progress func(done, total uint64)) error {
	opts := Options{CacheEntries: 1 << 20}
	rs := make([]*replayer, len(ps))
	for i, p := range ps {
		a := newApplier(p, withDefaults(opts))
		a.loaded = true
		lo, hi := prefixBounds(p.short())
		if err := a.w.c.watch(db, lo, hi); err != nil {
			return err
		}
		a.w.b, a.w.r = db.NewBatch(), db
		rs[i] = &replayer{a: a, db: db}
	}
	alloc := func() *logChunk {
		return &logChunk{recs: make([]rec, 0, chunkEvents), arena: make([]byte, 0, chunkEvents*768)}
	}
	var done uint64
	var applyErr error
	apply := func(ch *logChunk) bool {
		var wg sync.WaitGroup
		for _, r := range rs {
			wg.Go(func() { r.apply(ch.recs) })
		}
		wg.Wait()
		for _, r := range rs {
			if r.err != nil {
				applyErr = r.err
				return false
			}
		}
		before := done
		if done += uint64(len(ch.recs)); progress != nil && done/rebuildBatch != before/rebuildBatch {
			progress(done, total)
		}
		if applyErr = ch.err; applyErr != nil {
			return false
		}
		applyErr = ctx.Err()
		return applyErr == nil
	}
	stopped, err := relay.Run(ctx, alloc, func(p *relay.Producer[logChunk]) error { return readLog(ctx, db, p) }, apply)
	for _, r := range rs {
		if r.err == nil && !stopped && err == nil {
			r.err = r.commit(false)
		}
		r.a.w.b.Close()
		if err == nil && r.err != nil {
			err = r.err
		}
	}
	if stopped {
		return applyErr
	}
	if err != nil {
		return err
	}
	if progress != nil {
		progress(done, total)
	}
	return nil
}

// replayer applies the log to one read model during a rebuild.
type replayer struct {
	a    *applier
	db   *pebble.DB
	done uint64 // events applied
	err  error  // why it stopped
}

// apply applies recs, committing every rebuildBatch events.
func (r *replayer) apply(recs []rec) {
	if r.err != nil {
		return
	}
	for i := range recs {
		if r.err = r.a.applyOne(&recs[i]); r.err != nil {
			return
		}
		if r.done++; r.done%rebuildBatch == 0 {
			if r.err = r.commit(true); r.err != nil {
				return
			}
		}
	}
}

// commit flushes the applier's cache and checkpoint into its batch and
// commits it; with more to come, it starts a new batch.
func (r *replayer) commit(more bool) error {
	a := r.a
	if err := a.finish(); err != nil {
		return err
	}
	if err := a.w.b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("projections: commit rebuild batch of %s: %w", a.p.name(), err)
	}
	if more {
		a.w.b.Close()
		a.w.b = r.db.NewBatch()
	}
	return nil
}

// chunkEvents is how many events the reader hands over at a time.
const chunkEvents = 4096

// logChunk is a run of stored events split into fields; the fields point
// into arena, which holds copies of the stored values.
type logChunk struct {
	recs  []rec
	arena []byte
	err   error // why the reader stopped after recs, if it failed
}

func (ch *logChunk) reset() { ch.recs, ch.arena, ch.err = ch.recs[:0], ch.arena[:0], nil }

// readLog is the reader's side of replay. A read error or an undecodable
// event ends the last chunk it sends.
func readLog(ctx context.Context, db *pebble.DB, p *relay.Producer[logChunk]) error {
	ch, ok := p.Next()
	if !ok {
		return p.Err()
	}
	ch.reset()
	errStop := errors.New("consumer gone")
	err := eventstore.LogOf(db).ScanStored(ctx, 1, 0, func(s *eventstore.Stored) error {
		if len(ch.recs) == cap(ch.recs) {
			if !p.Send(ch) {
				return errStop
			}
			if ch, ok = p.Next(); !ok {
				return errStop
			}
			ch.reset()
		}
		n := len(ch.arena)
		ch.arena = append(ch.arena, s.Canonical...) // a bigger arena leaves earlier recs on the old one, still valid
		ch.recs = append(ch.recs, rec{})
		if err := ch.recs[len(ch.recs)-1].fromCanonical(s.Position, ch.arena[n:]); err != nil {
			ch.recs = ch.recs[:len(ch.recs)-1]
			return fmt.Errorf("%w at position %d", err, s.Position)
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return p.Err()
	}
	var c *eventstore.CorruptError
	if errors.As(err, &c) && !errors.Is(err, errStored) {
		err = fmt.Errorf("%w: %w", errStored, err)
	}
	ch.err = err
	if !p.Send(ch) {
		return p.Err()
	}
	return nil
}

func withDefaults(o Options) Options {
	if o.CacheEntries == 0 {
		o.CacheEntries = 200_000
	}
	if o.Logger == nil {
		o.Logger = discardLogger
	}
	return o
}
