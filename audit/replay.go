package audit

import (
	"context"
	"fmt"
	"time"

	"ledger/eventstore"
)

// AggregateLoader loads an aggregate's events in version order;
// *eventstore.Store is one.
type AggregateLoader interface {
	Load(ctx context.Context, agg eventstore.Aggregate) ([]eventstore.Envelope, error)
}

// At names a moment of the log: the events at or before Position (when
// non-zero) and recorded at or before Time (when non-zero). The zero At
// is now.
type At struct {
	Position uint64
	Time     time.Time
}

func (a At) includes(e *eventstore.Envelope) bool {
	return (a.Position == 0 || e.Position <= a.Position) && (a.Time.IsZero() || !e.RecordedAt.After(a.Time))
}

// Replay returns an aggregate's events as of a moment, in version order,
// after checking each one's hash and the aggregate's hash chain (an error
// wrapping ErrForged names the first bad one). Only events durable on this
// node (with a position) are returned. The caller folds them into state
// (domain Evolve); audit stays free of domain types.
func Replay(ctx context.Context, r AggregateLoader, agg eventstore.Aggregate, at At) ([]eventstore.Envelope, error) {
	all, err := r.Load(ctx, agg)
	if err != nil {
		return nil, err
	}
	var prev eventstore.Envelope
	out := all[:0]
	for i := range all {
		e := &all[i]
		if e.Position == 0 || !at.includes(e) {
			break // versions and positions grow together
		}
		if e.ComputeHash() != e.Hash || e.PrevHash != prev.Hash || e.Version != prev.Version+1 {
			return nil, fmt.Errorf("%w: position %d (%s version %d) does not follow its aggregate's chain", ErrForged, e.Position, agg, e.Version)
		}
		prev = *e
		out = append(out, *e)
	}
	return out, nil
}
