package projections

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

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
	total, err := lastPosition(db)
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
// Two goroutines share the work: a reader walks the log and splits each
// stored event into its fields (readLog), and this goroutine applies them
// in order, in chunks.
func replay(ctx context.Context, db *pebble.DB, ps []projection, total uint64, progress func(done, total uint64)) error {
	opts := Options{CacheEntries: 1 << 20}
	as := make([]*applier, len(ps))
	for i, p := range ps {
		as[i] = newApplier(p, withDefaults(opts))
		as[i].loaded = true
		lo, hi := prefixBounds(p.short())
		if err := as[i].w.c.watch(db, lo, hi); err != nil {
			return err
		}
	}
	alloc := func() *logChunk {
		return &logChunk{recs: make([]rec, 0, chunkEvents), arena: make([]byte, 0, chunkEvents*768)}
	}
	b := db.NewBatch()
	var done uint64
	var applyErr error
	apply := func(ch *logChunk) bool {
		for i := range ch.recs {
			for _, a := range as {
				a.w.b, a.w.r = b, db
				if applyErr = a.applyOne(&ch.recs[i]); applyErr != nil {
					return false
				}
			}
			if done++; done%rebuildBatch == 0 {
				if b, applyErr = commitReplay(db, b, as); applyErr != nil {
					return false
				}
				if progress != nil {
					progress(done, total)
				}
				if applyErr = ctx.Err(); applyErr != nil {
					return false
				}
			}
		}
		applyErr = ch.err
		return applyErr == nil
	}
	stopped, err := relay.Run(ctx, alloc, func(p *relay.Producer[logChunk]) error { return readLog(ctx, db, p) }, apply)
	if stopped {
		return applyErr
	}
	if err != nil {
		return err
	}
	if _, err = commitReplay(db, b, as); err != nil {
		return err
	}
	if progress != nil {
		progress(done, total)
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
	it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: eventKey(1), UpperBound: []byte{'f'}})
	if err != nil {
		return err
	}
	defer it.Close()
	ch, ok := p.Next()
	if !ok {
		return p.Err()
	}
	ch.reset()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 9 {
			continue
		}
		if len(ch.recs) == cap(ch.recs) {
			if !p.Send(ch) {
				return p.Err()
			}
			if ch, ok = p.Next(); !ok {
				return p.Err()
			}
			ch.reset()
		}
		pos := binary.BigEndian.Uint64(k[1:])
		n := len(ch.arena)
		ch.arena = append(ch.arena, it.Value()...) // a bigger arena leaves earlier recs on the old one, still valid
		ch.recs = append(ch.recs, rec{})
		if err := ch.recs[len(ch.recs)-1].fromStored(pos, ch.arena[n:]); err != nil {
			ch.recs = ch.recs[:len(ch.recs)-1]
			ch.err = fmt.Errorf("%w at position %d", err, pos)
			break
		}
	}
	if err := it.Error(); err != nil && ch.err == nil {
		ch.err = err
	}
	if !p.Send(ch) {
		return p.Err()
	}
	return nil
}

// commitReplay flushes every applier into b, commits it, trims the caches
// and returns a fresh batch.
func commitReplay(db *pebble.DB, b *pebble.Batch, as []*applier) (*pebble.Batch, error) {
	for _, a := range as {
		a.w.b = b
		if err := a.finish(); err != nil {
			return nil, err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return nil, fmt.Errorf("projections: commit rebuild batch: %w", err)
	}
	b.Close()
	return db.NewBatch(), nil
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
