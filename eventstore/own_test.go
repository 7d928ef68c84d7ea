package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// publishOutside puts one event on the stream as another process would,
// bypassing the store, and returns its stream sequence.
func publishOutside(t *testing.T, s *eventstore.Store, e eventstore.Envelope) uint64 {
	t.Helper()
	e.Seal()
	ack, err := s.JetStream().PublishMsg(context.Background(), eventstore.EncodeMessage(s.SubjectPrefix(), []eventstore.Envelope{e}))
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func outsideEvent(agg eventstore.Aggregate, version uint64, prev eventstore.Hash, id string) eventstore.Envelope {
	return eventstore.Envelope{EventID: id, Type: "test.happened", SchemaVersion: 1,
		AggregateKind: agg.Kind, AggregateID: agg.ID, Version: version, Region: agg.Region, PrevHash: prev,
		RecordedAt: time.Now().UTC(), CommandID: "outside-" + id, Payload: []byte(`{"n":0}`)}
}

// TestOwnIngestReadsWhatAcksSkip: a node that takes its own messages from
// their acknowledgements still ingests a message another process put
// between two of them, in its place in the log, and the append after it
// becomes durable.
func TestOwnIngestReadsWhatAcksSkip(t *testing.T) {
	ctx := context.Background()
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	storetest.MustAppend(t, s, storetest.Agg(0), 0, "before", storetest.Event(1))
	seq := publishOutside(t, s, outsideEvent(storetest.Agg(1), 1, eventstore.Hash{}, "01JDQ8Z3W5D3V0Y8C1N2P3Q4R6"))
	r := storetest.MustAppend(t, s, storetest.Agg(2), 0, "after", storetest.Event(3))
	if r.Seq != seq+1 || r.FirstPosition != 3 {
		t.Fatalf("append after the outside message landed at message %d, position %d; want %d, 3", r.Seq, r.FirstPosition, seq+1)
	}
	log, err := s.ReadLog(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || log[1].AggregateID != storetest.Agg(1).ID || log[1].Seq != seq {
		t.Fatalf("log %+v: want the outside event second, at message %d", log, seq)
	}
	storetest.CheckLog(t, log)
	if got := s.Stats().Undecoded.Load(); got != 2 {
		t.Errorf("%d events taken from acknowledgements, want the 2 appended", got)
	}
}

// TestOwnIngestTakesAcknowledgedCommands: a node's own commands reach
// ingest from JetStream's acknowledgements (the client's handler), not by
// reading the stream back after a gap. A read of what follows the last
// ingested message can now and then come first, so the test asks for most
// of them, not all.
func TestOwnIngestTakesAcknowledgedCommands(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	const n = 40
	for i := range n {
		storetest.MustAppend(t, s, storetest.Agg(i%4), uint64(i/4), fmt.Sprintf("acked-%d", i), storetest.Event(i))
	}
	if got := s.Stats().FromAcks.Load(); got < n/2 {
		t.Errorf("%d of %d events taken from acknowledgements, want most", got, n)
	}
}

// TestOwnIngestOutsideWriterChecked: once ingest has met a message another
// process published, appends ask JetStream to check the aggregate's last
// message again, so a head this node cached is no longer trusted and a
// stale expected version is a conflict, not a fork of the aggregate.
func TestOwnIngestOutsideWriterChecked(t *testing.T) {
	ctx := context.Background()
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	agg := storetest.Agg(0)
	first := storetest.MustAppend(t, s, agg, 0, "first", storetest.Event(1))
	seq := publishOutside(t, s, outsideEvent(agg, 2, first.Events[0].Hash, "01JDQ8Z3W5D3V0Y8C1N2P3Q4R7"))
	if err := s.WaitSeqForTest(ctx, seq); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, agg, 1, eventstore.Meta{CommandID: "stale"}, storetest.Event(2))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Current != 2 {
		t.Fatalf("append at a version another process moved past: %v, want a conflict at version 2", err)
	}
	storetest.MustAppend(t, s, agg, 2, "current", storetest.Event(3))
	events, err := s.Load(ctx, agg)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("aggregate has %d events, want 3", len(events))
	}
	storetest.CheckLog(t, storetest.ReadAll(t, s))
}
