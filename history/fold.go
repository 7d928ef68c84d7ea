package history

import (
	"context"
	"errors"
	"fmt"

	"ledger/domain"
	"ledger/eventstore"
)

// ErrNotFound means the asked-for aggregate or event is not in the log (or
// not yet, as of the moment asked).
var ErrNotFound = errors.New("history: not found")

// ErrBadClock means a clock was named that is neither occurred nor
// recorded.
var ErrBadClock = errors.New("history: unknown clock")

// Evolve folds one recorded event into an aggregate's state.
func Evolve(st domain.State, e *eventstore.Envelope) (domain.State, error) {
	ev, err := domain.DecodeEvent(e.Type, e.Payload)
	if err != nil {
		return nil, fmt.Errorf("history: event at position %d: %w", e.Position, err)
	}
	return domain.Evolve(st, ev), nil
}

// Fold rebuilds an aggregate's state from its events in version order.
func Fold(ref domain.AggregateRef, events []eventstore.Envelope) (domain.State, error) {
	st := domain.NewState(ref)
	if st == nil {
		return nil, fmt.Errorf("%w: aggregate kind %q", ErrNotFound, ref.Kind)
	}
	var err error
	for i := range events {
		if st, err = Evolve(st, &events[i]); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// RefOf returns the domain's name of an aggregate.
func RefOf(a eventstore.Aggregate) domain.AggregateRef {
	return domain.AggregateRef{Kind: domain.AggregateKind(a.Kind), ID: a.ID, Region: domain.Region(a.Region)}
}

// StateAt returns an aggregate's state as of a moment, read from log: its
// events by then folded in version order, and its version then. Each
// event's hash is checked as it is read. An aggregate with no events by
// then is ErrNotFound.
func StateAt(ctx context.Context, log eventstore.Log, ref domain.AggregateRef, at AsOf) (domain.State, uint64, error) {
	hi := uint64(1<<63 - 1)
	if at.Position > 0 {
		hi = at.Position
	}
	positions, err := log.AggregatePositions(ctx, string(ref.Kind), ref.ID, 1, hi)
	if err != nil {
		return nil, 0, err
	}
	st := domain.NewState(ref)
	if st == nil {
		return nil, 0, fmt.Errorf("%w: aggregate kind %q", ErrNotFound, ref.Kind)
	}
	var version uint64
	for _, p := range positions {
		e, err := log.EventAt(p)
		if err != nil {
			return nil, 0, err
		}
		if !at.Includes(&e) {
			if at.past(&e) {
				break
			}
			continue
		}
		if st, err = Evolve(st, &e); err != nil {
			return nil, 0, err
		}
		version = e.Version
	}
	if version == 0 {
		return nil, 0, fmt.Errorf("%w: %s/%s as of %+v", ErrNotFound, ref.Kind, ref.ID, at)
	}
	return st, version, nil
}
