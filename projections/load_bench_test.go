package projections

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/domain"
	"ledger/eventstore"
)

// ingestLoadEvents is how many events the stream holds before ingest
// starts: enough for several seconds of ingest.
const ingestLoadEvents = 400_000

// BenchmarkTurnoutUnderIngest measures turnout queries while ingest runs at
// full speed. A nats-server with JetStream file storage (in a temporary
// directory) holds 400,000 election events, one command per message as
// the command path records them (mostly check-ins and ballots, as
// genElections lays them out); then an event store opens a fresh Pebble
// on disk with every read model as an Applier (a node adds its Merkle
// tree, which is left out here), and ingest catches up with the stream as
// fast as it can. Meanwhile one goroutine reads the
// province's and a village's turnout (TurnoutOfRegion) in turn and times
// each read. Only reads that end while ingest is still behind the stream
// count.
//
// Sub-benchmark "busy" reads back to back, so the blocks it reads stay in
// Pebble's block cache; "paced" sleeps 1ms after each pair of reads (at
// most about 2,000 reads a second, fewer when the CPU is saturated; still
// more than dashboards ask for), which takes less of the CPU from ingest
// and leaves each read to find what flushes and compactions changed.
//
// Metrics: events/s is what ingest achieved from the moment the store
// opened until it held every event (the window in which reads count);
// p50-ms, p99-ms and max-ms are the read latencies; queries is how many
// reads counted.
//
//	go test ./projections/ -run '^$' -bench BenchmarkTurnoutUnderIngest -benchtime 1x -timeout 30m
func BenchmarkTurnoutUnderIngest(b *testing.B) {
	if testing.Short() {
		b.Skip("publishes 400,000 events into an embedded NATS server")
	}
	ns := startJetStream(b)
	voted := publishElectionEvents(b, ns, ingestLoadEvents)
	for _, mode := range []struct {
		name  string
		pause time.Duration
	}{{"busy", 0}, {"paced", time.Millisecond}} {
		b.Run(mode.name, func(b *testing.B) {
			var lat []time.Duration
			var events uint64
			var window time.Duration
			for b.Loop() {
				r := ingestWhileQuerying(b, ns, mode.pause, voted)
				lat = append(lat, r.lat...)
				events += r.events
				window += r.window
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				if len(lat) == 0 {
					return 0
				}
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(events)/window.Seconds(), "events/s")
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
			b.ReportMetric(float64(len(lat))/float64(b.N), "queries")
		})
	}
}

// startJetStream starts a nats-server in this process with JetStream on
// disk in a temporary directory and no client port.
func startJetStream(b *testing.B) *server.Server {
	b.Helper()
	ns, err := server.NewServer(&server.Options{ServerName: "ledger", JetStream: true, StoreDir: b.TempDir(),
		DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		b.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		b.Fatal("nats-server did not start")
	}
	b.Cleanup(ns.Shutdown)
	return ns
}

// storeConfig configures an event store on ns with its Pebble in dir.
func storeConfig(ns *server.Server, dir string, appliers []eventstore.Applier) eventstore.Config {
	return eventstore.Config{Dir: dir, NATSURL: ns.ClientURL(), NATSOptions: []nats.Option{nats.InProcessServer(ns)},
		Replicas: 1, Appliers: appliers}
}

// publishElectionEvents has an event store create its stream on ns, then
// publishes about n events of election days into it, each event in a
// message of its own as the command path sends it, and returns how many
// voters checked in.
func publishElectionEvents(b *testing.B, ns *server.Server, n int) (voted int64) {
	b.Helper()
	ctx := context.Background()
	cfg := storeConfig(ns, "pebble", nil)
	cfg.FS = vfs.NewMem()
	s, err := eventstore.Open(ctx, cfg) // creates the stream as the node does
	if err != nil {
		b.Fatal(err)
	}
	stream, prefix := s.StreamName(), s.SubjectPrefix()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var failed atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { failed.Add(1) }))
	if err != nil {
		b.Fatal(err)
	}
	// testLog chains and seals the events; they go to JetStream, not to
	// its Pebble, so it has none.
	l := &testLog{t: b, heads: map[string]eventstore.Envelope{}, clock: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	add := func(ref domain.AggregateRef, at time.Time, actor string, ev domain.Event) {
		l.add(ref, at, actor, ev)
		if _, err := js.PublishMsgAsync(eventstore.EncodeMessage(prefix, l.group)); err != nil {
			b.Fatal(err)
		}
		l.group = l.group[:0]
	}
	day := time.Date(2026, 5, 1, 8, 0, 0, 0, chinaTime)
	for i := 0; int(l.pos) < n; i++ {
		region := domain.Region(fmt.Sprintf("22%02d%02d%03d%03d", 1+i%4, 1+i/4%3, 1+i/12%5, 1+i/60))
		eid := fmt.Sprintf("01J%023d", i+1)
		eref := domain.AggregateRef{Kind: domain.KindElection, ID: eid, Region: region}
		add(eref, day, "sec", domain.ElectionCalled{Committee: domain.CommitteeVillagers, Seats: 3, Day: "2026-05-01"})
		sids := [2]string{fmt.Sprintf("01K%023d", 2*i+1), fmt.Sprintf("01K%023d", 2*i+2)}
		var voters []domain.VoterEntry
		for v := 1; v <= 400; v++ {
			voters = append(voters, domain.VoterEntry{RollNo: v, StationID: sids[v%2]})
		}
		add(eref, day, "sec", domain.VotersRegistered{Voters: voters})
		for k, sid := range sids {
			add(domain.AggregateRef{Kind: domain.KindStation, ID: sid, Region: region}, day, "sec",
				domain.StationEstablished{ElectionID: eid, Mobile: k == 1, Place: "村委会"})
		}
		for v := 1; v <= 320 && int(l.pos) < n; v++ {
			sref := domain.AggregateRef{Kind: domain.KindStation, ID: sids[v%2], Region: region}
			mode := domain.ModeInPerson
			if v%2 == 1 {
				mode = domain.ModeMobile
			}
			at := day.Add(time.Duration(v) * 37 * time.Second)
			add(sref, at, "clerk", domain.VoterCheckedIn{Round: 1, RollNo: v, Mode: mode, At: at})
			voted++
		}
		for v := 1; v <= 320 && int(l.pos) < n; v++ {
			sref := domain.AggregateRef{Kind: domain.KindStation, ID: sids[v%2], Region: region}
			add(sref, day, "teller", domain.BallotRecorded{Round: 1, Candidates: []string{"c1", fmt.Sprint("c", 2+v%3)}})
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		b.Fatal("publishes not acknowledged after 5 minutes")
	}
	if k := failed.Load(); k > 0 {
		b.Fatalf("%d publishes failed", k)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		b.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if info.State.Msgs != l.pos {
		b.Fatalf("stream holds %d messages, want %d", info.State.Msgs, l.pos)
	}
	return voted
}

// underIngest is one ingest run: the latencies of the reads that counted,
// and how many events were ingested in how long while they ran.
type underIngest struct {
	lat    []time.Duration
	events uint64
	window time.Duration
}

// ingestWhileQuerying opens an event store with the read models on a
// fresh Pebble, which ingests the whole stream, and reads turnout until
// ingest has caught up.
func ingestWhileQuerying(b *testing.B, ns *server.Server, pause time.Duration, voted int64) underIngest {
	b.Helper()
	ctx := context.Background()
	set := New(Options{})
	s, err := eventstore.Open(ctx, storeConfig(ns, b.TempDir(), set.Appliers()))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	total, err := s.StreamLastSeq(ctx) // one event per message
	if err != nil {
		b.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.WaitFor(ctx, total) }()
	db, stats := s.DB(), s.Stats()
	start, first := time.Now(), stats.Ingested.Load()
	if first >= total {
		b.Fatal("ingest caught up before the first read")
	}
	var r underIngest
	regions := [2]string{"22", "220101001001"}
	for i := 0; ; i++ {
		t := time.Now()
		if _, err := TurnoutOfRegion(ctx, db, regions[i%2]); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t)
		if stats.Ingested.Load() >= total {
			r.window = time.Since(start)
			break // this read may have ended after ingest did: it does not count
		}
		r.lat = append(r.lat, d)
		select {
		case err := <-stopped:
			b.Fatalf("ingest stopped at %d of %d events: %v", stats.Ingested.Load(), total, err)
		default:
		}
		if pause > 0 && i%2 == 1 {
			time.Sleep(pause)
		}
	}
	r.events = total - first
	if err := <-stopped; err != nil {
		b.Fatal(err)
	}
	p, err := TurnoutOfRegion(ctx, db, "22")
	if err != nil || p.Voted != voted {
		b.Fatalf("province turnout after ingest: %+v, %v; want %d voted", p, err, voted)
	}
	if n := set.Skipped(); n != 0 {
		b.Fatalf("read models skipped %d events", n)
	}
	if n := stats.ChainBreaks.Load(); n != 0 {
		b.Fatalf("%d events did not follow their aggregate's chain", n)
	}
	return r
}
