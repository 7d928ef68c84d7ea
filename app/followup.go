package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/oklog/ulid/v2"

	"ledger/domain"
	"ledger/eventstore"
)

// eventFinder is what citing recorded events needs of the store.
type eventFinder interface {
	EventByID(id string) (eventstore.Envelope, error)
}

// cited looks up the events cmd cites (domain.Citer); one that cannot be
// found is left out, and the domain says which. A store that cannot look
// events up leaves every citation unresolved.
func (l *Ledger) cited(cmd domain.Command) (map[string]domain.CitedEvent, error) {
	c, ok := cmd.(domain.Citer)
	f, canFind := l.store.(eventFinder)
	if !ok || !canFind {
		return nil, nil
	}
	out := map[string]domain.CitedEvent{}
	for _, id := range c.Cites() {
		e, err := f.EventByID(id)
		if errors.Is(err, eventstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("app: look up cited event %s: %w", id, err)
		}
		out[id] = domain.CitedEvent{Type: e.Type, Aggregate: domain.AggregateRef{
			Kind: domain.AggregateKind(e.AggregateKind), ID: e.AggregateID, Region: domain.Region(e.Region)}}
	}
	return out, nil
}

// followUps records the follow-ups of a command, in order, each caused by
// it, with a command ID derived from its own (so that a retry of the
// command records each follow-up once). A follow-up the domain refuses is
// reported in its FollowUp, not as an error: the command stays recorded.
func (l *Ledger) followUps(ctx context.Context, cmds []domain.Command, meta Meta) ([]FollowUp, error) {
	out := make([]FollowUp, 0, len(cmds))
	for i, c := range cmds {
		m := meta
		m.CommandID, m.CausationID = followUpID(meta.CommandID, i), meta.CommandID
		if m.CorrelationID == "" {
			m.CorrelationID = meta.CommandID
		}
		f := FollowUp{CommandType: c.CommandType(), CommandID: m.CommandID}
		o, err := l.Execute(ctx, c, m)
		if derr, ok := domain.AsError(err); ok {
			f.Error = derr
		} else if err != nil {
			return out, fmt.Errorf("app: follow-up %s of command %s: %w", c.CommandType(), meta.CommandID, err)
		} else {
			f.Outcome = &o
		}
		out = append(out, f)
	}
	return out, nil
}

// followUpID derives the i-th follow-up's command ID from the command's:
// the same millisecond, entropy from a hash of both.
func followUpID(commandID string, i int) string {
	var ms uint64
	if u, err := ulid.ParseStrict(commandID); err == nil {
		ms = u.Time()
	}
	h := sha256.Sum256(fmt.Appendf(nil, "follow-up/%s/%d", commandID, i))
	var u ulid.ULID
	_ = u.SetTime(ms)
	_ = u.SetEntropy(h[:10])
	return u.String()
}

// AllEvents returns the events of the command and of its follow-ups, in
// the order they were recorded.
func (o Outcome) AllEvents() []eventstore.Envelope {
	out := o.Events
	for _, f := range o.FollowUps {
		if f.Outcome != nil {
			out = append(out[:len(out):len(out)], f.Outcome.AllEvents()...)
		}
	}
	return out
}
