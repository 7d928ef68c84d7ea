package history

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"ledger/eventstore"
)

// Entry is one event of the audit trail: what was recorded, on which
// aggregate, by whom, from which command, and when by both clocks.
type Entry struct {
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

// Query selects events. Set at most one of Aggregate (Kind and ID),
// Actor and Region; From and To (inclusive From, exclusive To, on Clock)
// narrow any of them, or alone select a time range of the whole log.
type Query struct {
	Kind, ID string // an aggregate
	Actor    string
	Region   string // a region prefix: a city code returns its villages' events
	From, To time.Time
	Clock    Clock  // the time From and To are read on: Recorded (the default) or Occurred
	After    uint64 // resume after this log position (the last of the previous page)
	Limit    int    // default 100, at most 10,000
}

// ScanBudget is the most events Trail reads for one page on the occurred
// clock, where times do not follow the log's order.
const ScanBudget = 20_000

// Page is one page of a trail query. Next is the After of the next page,
// 0 when there is none. On the occurred clock a page may hold fewer than
// Limit entries, even none, and still have a Next: it reads at most
// ScanBudget events.
type Page struct {
	Entries []Entry `json:"entries"`
	Next    uint64  `json:"next,omitempty"`
}

// Trail answers q from the event store's indexes. Entries come in log
// order. For a region prefix the index is read region by region and the
// page is sorted by position; After pages through it. A time range is
// turned into a range of positions by binary search over RecordedAt, which
// the store makes strictly increasing. Trail reads what log holds and is
// safe for concurrent use when log is.
func Trail(ctx context.Context, log eventstore.Log, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 10_000)
	if q.Clock == Occurred && !(q.From.IsZero() && q.To.IsZero()) {
		return occurredTrail(ctx, log, q)
	}
	lo, hi, err := positionRange(log, q.From, q.To)
	if err != nil || lo > hi {
		return Page{}, err
	}
	lo = max(lo, q.After+1)
	var positions []uint64
	switch {
	case q.Kind != "" || q.ID != "":
		positions, err = log.AggregatePositions(ctx, q.Kind, q.ID, lo, hi)
	case q.Actor != "":
		positions, err = log.IndexPositions(ctx, eventstore.ByActor, q.Actor, true, lo, hi, q.Limit+1)
	case q.Region != "":
		positions, err = log.IndexPositions(ctx, eventstore.ByRegion, q.Region, false, lo, hi, -1)
	default:
		for p := lo; p <= hi && len(positions) <= q.Limit; p++ {
			positions = append(positions, p)
		}
	}
	if err != nil {
		return Page{}, err
	}
	return page(log, positions, q.Limit)
}

func page(log eventstore.Log, positions []uint64, limit int) (Page, error) {
	sort.Slice(positions, func(i, j int) bool { return positions[i] < positions[j] })
	var pg Page
	if len(positions) > limit {
		positions = positions[:limit]
		pg.Next = positions[limit-1]
	}
	for _, p := range positions {
		e, err := log.EventAt(p)
		if err != nil {
			return pg, err
		}
		pg.Entries = append(pg.Entries, entryOf(&e))
	}
	return pg, nil
}

func entryOf(e *eventstore.Envelope) Entry {
	return Entry{Position: e.Position, EventID: e.EventID, Type: e.Type, AggregateKind: e.AggregateKind,
		AggregateID: e.AggregateID, Version: e.Version, Region: e.Region, Actor: e.Actor, CommandID: e.CommandID,
		CorrelationID: e.CorrelationID, RecordedAt: e.RecordedAt, OccurredAt: e.OccurredAt, Payload: e.Payload}
}

// positionRange maps [from, to) of RecordedAt to log positions [lo, hi];
// zero times are open ends.
func positionRange(log eventstore.Log, from, to time.Time) (lo, hi uint64, err error) {
	last, err := log.LastPosition()
	if err != nil || last == 0 {
		return 1, 0, err
	}
	lo, hi = 1, last
	if !from.IsZero() {
		if lo, err = log.FirstRecordedAtOrAfter(from, last); err != nil {
			return 0, 0, err
		}
	}
	if !to.IsZero() {
		p, err := log.FirstRecordedAtOrAfter(to, last)
		if err != nil {
			return 0, 0, err
		}
		hi = p - 1
	}
	return lo, hi, nil
}

// occurredTrail answers a query whose time range is on the occurred clock:
// the candidates after q.After (at most ScanBudget of them) are read in log
// order and kept when they occurred within [From, To).
func occurredTrail(ctx context.Context, log eventstore.Log, q Query) (Page, error) {
	last, err := log.LastPosition()
	if err != nil || last <= q.After {
		return Page{}, err
	}
	lo := q.After + 1
	var positions []uint64
	switch {
	case q.Kind != "" || q.ID != "":
		positions, err = log.AggregatePositions(ctx, q.Kind, q.ID, lo, last)
	case q.Actor != "":
		positions, err = log.IndexPositions(ctx, eventstore.ByActor, q.Actor, true, lo, last, ScanBudget+1)
	case q.Region != "":
		positions, err = log.IndexPositions(ctx, eventstore.ByRegion, q.Region, false, lo, last, -1)
		sort.Slice(positions, func(i, j int) bool { return positions[i] < positions[j] })
	default:
		for p := lo; p <= last && len(positions) <= ScanBudget; p++ {
			positions = append(positions, p)
		}
	}
	if err != nil {
		return Page{}, err
	}
	return occurredPage(log, positions, q)
}

// occurredPage reads positions (ascending) until q.Limit entries occurred
// within q's range, or ScanBudget events were read.
func occurredPage(log eventstore.Log, positions []uint64, q Query) (Page, error) {
	var pg Page
	for i, p := range positions {
		if i == ScanBudget {
			pg.Next = positions[i-1]
			break
		}
		e, err := log.EventAt(p)
		if err != nil {
			return pg, err
		}
		t := OccurredAt(&e)
		if (!q.From.IsZero() && t.Before(q.From)) || (!q.To.IsZero() && !t.Before(q.To)) {
			continue
		}
		if len(pg.Entries) == q.Limit {
			pg.Next = pg.Entries[q.Limit-1].Position
			break
		}
		pg.Entries = append(pg.Entries, entryOf(&e))
	}
	return pg, nil
}
