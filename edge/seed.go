package edge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/node"
)

// ErrNotDelegated means the hub's log does not delegate the station to
// this edge (never, or reclaimed since).
var ErrNotDelegated = errors.New("edge: the station is not delegated to this edge at the hub")

// Station names the station an edge records and its election.
type Station struct {
	ID, ElectionID, Region string
}

// Seed copies into the edge's log what the edge needs from the hub to
// decide its station's commands: the station's history up to its
// delegation to edge, and its election's history (the roll, proxies,
// candidates), each aggregate from the version the edge already has. It
// reads the hub's stream through the leaf link (JetStream domain hub) and
// appends each hub message as one message with the same command ID, actor
// and times. It fails with ErrNotDelegated when the hub's latest word on
// the station is not a delegation to edge. It is safe to call again: what
// the edge has is not copied twice.
func Seed(ctx context.Context, n *node.Node, hubDomain, stationID, edge string) (Station, error) {
	js, err := jetstream.NewWithDomain(n.Store.Conn(), hubDomain)
	if err != nil {
		return Station{}, fmt.Errorf("edge: hub JetStream: %w", err)
	}
	pfx := n.Store.SubjectPrefix()
	msgs, err := hubMessages(ctx, js, n.Store.StreamName(), pfx+".*.*.*.*.*."+string(domain.KindStation)+"."+stationID)
	if err != nil {
		return Station{}, err
	}
	upTo, st, err := delegation(msgs, stationID, edge)
	if err != nil {
		return Station{}, err
	}
	if err := copyMessages(ctx, n, msgs[:upTo]); err != nil {
		return st, err
	}
	if err := refreshElection(ctx, n, js, st.election()); err != nil {
		return st, err
	}
	return st, nil
}

// refreshElection copies the election's hub history that the edge lacks.
func refreshElection(ctx context.Context, n *node.Node, js jetstream.JetStream, agg eventstore.Aggregate) error {
	msgs, err := hubMessages(ctx, js, n.Store.StreamName(), eventstore.Subject(n.Store.SubjectPrefix(), agg))
	if err != nil {
		return err
	}
	return copyMessages(ctx, n, msgs)
}

// hubMessages reads every message of the hub's stream on subject, in
// order, each decoded into its events.
func hubMessages(ctx context.Context, js jetstream.JetStream, stream, subject string) ([][]eventstore.Envelope, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("edge: the hub's stream %s: %w", stream, err)
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return nil, fmt.Errorf("edge: read the hub's %s: %w", subject, err)
	}
	var out [][]eventstore.Envelope
	for {
		batch, err := c.FetchNoWait(256)
		if err != nil {
			return nil, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			evs, err := eventstore.DecodeMessage(m.Headers(), m.Data(), md.Sequence.Stream)
			if err != nil {
				return nil, fmt.Errorf("edge: hub message %d: %w", md.Sequence.Stream, err)
			}
			out = append(out, evs)
			if md.NumPending == 0 {
				return out, batch.Error()
			}
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
		if got == 0 {
			return out, nil
		}
	}
}

// delegation returns how many of the station's hub messages to copy (up
// to and including its latest delegation to edge) and the station's
// election and region, or ErrNotDelegated.
func delegation(msgs [][]eventstore.Envelope, stationID, edge string) (int, Station, error) {
	st := Station{ID: stationID}
	upTo := -1
	for i, m := range msgs {
		for _, e := range m {
			st.Region = e.Region
			ev, err := domain.DecodeEvent(e.Type, e.Payload)
			if err != nil {
				return 0, st, err
			}
			switch ev := ev.(type) {
			case domain.StationEstablished:
				st.ElectionID = ev.ElectionID
			case domain.StationDelegated:
				if ev.Edge == edge {
					upTo = i + 1
				}
			case domain.StationReclaimed:
				upTo = -1
			}
		}
	}
	if upTo < 0 {
		return 0, st, fmt.Errorf("%w: station %s, edge %s", ErrNotDelegated, stationID, edge)
	}
	return upTo, st, nil
}

// copyMessages appends the hub's messages the edge lacks (by aggregate
// version) to the edge's log, one message each.
func copyMessages(ctx context.Context, n *node.Node, msgs [][]eventstore.Envelope) error {
	versions := map[string]uint64{}
	for _, m := range msgs {
		if len(m) == 0 {
			continue
		}
		first := m[0]
		agg := eventstore.Aggregate{Kind: first.AggregateKind, ID: first.AggregateID, Region: first.Region}
		have, ok := versions[agg.String()]
		if !ok {
			local, err := n.Store.Load(ctx, agg)
			if err != nil {
				return err
			}
			if len(local) > 0 {
				have = local[len(local)-1].Version
			}
		}
		if first.Version <= have {
			versions[agg.String()] = have
			continue
		}
		if first.Version != have+1 {
			return fmt.Errorf("edge: %s: the hub's version %d does not follow the edge's %d", agg, first.Version, have)
		}
		data := make([]eventstore.EventData, len(m))
		for i, e := range m {
			data[i] = eventstore.EventData{Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload}
		}
		meta := eventstore.Meta{CommandID: first.CommandID, Actor: first.Actor, CorrelationID: first.CorrelationID,
			CausationID: first.CausationID, OccurredAt: occurred(first)}
		res, err := n.Store.Append(ctx, agg, have, meta, data...)
		if err != nil {
			return fmt.Errorf("edge: copy %s version %d: %w", agg, first.Version, err)
		}
		versions[agg.String()] = res.Version
	}
	return nil
}

// occurred is when an event happened: its occurred-at, else when it was
// recorded.
func occurred(e eventstore.Envelope) time.Time {
	if e.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.OccurredAt
}
