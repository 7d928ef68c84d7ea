package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/transparency-dev/merkle/compact"

	"ledger/eventstore"
)

// testLog is a real store (embedded NATS JetStream with file storage and
// Pebble, both under a temporary directory) with a Tree applier.
type testLog struct {
	dir   string
	store *eventstore.Store
	tree  *Tree
	next  int // commands appended so far
	vers  map[string]uint64
}

func openTestLog(t testing.TB, dir string) *testLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, tree, err := OpenStore(ctx, eventstore.Config{Dir: dir})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	l := &testLog{dir: dir, store: s, tree: tree, vers: map[string]uint64{}}
	t.Cleanup(func() { l.close() })
	return l
}

func (l *testLog) close() {
	if l.store != nil {
		_ = l.store.Close()
		l.store = nil
	}
}

func testAggregate(i int) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: "election", ID: fmt.Sprintf("e%d", i), Region: "220102"}
}

// appendN appends n events spread over aggs aggregates; every third
// command records two events in one message.
func (l *testLog) appendN(t testing.TB, n, aggs int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for done := 0; done < n; {
		agg := testAggregate(l.next % aggs)
		events := []eventstore.EventData{{Type: "ballot.counted", SchemaVersion: 1, Payload: fmt.Appendf(nil, `{"n":%d}`, l.next)}}
		if l.next%3 == 2 && n-done >= 2 {
			events = append(events, eventstore.EventData{Type: "tally.updated", SchemaVersion: 1, Payload: []byte(`{"ok":true}`)})
		}
		meta := eventstore.Meta{CommandID: fmt.Sprintf("cmd-%s-%d", l.dir[len(l.dir)-6:], l.next), Actor: "clerk-1"}
		r, err := l.store.Append(ctx, agg, l.vers[agg.String()], meta, events...)
		if err != nil {
			t.Fatalf("append %d: %v", l.next, err)
		}
		l.vers[agg.String()] = r.Version
		l.next++
		done += len(events)
	}
}

// allEvents reads the whole log from Pebble.
func (l *testLog) allEvents(t testing.TB) []eventstore.Envelope {
	t.Helper()
	events, err := l.store.ReadLog(context.Background(), 1, 1<<30)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return events
}

// naiveRoot computes the RFC 6962 root of the leaves from scratch (the
// recursive definition in RFC 6962 section 2.1).
func naiveRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return hasher.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return hasher.HashChildren(naiveRoot(leaves[:k]), naiveRoot(leaves[k:]))
}

func leafHashes(events []eventstore.Envelope) [][]byte {
	out := make([][]byte, len(events))
	for i := range events {
		out[i] = LeafHash(events[i].Hash)
	}
	return out
}

var testTime = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

const timeStep = time.Millisecond

func timeDuration(i int) time.Duration { return time.Duration(i) }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func nodeID(level uint, index uint64) compact.NodeID { return compact.NewNodeID(level, index) }

// ingest commits events to db as the store's ingest does: each in its
// stored form under its 'e' key and the tree's Apply, in one batch.
func ingest(t testing.TB, db *pebble.DB, tree *Tree, events []eventstore.Envelope) {
	t.Helper()
	b := db.NewIndexedBatch()
	defer b.Close()
	for i := range events {
		if err := b.Set(eventKey(events[i].Position), storedForm(&events[i]), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := tree.Apply(b, events); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
}
