package eventstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// TestIngestReadsStreamWhileConsumerDown: while ingest's consumer is lost
// and JetStream refuses a new one (here the account's consumer limit is
// reached; after a leader loss, the cluster still assigning it), ingest
// reads the stream message by message from the stream's leader, so that
// appends are still acknowledged; once a consumer can be made again it
// takes over without a gap or a message ingested twice.
func TestIngestReadsStreamWhileConsumerDown(t *testing.T) {
	ctx := context.Background()
	acc, url := startAccountServer(t)
	s, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir(), FS: vfs.NewMem(), NATSURL: url,
		NATSOptions: []nats.Option{nats.UserInfo("u", "p")}, Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agg := storetest.Agg(1)
	storetest.MustAppend(t, s, agg, 0, "c0", storetest.Event(1))

	nc, err := nats.Connect(url, nats.UserInfo("u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, s.StreamName())
	if err != nil {
		t.Fatal(err)
	}
	ingests := consumerNames(t, stream)
	mine, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "held", AckPolicy: jetstream.AckNonePolicy})
	if err != nil {
		t.Fatal(err)
	}
	limitConsumers(t, acc, 1) // the test's consumer fills it: ingest cannot make another
	for _, name := range ingests {
		if err := stream.DeleteConsumer(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 20; i++ {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.Append(actx, agg, uint64(i), eventstore.Meta{CommandID: "c" + string(rune('a'+i))}, storetest.Event(i+1))
		cancel()
		if err != nil {
			t.Fatalf("append %d while ingest has no consumer: %v", i, err)
		}
	}
	if names := consumerNames(t, stream); len(names) != 1 || names[0] != mine.CachedInfo().Name {
		t.Fatalf("consumers during the test: %v, want only the test's (ingest must not have had one)", names)
	}

	limitConsumers(t, acc, -1)
	deadline := time.Now().Add(10 * time.Second)
	for len(consumerNames(t, stream)) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(consumerNames(t, stream)); n != 2 {
		t.Fatalf("ingest made no consumer after the limit was lifted (%d consumers)", n)
	}
	for i := 21; i <= 25; i++ {
		storetest.MustAppend(t, s, agg, uint64(i), "d"+string(rune('a'+i)), storetest.Event(i+1))
	}
	if seq, pos := s.Position(); seq != 26 || pos != 26 {
		t.Fatalf("durable at message %d, position %d; want 26 and 26: every message ingested once", seq, pos)
	}
}

// startAccountServer starts a nats-server whose one user, u/p, is in an
// account with JetStream, and returns the account and the client URL.
func startAccountServer(t *testing.T) (*server.Account, string) {
	t.Helper()
	acc := server.NewAccount("L")
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Accounts: []*server.Account{acc}, Users: []*server.User{{Username: "u", Password: "p", Account: acc}}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	a, err := ns.LookupAccount("L")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnableJetStream(map[string]server.JetStreamAccountLimits{"": unlimited(-1)}, nil); err != nil {
		t.Fatal(err)
	}
	return a, ns.ClientURL()
}

func unlimited(consumers int) server.JetStreamAccountLimits {
	return server.JetStreamAccountLimits{MaxMemory: -1, MaxStore: -1, MaxStreams: -1, MaxConsumers: consumers}
}

func limitConsumers(t *testing.T, acc *server.Account, n int) {
	t.Helper()
	if err := acc.UpdateJetStreamLimits(map[string]server.JetStreamAccountLimits{"": unlimited(n)}); err != nil {
		t.Fatal(err)
	}
}

func consumerNames(t *testing.T, stream jetstream.Stream) []string {
	t.Helper()
	var names []string
	l := stream.ConsumerNames(context.Background())
	for n := range l.Name() {
		names = append(names, n)
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}
