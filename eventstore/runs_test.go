package eventstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/oklog/ulid/v2"
)

// runsFixture records, on an embedded store: station A with a command
// of three events, then two of one event each; station B (another region
// and actor) between them.
func runsFixture(t *testing.T) (*Store, []Result) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{Dir: t.TempDir(), MemoryStorage: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	a := Aggregate{Kind: "station", ID: "A", Region: "220102001001"}
	b := Aggregate{Kind: "station", ID: "B", Region: "220203001001"}
	ev := EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: []byte(`{"roll_no":1}`)}
	var out []Result
	rec := func(agg Aggregate, expected uint64, actor string, n int) {
		t.Helper()
		r, err := s.Append(ctx, agg, expected, Meta{CommandID: ulid.Make().String(), Actor: actor}, slices.Repeat([]EventData{ev}, n)...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	rec(a, 0, "clerk-a", 3)
	rec(a, 3, "clerk-a", 1)
	rec(b, 0, "clerk-b", 2)
	rec(a, 4, "clerk-a", 1)
	return s, out
}

// indexEntries returns the keys and values under prefix.
func indexEntries(t *testing.T, db *pebble.DB, prefix []byte) (keys, vals [][]byte) {
	t.Helper()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: append(slices.Clone(prefix), 0xff)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		keys, vals = append(keys, slices.Clone(it.Key())), append(vals, slices.Clone(it.Value()))
	}
	return keys, vals
}

// TestIndexRuns: a command's events are one entry in the aggregate,
// region and actor indexes, and every reader of those indexes expands it
// back to the same events.
func TestIndexRuns(t *testing.T) {
	s, res := runsFixture(t)
	db := s.DB()

	keys, vals := indexEntries(t, db, aggPrefix(prefixAggregate, "station", "A"))
	if len(keys) == 0 || len(keys) > 3 {
		t.Fatalf("station A: %d aggregate index entries for 5 events in 3 commands, want 1 to 3", len(keys))
	}
	first, n, ok := AggregateRun(vals[0])
	if !ok || first != res[0].FirstPosition || n < 3 || !bytes.Equal(keys[0], aggEventKey("station", "A", 1)) {
		t.Errorf("first entry of A: key %q, run %d+%d %v; want version 1 at position %d, at least 3 events", keys[0], first, n, ok, res[0].FirstPosition)
	}
	events, err := s.Load(context.Background(), Aggregate{Kind: "station", ID: "A", Region: "220102001001"})
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("v%d@%d", e.Version, e.Position))
	}
	for _, r := range []Result{res[0], res[1], res[3]} {
		for _, e := range r.Events {
			want = append(want, fmt.Sprintf("v%d@%d", e.Version, e.Position))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Load(A) = %v, want %v", got, want)
	}
	h, ok, err := s.lastOf("station", "A")
	if err != nil || !ok || h.Version != 5 || h.Position != res[3].LastPosition || h.Hash != res[3].Events[0].Hash {
		t.Errorf("head of A: %+v %v %v; want version 5 at %d", h, ok, err, res[3].LastPosition)
	}

	if got, want := positionsOf(t, db, prefixRegion, "220203001001"), []uint64{res[2].FirstPosition, res[2].LastPosition}; !slices.Equal(got, want) {
		t.Errorf("region of B: positions %v, want %v", got, want)
	}
	keys, _ = indexEntries(t, db, []byte("r220203001001\x00"))
	if len(keys) != 1 {
		t.Errorf("region of B: %d entries for one command of 2 events, want 1", len(keys))
	}
	var all []uint64
	for _, r := range []Result{res[0], res[1], res[3]} {
		for p := r.FirstPosition; p <= r.LastPosition; p++ {
			all = append(all, p)
		}
	}
	if got := positionsOf(t, db, prefixActor, "clerk-a"); !slices.Equal(got, all) {
		t.Errorf("actor clerk-a: positions %v, want %v", got, all)
	}
}

// positionsOf expands the 'r' or 'u' entries of name.
func positionsOf(t *testing.T, db *pebble.DB, prefix byte, name string) []uint64 {
	t.Helper()
	keys, vals := indexEntries(t, db, append([]byte{prefix}, append([]byte(name), 0)...))
	var out []uint64
	for i, k := range keys {
		n, ok := PositionRun(vals[i])
		if !ok {
			t.Fatalf("entry %q: value %x", k, vals[i])
		}
		first := binary.BigEndian.Uint64(k[len(k)-8:])
		for p := first; p < first+n; p++ {
			out = append(out, p)
		}
	}
	return out
}

// TestIndexOneEntryPerEvent: entries written one per event, as earlier
// versions did, read the same.
func TestIndexOneEntryPerEvent(t *testing.T) {
	s, res := runsFixture(t)
	db := s.DB()
	b := db.NewBatch()
	keys, _ := indexEntries(t, db, aggPrefix(prefixAggregate, "station", "A"))
	for _, k := range keys {
		_ = b.Delete(k, nil)
	}
	for _, r := range []Result{res[0], res[1], res[3]} {
		for _, e := range r.Events {
			_ = b.Set(aggEventKey("station", "A", e.Version), binary.BigEndian.AppendUint64(nil, e.Position), nil)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	s.chain.Delete("station/A")
	events, err := s.Load(context.Background(), Aggregate{Kind: "station", ID: "A", Region: "220102001001"})
	if err != nil || len(events) != 5 || events[4].Position != res[3].LastPosition {
		t.Fatalf("Load(A) over one entry per event: %d events, %v", len(events), err)
	}
	h, ok, err := s.lastOf("station", "A")
	if err != nil || !ok || h.Version != 5 {
		t.Errorf("head of A over one entry per event: %+v %v %v", h, ok, err)
	}
}

// TestMessageRefFromLog: a message's events are found from the log itself
// once they are out of the ring of recent messages.
func TestMessageRefFromLog(t *testing.T) {
	s, res := runsFixture(t)
	for i := range s.recent {
		s.recent[i].Store(nil)
	}
	for _, r := range res {
		ref, err := s.messageRef(r.Seq)
		if err != nil || ref.First != r.FirstPosition || uint64(ref.Count) != r.LastPosition-r.FirstPosition+1 {
			t.Errorf("message %d: %+v %v; want events %d..%d", r.Seq, ref, err, r.FirstPosition, r.LastPosition)
		}
		again, found, err := s.Command(context.Background(), r.Events[0].CommandID)
		if err != nil || !found || !again.Duplicate || again.FirstPosition != r.FirstPosition || again.Version != r.Version {
			t.Errorf("command of message %d read back: %+v %v %v", r.Seq, again, found, err)
		}
	}
	if _, err := s.messageRef(res[len(res)-1].Seq + 1); err == nil {
		t.Error("a message not yet ingested was found")
	}
}
