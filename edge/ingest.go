package edge

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/node"
	"ledger/verifier"
)

// ingest records one edge's inbox into the hub's log. It is used by one
// goroutine. Everything it resumes from is in the hub's log: the station's
// EdgeRecorded events say which edge message comes next.
type ingest struct {
	n       *node.Node
	edge    string
	st      Station
	agg     eventstore.Aggregate
	version uint64 // the station's version in the hub's log
	seq     uint64 // the edge's last stream sequence recorded
	next    uint64 // the edge's next position
	leaves  [][]byte
	owner   string // whom the hub's log delegates the station to

	checkpoint     uint64
	checkpointRoot string
	key            string // the edge's checkpoint key, once one is kept
	irregular      int

	election        *domain.Election
	electionVersion uint64

	pending []*eventstore.Pending
}

func openIngest(ctx context.Context, n *node.Node, edge string, st Station) (*ingest, error) {
	in := &ingest{n: n, edge: edge, st: st,
		agg: eventstore.Aggregate{Kind: string(domain.KindStation), ID: st.ID, Region: st.Region}}
	evs, err := n.Store.Load(ctx, in.agg)
	if err != nil {
		return nil, err
	}
	state := domain.NewState(domain.AggregateRef{Kind: domain.KindStation, ID: st.ID, Region: domain.Region(st.Region)})
	for _, e := range evs {
		ev, err := domain.DecodeEvent(e.Type, e.Payload)
		if err != nil {
			return nil, fmt.Errorf("edge: station event at %d: %w", e.Position, err)
		}
		state = domain.Evolve(state, ev)
		in.version = e.Version
		in.remember(ev)
	}
	s := state.(*domain.Station)
	if !s.Established {
		return nil, fmt.Errorf("edge: station %s is not in the hub's log", st.ID)
	}
	in.st.ElectionID, in.owner, in.seq, in.next = s.ElectionID, s.Edge, s.EdgeSeq, s.EdgeNext
	return in, in.loadElection(ctx)
}

// remember keeps what the hub's earlier records of this edge say.
func (in *ingest) remember(ev domain.Event) {
	switch ev := ev.(type) {
	case domain.EdgeRecorded:
		for _, h := range ev.Hashes {
			var eh eventstore.Hash
			if err := eh.UnmarshalText([]byte(h)); err == nil {
				in.leaves = append(in.leaves, verifier.LeafHash(eh))
			}
		}
	case domain.EdgeCheckpoint:
		in.checkpoint, in.checkpointRoot, in.key = ev.Size, ev.Root, ev.Key
	}
}

func (in *ingest) loadElection(ctx context.Context) error {
	if err := in.n.Store.CatchUp(ctx, 5*time.Second); err != nil {
		return err
	}
	ref := domain.AggregateRef{Kind: domain.KindElection, ID: in.st.ElectionID, Region: domain.Region(in.st.Region)}
	st, v, err := in.n.Ledger.State(ctx, ref)
	if err != nil {
		return err
	}
	in.election, in.electionVersion = st.(*domain.Election), v
	in.irregular = in.election.EdgeIrregularities
	return nil
}

// record records one inbox message: an EdgeRecorded with the edge's
// evidence, followed by the edge's events unless the message copied the
// hub's own history; irregularities first, on the election.
func (in *ingest) record(ctx context.Context, m jetstream.Msg) error {
	md, err := m.Metadata()
	if err != nil {
		return err
	}
	seq := md.Sequence.Stream
	if seq <= in.seq {
		return nil
	}
	if seq != in.seq+1 {
		return fmt.Errorf("edge: inbox of %s skips from %d to %d", in.edge, in.seq, seq)
	}
	evs, err := eventstore.DecodeMessage(m.Headers(), m.Data(), seq)
	if err != nil || len(evs) == 0 {
		return fmt.Errorf("edge: inbox of %s, message %d: %w", in.edge, seq, err)
	}
	pos := max(in.next, 1)
	rec := domain.EdgeRecorded{Edge: in.edge, Seq: seq, Position: pos, CommandID: evs[0].CommandID}
	for _, e := range evs {
		rec.Hashes = append(rec.Hashes, e.Hash.String())
	}
	if rec.Copied, err = in.copied(ctx, evs); err != nil {
		return err
	}
	meta := eventstore.Meta{CommandID: "edge-" + in.edge + "-" + strconv.FormatUint(seq, 10), Actor: "edge:" + in.edge, OccurredAt: occurred(evs[0])}
	data := []eventstore.EventData{encode(rec)}
	if !rec.Copied {
		if err := in.irregularities(ctx, evs, pos, seq); err != nil {
			return err
		}
		first := evs[0]
		meta = eventstore.Meta{CommandID: first.CommandID, Actor: first.Actor, CorrelationID: first.CorrelationID,
			CausationID: first.CausationID, OccurredAt: occurred(first)}
		for _, e := range evs {
			data = append(data, eventstore.EventData{Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload})
		}
	}
	p, err := in.n.Store.Submit(ctx, in.agg, in.version, meta, data...)
	if err != nil {
		return fmt.Errorf("edge: record message %d of %s: %w", seq, in.edge, err)
	}
	if p.Version != in.version+uint64(len(data)) {
		return fmt.Errorf("edge: message %d of %s: command %s is already recorded otherwise", seq, in.edge, meta.CommandID)
	}
	in.pending = append(in.pending, p)
	in.version, in.seq, in.next = p.Version, seq, pos+uint64(len(evs))
	for _, h := range rec.Hashes {
		in.remember(domain.EdgeRecorded{Hashes: []string{h}})
	}
	return nil
}

// copied reports whether an edge message copies the hub's history (Seed):
// another aggregate than the edge's station, or a station command the
// hub recorded itself.
func (in *ingest) copied(ctx context.Context, evs []eventstore.Envelope) (bool, error) {
	if evs[0].AggregateKind != string(domain.KindStation) || evs[0].AggregateID != in.st.ID {
		return true, nil
	}
	_, found, err := in.n.Store.Command(ctx, evs[0].CommandID)
	return found, err
}

// wait returns once everything recorded so far is durable.
func (in *ingest) wait(ctx context.Context) error {
	for _, p := range in.pending {
		if _, err := p.Wait(ctx); err != nil {
			return err
		}
	}
	in.pending = in.pending[:0]
	return nil
}

func encode(ev domain.Event) eventstore.EventData {
	b, _ := json.Marshal(ev) // the domain's event types always marshal
	return eventstore.EventData{Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Payload: b}
}

// RootOf returns the RFC 6962 root of leaves (leaf hashes, as
// verifier.LeafHash gives them): how an edge's root is proved from the
// hashes in the hub's station.edge_recorded events.
func RootOf(leaves [][]byte) ([]byte, error) {
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for _, l := range leaves {
		if err := r.Append(l, nil); err != nil {
			return nil, err
		}
	}
	if len(leaves) == 0 {
		return rfc6962.DefaultHasher.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}

// CheckpointReply is an edge's answer to the hub's request for its latest
// checkpoint: the signed note and the edge's verifier key.
type CheckpointReply struct {
	Note string `json:"note"`
	Key  string `json:"key"`
}

// fetchCheckpoint asks the edge for its latest checkpoint and keeps it in the
// hub's log once its leaves are all recorded and their root is its root;
// a root that differs is an irregularity.
func (in *ingest) fetchCheckpoint(ctx context.Context) error {
	msg, err := in.n.Store.Conn().RequestWithContext(ctx, checkpointSubject+in.edge, nil)
	if err != nil {
		return err
	}
	var r CheckpointReply
	if err := json.Unmarshal(msg.Data, &r); err != nil {
		return fmt.Errorf("edge: checkpoint reply: %w", err)
	}
	if in.key != "" && r.Key != in.key {
		return fmt.Errorf("edge: %s signs with another key than before", in.edge)
	}
	v, err := verifier.NewVerifier(r.Key)
	if err != nil {
		return err
	}
	cp, err := verifier.ParseCheckpoint([]byte(r.Note), v)
	if err != nil {
		return err
	}
	if cp.Size <= in.checkpoint || cp.Size > uint64(len(in.leaves)) {
		return nil
	}
	root, err := RootOf(in.leaves[:cp.Size])
	if err != nil {
		return err
	}
	if hex.EncodeToString(root) != hex.EncodeToString(cp.Root) {
		return errors.Join(ErrCheckpointMismatch, in.mismatch(ctx, cp.Size))
	}
	rec := domain.EdgeCheckpoint{Edge: in.edge, Size: cp.Size, Root: hex.EncodeToString(cp.Root), Note: r.Note, Key: r.Key}
	meta := eventstore.Meta{CommandID: "edge-" + in.edge + "-checkpoint-" + strconv.FormatUint(cp.Size, 10), Actor: "edge:" + in.edge}
	p, err := in.n.Store.Submit(ctx, in.agg, in.version, meta, encode(rec))
	if err != nil {
		return err
	}
	in.version = p.Version
	if _, err := p.Wait(ctx); err != nil {
		return err
	}
	in.checkpoint, in.checkpointRoot, in.key = rec.Size, rec.Root, rec.Key
	return nil
}

// ErrCheckpointMismatch means an edge signed a root that its records in
// the hub's log do not give: recorded as an irregularity.
var ErrCheckpointMismatch = errors.New("edge: the edge's checkpoint does not match what the hub recorded of it")
