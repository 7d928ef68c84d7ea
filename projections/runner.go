package projections

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"ledger/eventstore"
)

// Names of the read models, as Applier names and for [Rebuild].
const (
	Turnout       = "turnout"
	Results       = "results"
	Recon         = "recon"
	Consultations = "consult"
	Supervision   = "superv"
	Regions       = "regions"
)

// projection folds events into one read model. apply reads and writes
// through w; it records a failure in w.err and leaves malformed events to
// w.skip.
type projection interface {
	name() string
	short() string
	apply(w *writer, e *rec)
}

func allProjections() []projection {
	return []projection{turnoutProj{}, resultsProj{}, reconProj{}, consultProj{}, supervProj{}, regionsProj{}}
}

// Options configure a [Set]. The zero value means defaults.
type Options struct {
	// CacheEntries bounds each read model's write-side cache. Default 200,000.
	CacheEntries int
	// Logger receives warnings about events that cannot be applied.
	// Default: discard.
	Logger *slog.Logger
	// Only, when not empty, limits the Set to the named read models.
	Only []string
}

var discardLogger = slog.New(slog.DiscardHandler)

// Set is the group of read models of one node. Register its Appliers with
// the event store; query the read models with the package's query
// functions on the store's DB.
type Set struct {
	appliers []*applier
}

// New returns the read models. The event store binds each Applier to its
// database before ingest starts; writes go into the ingest batch.
func New(opts Options) *Set {
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 200_000
	}
	if opts.Logger == nil {
		opts.Logger = discardLogger
	}
	s := &Set{}
	for _, p := range allProjections() {
		if len(opts.Only) > 0 && !contains(opts.Only, p.name()) {
			continue
		}
		s.appliers = append(s.appliers, newApplier(p, opts))
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// Appliers returns the read models as event store Appliers, for
// eventstore.Config.Appliers. Each must be registered with one store only.
func (s *Set) Appliers() []eventstore.Applier {
	out := make([]eventstore.Applier, len(s.appliers))
	for i, a := range s.appliers {
		out[i] = a
	}
	return out
}

// Skipped returns how many events the read models skipped because their
// payloads did not decode (each is logged).
func (s *Set) Skipped() uint64 {
	var n uint64
	for _, a := range s.appliers {
		n += a.skipped.Load()
	}
	return n
}

// applier runs one projection: checkpoint, catch-up, cache, flush.
type applier struct {
	p       projection
	db      *pebble.DB // committed state, read on cache misses (see Bind)
	log     *slog.Logger
	w       writer
	cp      uint64
	loaded  bool
	skipped atomic.Uint64
	buf     []byte
	r       rec
}

func newApplier(p projection, opts Options) *applier {
	a := &applier{p: p, log: opts.Logger}
	a.w = writer{c: newCache(opts.CacheEntries), short: p.short(), a: a}
	return a
}

// Name returns the read model's name.
func (a *applier) Name() string { return a.p.name() }

// Bind implements eventstore.Binder: cache misses and catch-up read the
// node's database. The cache is trimmed only after a flush, and the store
// commits each batch before the next Apply, so the database and the cache
// together always hold the read model's latest values.
func (a *applier) Bind(db *pebble.DB) error {
	a.db = db
	lo, hi := prefixBounds(a.p.short())
	return a.w.c.watch(db, lo, hi)
}

// Apply folds events (in log order) into the read model in b, the batch
// that also holds the events, and writes its checkpoint into b. Reads go
// to the bound database, or to b when none is bound (b must then be
// indexed). Events at or below the checkpoint are skipped; a gap between
// the checkpoint and the first event is filled from the log first. An
// error means the batch must not be committed; the Set is then unusable.
func (a *applier) Apply(b *pebble.Batch, events []eventstore.Envelope) error {
	a.w.b, a.w.r = b, b
	if a.db != nil {
		// b is write-only: committed state comes from the database, and
		// the batch's own events from events.
		a.w.r, a.w.group = a.db, events
		defer func() { a.w.group = nil }()
	}
	if err := a.loadCheckpoint(a.w.r); err != nil {
		return err
	}
	if len(events) > 0 && events[0].Position > a.cp+1 {
		if err := a.catchUp(a.w.r, events[0].Position-1); err != nil {
			return err
		}
	}
	for i := range events {
		if events[i].Position <= a.cp {
			continue
		}
		a.r.fromEnvelope(&events[i])
		if err := a.applyOne(&a.r); err != nil {
			return err
		}
	}
	return a.finish()
}

func (a *applier) loadCheckpoint(r pebble.Reader) error {
	if a.loaded {
		return nil
	}
	v, closer, err := r.Get(checkpointKey(a.p.short()))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		a.cp = 0
	case err != nil:
		return fmt.Errorf("projections: %s: read checkpoint: %w", a.p.name(), err)
	default:
		if len(v) != 8 {
			closer.Close()
			return fmt.Errorf("%w: checkpoint of %s", errBadValue, a.p.name())
		}
		a.cp = binary.BigEndian.Uint64(v)
		closer.Close()
	}
	a.loaded = true
	return nil
}

func (a *applier) applyOne(r *rec) error {
	a.p.apply(&a.w, r)
	if a.w.err != nil {
		err := a.w.err
		a.w.err = nil
		return fmt.Errorf("projections: %s at position %d: %w", a.p.name(), r.pos, err)
	}
	a.cp = r.pos
	return nil
}

// finish flushes the cache and the checkpoint into the batch.
func (a *applier) finish() error {
	var err error
	if a.buf, err = a.w.c.flush(a.w.b, a.buf); err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], a.cp)
	if err := a.w.b.Set(checkpointKey(a.p.short()), v[:], nil); err != nil {
		return err
	}
	return a.w.c.trim()
}

// catchUp applies the logged events after the checkpoint up to position to.
func (a *applier) catchUp(r pebble.Reader, to uint64) error {
	a.log.Info("read model catching up from the log", "name", a.p.name(), "from", a.cp+1, "to", to)
	return scanLog(r, a.cp+1, to, func(e *rec) error { return a.applyOne(e) })
}

// scanLog calls fn with each stored event from position from to to
// (inclusive), decoded into a reused rec.
func scanLog(r pebble.Reader, from, to uint64, fn func(*rec) error) error {
	var e rec
	err := eventstore.LogOf(r).ScanStored(context.Background(), from, to+1, func(s *eventstore.Stored) error {
		if err := e.fromCanonical(s.Position, s.Canonical); err != nil {
			return fmt.Errorf("%w at position %d", err, s.Position)
		}
		return fn(&e)
	})
	var c *eventstore.CorruptError
	if errors.As(err, &c) && !errors.Is(err, errStored) {
		err = fmt.Errorf("%w: %w", errStored, err)
	}
	return err
}

// writer is what a projection reads and changes state through.
type writer struct {
	a     *applier
	b     *pebble.Batch         // changes go here
	r     pebble.Reader         // reads on a cache miss: committed state (the DB), or an indexed batch
	group []eventstore.Envelope // events being applied whose batch r cannot see (live ingest)
	c     *cache
	short string
	kb    []byte // scratch key
	err   error
}

// skip records an event that could not be applied (malformed payload).
func (w *writer) skip(e *rec, why string) {
	w.a.skipped.Add(1)
	w.a.log.Warn("read model skipped an event", "name", w.a.p.name(), "position", e.pos, "type", string(e.typ), "why", why)
}

func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// add adds d to column col (and to col2 when col2 >= 0) of the counter
// vector of width columns at key.
func (w *writer) add(key []byte, width, col, col2 int, d int64) {
	cl, err := w.c.load(w.r, key, true)
	if err != nil {
		w.fail(err)
		return
	}
	if len(cl.vec) < width {
		cl.vec = append(cl.vec, make([]int64, width-len(cl.vec))...)
	}
	cl.vec[col] += d
	if col2 >= 0 {
		cl.vec[col2] += d
	}
	w.c.markDirty(cl)
}

// blob returns the blob at key (nil when absent). The caller must not
// modify it.
func (w *writer) blob(key []byte) []byte {
	cl, err := w.c.load(w.r, key, false)
	if err != nil {
		w.fail(err)
		return nil
	}
	return cl.blob
}

// setBlob replaces the blob at key; v is kept, not copied.
func (w *writer) setBlob(key []byte, v []byte) {
	cl, err := w.c.load(w.r, key, false)
	if err != nil {
		w.fail(err)
		return
	}
	cl.blob = v
	w.c.markDirty(cl)
}

// put writes an index entry that nothing reads back on the write side.
func (w *writer) put(key, v []byte) {
	if err := w.b.Set(key, v, nil); err != nil {
		w.fail(err)
	}
}
