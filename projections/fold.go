package projections

import (
	"context"
	"errors"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/history"
)

// foldAggregate is history.StateAt up to a position, for appliers: the
// events already committed come from w.r, and those of the batch being
// built (in live ingest, where w.r is the DB) from w.group. nil when the
// aggregate has no events by then.
func (w *writer) foldAggregate(kind, id, region string, upTo uint64) (domain.State, error) {
	ref := domain.AggregateRef{Kind: domain.AggregateKind(kind), ID: id, Region: domain.Region(region)}
	st, _, err := history.StateAt(context.Background(), eventstore.LogOf(w.r), ref, history.AsOf{Position: max(upTo, 1)})
	found := err == nil
	if errors.Is(err, history.ErrNotFound) {
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
		if st, err = history.Evolve(st, e); err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, nil
	}
	return st, nil
}
