package projections

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
	"ledger/eventstore"
)

// The audit trail reads the event store's own keys (read-only; the layout
// is eventstore's, see eventstore/keys.go):
//
//	'e' pos                  -> stored event
//	'a' kind 0 id 0 version  -> position [, count]
//	'r' region 0 pos         -> [count]
//	'u' actor 0 pos          -> [count]
//	'i' event ID             -> position
//
// An index entry stands for a run of consecutive events
// (eventstore.AggregateRun, eventstore.PositionRun).

// ErrNotFound means the asked-for aggregate or event is not in the log.
var ErrNotFound = errors.New("projections: not found")

// AuditEntry is one event of the audit trail: what was recorded, on which
// aggregate, by whom, from which command, and when by both clocks.
type AuditEntry struct {
	Position      uint64          `json:"position"`
	EventID       string          `json:"event_id"`
	Type          string          `json:"type"`
	AggregateKind string          `json:"aggregate_kind"`
	AggregateID   string          `json:"aggregate_id"`
	Version       uint64          `json:"version"`
	Region        string          `json:"region"`
	Actor         string          `json:"actor,omitempty"`
	CommandID     string          `json:"command_id"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	RecordedAt    time.Time       `json:"recorded_at"`
	OccurredAt    time.Time       `json:"occurred_at,omitzero"`
	Payload       json.RawMessage `json:"payload"`
}

// AuditQuery selects events. Set at most one of Aggregate (Kind and ID),
// Actor and Region; From and To (RecordedAt, inclusive From, exclusive To)
// narrow any of them, or alone select a time range of the whole log.
type AuditQuery struct {
	Kind, ID string // an aggregate
	Actor    string
	Region   string // a region prefix: a city code returns its villages' events
	From, To time.Time
	After    uint64 // resume after this log position (the last of the previous page)
	Limit    int    // default 100, at most 10,000
}

// AuditPage is one page of an audit query. Next is the After of the next
// page, 0 when there is none.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    uint64       `json:"next,omitempty"`
}

// Audit answers q from the event store's indexes. Entries come in log
// order. For a region prefix the index is read region by region and the
// page is sorted by position; After pages through it. A time range is
// turned into a range of positions by binary search over RecordedAt, which
// the store makes strictly increasing. Audit reads committed state only and
// is safe for concurrent use.
func Audit(ctx context.Context, db pebble.Reader, q AuditQuery) (AuditPage, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 10_000)
	lo, hi, err := positionRange(db, q.From, q.To)
	if err != nil || lo > hi {
		return AuditPage{}, err
	}
	lo = max(lo, q.After+1)
	var positions []uint64
	switch {
	case q.Kind != "" || q.ID != "":
		positions, err = aggregatePositions(ctx, db, q.Kind, q.ID, lo, hi)
	case q.Actor != "":
		positions, err = indexPositions(ctx, db, 'u', q.Actor, true, lo, hi, q.Limit+1)
	case q.Region != "":
		positions, err = indexPositions(ctx, db, 'r', q.Region, false, lo, hi, -1)
	default:
		for p := lo; p <= hi && len(positions) <= q.Limit; p++ {
			positions = append(positions, p)
		}
	}
	if err != nil {
		return AuditPage{}, err
	}
	return auditPage(db, positions, q.Limit)
}

func auditPage(db pebble.Reader, positions []uint64, limit int) (AuditPage, error) {
	sort.Slice(positions, func(i, j int) bool { return positions[i] < positions[j] })
	var page AuditPage
	if len(positions) > limit {
		positions = positions[:limit]
		page.Next = positions[limit-1]
	}
	for _, p := range positions {
		e, err := readEvent(db, p)
		if err != nil {
			return page, err
		}
		page.Entries = append(page.Entries, entryOf(&e))
	}
	return page, nil
}

func entryOf(e *eventstore.Envelope) AuditEntry {
	return AuditEntry{Position: e.Position, EventID: e.EventID, Type: e.Type, AggregateKind: e.AggregateKind,
		AggregateID: e.AggregateID, Version: e.Version, Region: e.Region, Actor: e.Actor, CommandID: e.CommandID,
		CorrelationID: e.CorrelationID, RecordedAt: e.RecordedAt, OccurredAt: e.OccurredAt, Payload: e.Payload}
}

// aggregatePositions lists the positions of an aggregate's events in [lo, hi].
func aggregatePositions(ctx context.Context, db pebble.Reader, kind, id string, lo, hi uint64) ([]uint64, error) {
	p := aggPrefix(kind, id)
	it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	for it.First(); it.Valid(); it.Next() {
		first, n, ok := eventstore.AggregateRun(it.Value())
		if !ok {
			return nil, fmt.Errorf("%w: aggregate index of %s/%s", eventstore.ErrCorrupt, kind, id)
		}
		for pos := max(first, lo); pos < first+n && pos <= hi; pos++ {
			out = append(out, pos)
		}
	}
	return out, it.Error()
}

// aggPrefix is eventstore's 'a' kind 0 id 0.
func aggPrefix(kind, id string) []byte {
	k := append([]byte{'a'}, kind...)
	k = append(k, 0)
	k = append(k, id...)
	return append(k, 0)
}

// indexPositions reads a 'r' or 'u' index: name 0 pos. With exact, only
// that name; else every name with that prefix. limit < 0: no limit.
func indexPositions(ctx context.Context, db pebble.Reader, prefix byte, name string, exact bool, lo, hi uint64, limit int) ([]uint64, error) {
	p := append([]byte{prefix}, name...)
	if exact {
		p = append(p, 0)
	}
	it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	full := func() bool { return limit >= 0 && len(out) >= limit }
	for it.First(); it.Valid() && !full(); it.Next() {
		k := it.Key()
		n, ok := eventstore.PositionRun(it.Value())
		if len(k) < 10 || k[len(k)-9] != 0 || !ok {
			continue
		}
		first := binary.BigEndian.Uint64(k[len(k)-8:])
		for pos := max(first, lo); pos < first+n && pos <= hi && !full(); pos++ {
			out = append(out, pos)
		}
	}
	return out, it.Error()
}

// positionRange maps [from, to) of RecordedAt to log positions [lo, hi];
// zero times are open ends.
func positionRange(db pebble.Reader, from, to time.Time) (lo, hi uint64, err error) {
	last, err := lastPosition(db)
	if err != nil || last == 0 {
		return 1, 0, err
	}
	lo, hi = 1, last
	if !from.IsZero() {
		if lo, err = firstAtOrAfter(db, from, last); err != nil {
			return 0, 0, err
		}
	}
	if !to.IsZero() {
		p, err := firstAtOrAfter(db, to, last)
		if err != nil {
			return 0, 0, err
		}
		hi = p - 1
	}
	return lo, hi, nil
}

// firstAtOrAfter returns the first position whose RecordedAt is not before
// t (last+1 if none), by binary search.
func firstAtOrAfter(db pebble.Reader, t time.Time, last uint64) (uint64, error) {
	var ferr error
	n := sort.Search(int(last), func(i int) bool {
		e, err := readEvent(db, uint64(i)+1)
		if err != nil {
			ferr = err
			return true
		}
		return !e.RecordedAt.Before(t)
	})
	return uint64(n) + 1, ferr
}

// lastPosition returns the position of the last event in the log.
func lastPosition(db pebble.Reader) (uint64, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{'e'}, UpperBound: []byte{'f'}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() || len(it.Key()) != 9 {
		return 0, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), nil
}

// readEvent reads and verifies the event at pos.
func readEvent(db pebble.Reader, pos uint64) (eventstore.Envelope, error) {
	var e eventstore.Envelope
	v, closer, err := db.Get(eventKey(pos))
	if errors.Is(err, pebble.ErrNotFound) {
		return e, fmt.Errorf("%w: event at position %d", ErrNotFound, pos)
	}
	if err != nil {
		return e, err
	}
	defer closer.Close()
	if len(v) < eventstore.HashSize+8 {
		return e, &eventstore.CorruptError{Position: pos, Reason: "value too short"}
	}
	body := v[:len(v)-eventstore.HashSize-8]
	if err := eventstore.DecodeCanonical(body, &e); err != nil {
		return e, &eventstore.CorruptError{Position: pos, Reason: err.Error()}
	}
	copy(e.Hash[:], v[len(body):])
	if sha256.Sum256(body) != e.Hash {
		return e, &eventstore.CorruptError{Position: pos, Reason: "hash does not match contents"}
	}
	e.Payload = bytes.Clone(e.Payload)
	e.Seq = binary.BigEndian.Uint64(v[len(v)-8:])
	e.Position = pos
	return e, nil
}

// AsOf is a point in the log: a log position, a RecordedAt time, or both
// (whichever comes first). The zero AsOf means now.
type AsOf struct {
	Position uint64
	Time     time.Time
}

// StateAt returns an aggregate's state as of a point in the log: its events
// up to that point folded with domain.DecodeEvent and domain.Evolve, and
// its version then. An aggregate with no events by then is ErrNotFound.
func StateAt(ctx context.Context, db pebble.Reader, ref domain.AggregateRef, at AsOf) (domain.State, uint64, error) {
	hi := uint64(1<<63 - 1)
	if at.Position > 0 {
		hi = at.Position
	}
	positions, err := aggregatePositions(ctx, db, string(ref.Kind), ref.ID, 1, hi)
	if err != nil {
		return nil, 0, err
	}
	st := domain.NewState(ref)
	if st == nil {
		return nil, 0, fmt.Errorf("%w: aggregate kind %q", ErrNotFound, ref.Kind)
	}
	var version uint64
	for _, p := range positions {
		e, err := readEvent(db, p)
		if err != nil {
			return nil, 0, err
		}
		if !at.Time.IsZero() && e.RecordedAt.After(at.Time) {
			break
		}
		if st, err = evolve(st, &e); err != nil {
			return nil, 0, err
		}
		version = e.Version
	}
	if version == 0 {
		return nil, 0, fmt.Errorf("%w: %s/%s as of %+v", ErrNotFound, ref.Kind, ref.ID, at)
	}
	return st, version, nil
}

// foldAggregate is StateAt up to a position, for appliers: the events
// already committed come from w.r, and those of the batch being built (in
// live ingest, where w.r is the DB) from w.group. nil when the aggregate
// has no events by then.
func (w *writer) foldAggregate(kind, id, region string, upTo uint64) (domain.State, error) {
	ref := domain.AggregateRef{Kind: domain.AggregateKind(kind), ID: id, Region: domain.Region(region)}
	st, _, err := StateAt(context.Background(), w.r, ref, AsOf{Position: max(upTo, 1)})
	found := err == nil
	if errors.Is(err, ErrNotFound) {
		st, err = domain.NewState(ref), nil
	}
	if err != nil || st == nil {
		return nil, err
	}
	for i := range w.group {
		e := &w.group[i]
		if e.Position > upTo {
			break
		}
		if e.AggregateKind != kind || e.AggregateID != id {
			continue
		}
		if st, err = evolve(st, e); err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, nil
	}
	return st, nil
}

// evolve folds one stored event into an aggregate's state.
func evolve(st domain.State, e *eventstore.Envelope) (domain.State, error) {
	ev, err := domain.DecodeEvent(e.Type, e.Payload)
	if err != nil {
		return nil, fmt.Errorf("projections: event at position %d: %w", e.Position, err)
	}
	return domain.Evolve(st, ev), nil
}
