package eventstore

import (
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"ledger/internal/bounded"
)

// TestWriteEventFindsUncachedHeads: when the chain cache has lost an
// aggregate's head, ingest finds it among the heads written in the batch
// it is building, or else through the aggregate index in committed state,
// and still refuses an event that does not follow it.
func TestWriteEventFindsUncachedHeads(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &Store{db: db, chain: bounded.New[string, head](16), group: map[string]head{}}
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	var pos uint64
	next := func(id string, version uint64, prev Hash) Envelope {
		pos++
		e := Envelope{EventID: "E" + id, Type: "test.happened", SchemaVersion: 1, AggregateKind: "station", AggregateID: id,
			Version: version, Region: "220102001001", RecordedAt: at, CommandID: "C" + id, Payload: []byte(`{}`),
			PrevHash: prev, Position: pos, Seq: pos}
		e.Seal()
		return e
	}
	write := func(b *pebble.Batch, e Envelope) error {
		s.chain.Delete(e.Aggregate().String()) // as if evicted
		_, err := s.writeEvent(b, b, &e, nil)
		return err
	}

	b := db.NewBatch() // write-only, as ingest's
	a1 := next("A", 1, Hash{})
	a2 := next("A", 2, a1.Hash)
	for _, e := range []Envelope{a1, next("B", 1, Hash{}), a2} {
		if err := write(b, e); err != nil {
			t.Fatalf("in one batch, version %d of %s: %v", e.Version, e.AggregateID, err)
		}
	}
	s.runs.flush(b) // as at the end of each ingest batch
	if err := b.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	b.Close()
	clear(s.group) // as at the start of each ingest batch

	h, ok, err := s.lastOf("station", "A")
	if err != nil || !ok || h.Version != 2 || h.Hash != a2.Hash || h.Position != a2.Position || h.Region != a2.Region {
		t.Fatalf("committed head of A: %+v %v %v", h, ok, err)
	}
	b = db.NewBatch()
	defer b.Close()
	if err := write(b, next("A", 3, a2.Hash)); err != nil {
		t.Fatalf("after commit: %v", err)
	}
	var ce *ChainError
	if err := write(b, next("A", 4, a1.Hash)); !errors.As(err, &ce) || ce.HeadVersion != 3 {
		t.Fatalf("an event that skips back to version 1's hash: %v, want a ChainError after version 3", err)
	}
}
