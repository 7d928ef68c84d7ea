package history

import (
	"context"
	"fmt"

	"ledger/eventstore"
)

// Loader loads an aggregate's events in version order; *eventstore.Store
// is one.
type Loader interface {
	Load(ctx context.Context, agg eventstore.Aggregate) ([]eventstore.Envelope, error)
}

// Replay returns an aggregate's events as of a moment, in version order,
// after checking each one's hash and the aggregate's hash chain: an error
// wrapping eventstore.ErrChainBroken names the first event that does not
// follow. Only events durable on this node (with a position) are returned.
// Fold turns them into state.
func Replay(ctx context.Context, r Loader, agg eventstore.Aggregate, at AsOf) ([]eventstore.Envelope, error) {
	all, err := r.Load(ctx, agg)
	if err != nil {
		return nil, err
	}
	var prev eventstore.Envelope
	out := all[:0]
	for i := range all {
		e := &all[i]
		if e.Position == 0 || at.past(e) {
			break // versions and positions grow together
		}
		if e.ComputeHash() != e.Hash || e.PrevHash != prev.Hash || e.Version != prev.Version+1 {
			return nil, &eventstore.ChainError{Position: e.Position, Seq: e.Seq, Aggregate: agg.String(),
				Version: e.Version, HeadVersion: prev.Version}
		}
		prev = *e
		if at.Includes(e) {
			out = append(out, *e)
		}
	}
	return out, nil
}

// String describes the moment for messages, naming the clock of a time.
func (a AsOf) String() string {
	switch {
	case a.Position == 0 && a.Time.IsZero():
		return "now"
	case a.Time.IsZero():
		return fmt.Sprintf("position %d", a.Position)
	case a.Position == 0:
		return fmt.Sprintf("%s (%s)", a.Time.Format("2006-01-02T15:04:05.999999999Z07:00"), a.Clock)
	}
	return fmt.Sprintf("position %d and %s (%s)", a.Position, a.Time.Format("2006-01-02T15:04:05.999999999Z07:00"), a.Clock)
}
