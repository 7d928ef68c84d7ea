package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/oklog/ulid/v2"

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

// TestStreamBlocksCompressed fills more than two of the stream's 8 MB
// blocks, checks that the full blocks shrink on disk with Compress and
// keep their size without, rebuilds Pebble from the compressed blocks with
// compression turned off again (their blocks stay compressed and
// readable), and appends.
func TestStreamBlocksCompressed(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 24,000 events twice")
	}
	const n = 24_000
	blocks := func(dir string) (size int64) {
		names, err := filepath.Glob(filepath.Join(dir, "jetstream", "jetstream", "*", "streams", "*", "msgs", "*.blk"))
		if err != nil || len(names) < 3 {
			t.Fatalf("block files %v (%v): want at least 3", names, err)
		}
		for _, name := range names {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			size += fi.Size()
		}
		return size
	}
	fill := func(compress bool, below int64) (dir string, size int64) {
		dir = t.TempDir()
		s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir, Compress: compress})
		if err != nil {
			t.Fatal(err)
		}
		storetest.Fill(t, s, n)
		// nats-server compresses a full block in the background: give it
		// time before the store closes.
		deadline := time.Now().Add(20 * time.Second)
		for size = blocks(dir); below > 0 && size >= below && time.Now().Before(deadline); size = blocks(dir) {
			time.Sleep(100 * time.Millisecond)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return dir, size
	}
	_, plain := fill(false, 0) // 0: no wait
	dir, packed := fill(true, plain*3/4)
	t.Logf("block files: %d bytes uncompressed, %d compressed", plain, packed)
	if raw := int64(n * len(storetest.Payload300)); plain < raw || packed >= plain*3/4 {
		t.Fatalf("block files hold %d bytes uncompressed and %d compressed (the payloads alone are %d): want less than three quarters", plain, packed, raw)
	}
	s := openEmbedded(t, dir, true) // compression off; rebuilds Pebble from the compressed blocks
	defer s.Close()
	if err := s.WaitFor(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	events := storetest.ReadAll(t, s)
	if len(events) != n {
		t.Fatalf("rebuilt log holds %d events, want %d", len(events), n)
	}
	storetest.CheckLog(t, events)
	storetest.MustAppend(t, s, storetest.Agg(1), 0, "after", storetest.Event(1))
}

// TestOwnMessagesIngestedWithoutDecoding: ingest takes the events of the
// store's own appends as they were sent, and decodes a message another
// publisher put on the stream; the log holds both the same way.
func TestOwnMessagesIngestedWithoutDecoding(t *testing.T) {
	ctx := context.Background()
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	agg := eventstore.Aggregate{Kind: "station", ID: "S1", Region: "220102001001"}
	storetest.MustAppend(t, s, agg, 0, "one", storetest.Event(1))
	storetest.MustAppend(t, s, agg, 1, "three", storetest.Event(2), storetest.Event(3), storetest.Event(4))
	if got := s.Stats().Undecoded.Load(); got != 4 {
		t.Fatalf("%d events ingested without decoding, want the 4 appended", got)
	}

	other := eventstore.Aggregate{Kind: "station", ID: "S2", Region: "220102001001"}
	e := eventstore.Envelope{EventID: "01JDQ8Z3W5D3V0Y8C1N2P3Q4R5", Type: "test.happened", SchemaVersion: 1,
		AggregateKind: other.Kind, AggregateID: other.ID, Version: 1, Region: other.Region,
		RecordedAt: time.Now().UTC(), CommandID: "outside", Payload: []byte(`{"n":5}`)}
	e.Seal()
	ack, err := s.JetStream().PublishMsg(ctx, eventstore.EncodeMessage(s.SubjectPrefix(), []eventstore.Envelope{e}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitSeqForTest(ctx, ack.Sequence); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Undecoded.Load(); got != 4 {
		t.Errorf("%d events ingested without decoding after an outside publish, want 4", got)
	}
	log, err := s.ReadLog(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 5 || log[4].Hash != e.Hash || log[4].Position != 5 {
		t.Fatalf("log of %d events, last %+v: want the outside event at position 5", len(log), log[len(log)-1])
	}
	for i, ev := range log[:4] {
		if ev.Position != uint64(i+1) || ev.ComputeHash() != ev.Hash || string(ev.Payload) != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Errorf("event %d read back as %+v", i+1, ev)
		}
	}
}

// TestStorageLimit: past the embedded JetStream's storage limit an append
// fails with ErrStorageLimit and records nothing; the appends before it
// stay whole.
func TestStorageLimit(t *testing.T) {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir(), MaxStore: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agg := eventstore.Aggregate{Kind: "station", ID: "S1", Region: "220102001001"}
	var version uint64
	for ; version < 1000; version++ {
		_, err = s.Append(ctx, agg, version, eventstore.Meta{CommandID: fmt.Sprintf("cmd-%d", version)},
			eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: storetest.Payload300})
		if err != nil {
			break
		}
	}
	if !errors.Is(err, eventstore.ErrStorageLimit) {
		t.Fatalf("after %d appends into a 64 KiB limit: %v, want ErrStorageLimit", version, err)
	}
	if version == 0 {
		t.Fatal("the first append already failed: the limit left no room at all")
	}
	if _, pos := s.Position(); pos != version {
		t.Fatalf("log at position %d after %d appends accepted", pos, version)
	}
	events, err := s.ReadLog(ctx, 1, int(version)+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != int(version) || events[len(events)-1].Version != version {
		t.Fatalf("read back %d events, want the %d accepted", len(events), version)
	}
}

// Append compacts each payload for the record, in a copy: the caller's
// events, which a variadic argument may share with other appends, are
// left as they were.
func TestAppendLeavesCallersEvents(t *testing.T) {
	s := openEmbedded(t, t.TempDir(), false)
	defer s.Close()
	events := []eventstore.EventData{{Type: "t", SchemaVersion: 1, Payload: []byte(`{ "roll_no" : 7 }`)}}
	agg := eventstore.Aggregate{Kind: "station", ID: "S1", Region: "220102001001"}
	if _, err := s.Append(context.Background(), agg, 0, eventstore.Meta{CommandID: ulid.Make().String()}, events...); err != nil {
		t.Fatal(err)
	}
	if got := string(events[0].Payload); got != `{ "roll_no" : 7 }` {
		t.Errorf("caller's payload became %s", got)
	}
	stored, err := s.Load(context.Background(), agg)
	if err != nil || len(stored) != 1 {
		t.Fatalf("load: %v %d", err, len(stored))
	}
	if got := string(stored[0].Payload); got != `{"roll_no":7}` {
		t.Errorf("recorded payload %s, want it compacted", got)
	}
}

// TestReadinessChecks: a store that reaches its stream can append and its
// ingest keeps up; once its NATS server is gone, AppendCheck says so.
func TestReadinessChecks(t *testing.T) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.IngestCheck(); err != nil && !strings.Contains(err.Error(), "catching up") {
		t.Fatalf("ingest check before ingest caught up: %v", err)
	}
	select {
	case <-s.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("ingest did not catch up with an empty stream")
	}
	if err := s.AppendCheck(); err != nil {
		t.Fatalf("append check on a fresh store: %v", err)
	}
	if err := s.IngestCheck(); err != nil {
		t.Fatalf("ingest check on a fresh store: %v", err)
	}
	s.Server().Shutdown()
	err = s.AppendCheck()
	for deadline := time.Now().Add(10 * time.Second); err == nil && time.Now().Before(deadline); err = s.AppendCheck() {
		time.Sleep(50 * time.Millisecond)
	}
	if !errors.Is(err, eventstore.ErrNotReady) || !strings.Contains(err.Error(), "NATS") {
		t.Fatalf("append check with the server gone: %v, want ErrNotReady naming NATS", err)
	}
}
