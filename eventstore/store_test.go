package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// openEmbedded opens a store with its own embedded server: JetStream file
// storage and Pebble on disk under dir.
func openEmbedded(t *testing.T, dir string, dropPebble bool) *eventstore.Store {
	t.Helper()
	if dropPebble {
		if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
			t.Fatal(err)
		}
	}
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir, DuplicateWindow: time.Second})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func TestConformanceEmbedded(t *testing.T) { storetest.Run(t, openEmbedded) }

// TestConformanceExternal runs the suite against a separate nats-server on
// a random loopback port (the --nats-url path) with Pebble on an in-memory
// filesystem.
func TestConformanceExternal(t *testing.T) {
	url := startServer(t)
	var mu sync.Mutex
	fss := map[string]vfs.FS{}
	names := map[string]string{}
	storetest.Run(t, func(t *testing.T, dir string, dropPebble bool) *eventstore.Store {
		t.Helper()
		mu.Lock()
		fs, ok := fss[dir]
		if !ok || dropPebble {
			fs = vfs.NewMem()
			fss[dir] = fs
		}
		if names[dir] == "" {
			names[dir] = fmt.Sprintf("T%d", len(names))
		}
		stream := names[dir]
		mu.Unlock()
		s, err := eventstore.Open(context.Background(), eventstore.Config{
			Dir: dir, NATSURL: url, Replicas: 1, FS: fs, Stream: stream,
			SubjectPrefix: "t." + stream, DuplicateWindow: time.Second,
		})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		return s
	})
}

// startServer starts nats-server with JetStream on a random loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// TestTwoNodesOneAggregate: two nodes append to one aggregate in turn.
// A node whose cached head is stale learns the current version from the
// log instead of refusing a caller who is right.
func TestTwoNodesOneAggregate(t *testing.T) {
	url := startServer(t)
	open := func() *eventstore.Store {
		s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir(), NATSURL: url, Replicas: 1, FS: vfs.NewMem()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	agg := storetest.Agg(1)
	storetest.MustAppend(t, a, agg, 0, "a1", storetest.Event(1))
	storetest.MustAppend(t, b, agg, 1, "b1", storetest.Event(2)) // b caches the head at version 2
	storetest.MustAppend(t, a, agg, 2, "a2", storetest.Event(3))
	storetest.MustAppend(t, a, agg, 3, "a3", storetest.Event(4))
	storetest.MustAppend(t, b, agg, 4, "b2", storetest.Event(5)) // b's cache says 2; the log says 4
	_, err := b.Append(context.Background(), agg, 2, eventstore.Meta{CommandID: "stale"}, storetest.Event(6))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Current != 5 {
		t.Fatalf("a stale caller: got %v, want a conflict carrying version 5", err)
	}
}

// TestHeadsFromTheAggregateIndex: with caches of one head, nearly every
// append and every ingested event finds its aggregate's head in Pebble
// (the last entry of the aggregate's index and the event it points at):
// in committed state, in the ingest batch it is building (a rebuild
// ingests the whole stream in a few large batches), and after a restart.
func TestHeadsFromTheAggregateIndex(t *testing.T) {
	dir := t.TempDir()
	open := func(dropPebble bool) *eventstore.Store {
		if dropPebble {
			if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
				t.Fatal(err)
			}
		}
		s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir, HeadCache: 1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const aggs, rounds = 5, 4
	appendRound := func(s *eventstore.Store, r int) {
		for i := range aggs {
			storetest.MustAppend(t, s, storetest.Agg(i), uint64(r), fmt.Sprintf("c%d-%d", r, i), storetest.Event(r*aggs+i))
		}
	}
	s := open(false)
	for r := range rounds / 2 {
		appendRound(s, r)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(false)
	for r := rounds / 2; r < rounds; r++ {
		appendRound(s, r)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(true) // re-ingests the stream into an empty Pebble
	defer s.Close()
	if err := s.WaitFor(context.Background(), aggs*rounds); err != nil {
		t.Fatal(err)
	}
	events := storetest.ReadAll(t, s)
	if len(events) != aggs*rounds {
		t.Fatalf("rebuilt log holds %d events, want %d", len(events), aggs*rounds)
	}
	storetest.CheckLog(t, events)
	for i := range aggs {
		got, err := s.Locate("station", storetest.Agg(i).ID)
		if err != nil || got != storetest.Agg(i) {
			t.Fatalf("locate %s: %v %v", storetest.Agg(i), got, err)
		}
	}
	if _, err := s.Locate("station", "nobody"); !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatalf("locate an unknown aggregate: %v, want ErrNotFound", err)
	}
	// The same aggregate under another region's subject is refused: its
	// head, found through the index, names the region it belongs to.
	other := storetest.Agg(0)
	other.Region = "220102001002"
	if _, err := s.Append(context.Background(), other, 0, eventstore.Meta{CommandID: "fork"}, storetest.Event(99)); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("append under another region: %v, want ErrInvalid", err)
	}
	storetest.MustAppend(t, s, storetest.Agg(3), rounds, "after", storetest.Event(100))
}
