package eventstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// benchAppend runs writers that each append one event a command to their
// own aggregate. With durable set, each waits until its command is
// durable (Append); without, only until JetStream holds it (Submit), while
// ingest goes on beside.
func benchAppend(b *testing.B, writers int, durable bool) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var lat latencies
	var toAck, toDurable atomic.Int64 // time from submit to JetStream's ack, and from there to durable
	cpu0 := storetest.CPUTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/writers + 1
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			agg := eventstore.Aggregate{Kind: "station", ID: fmt.Sprintf("B%d", w), Region: "220102001001"}
			for i := range per {
				// Append is Submit then Wait; timed apart, they show
				// where a command's latency goes.
				start := time.Now()
				p, err := s.Submit(ctx, agg, uint64(i), eventstore.Meta{CommandID: ulid.Make().String()},
					eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: storetest.Payload300})
				if err != nil {
					b.Error(err)
					return
				}
				ack := time.Now()
				toAck.Add(int64(ack.Sub(start)))
				if !durable {
					lat.add(ack.Sub(start))
					continue
				}
				if _, err := p.Wait(ctx); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(start))
				toDurable.Add(int64(time.Since(ack)))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	n := float64(per * writers)
	b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(lat.quantile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(toAck.Load())/n/1e6, "ack-ms")
	if durable {
		b.ReportMetric(float64(toDurable.Load())/n/1e6, "durable-ms")
	}
	st := s.Stats()
	b.ReportMetric(float64(st.SyncNanos.Load())/float64(max(st.Syncs.Load(), 1))/1e6, "fsync-ms")
	b.ReportMetric(float64((storetest.CPUTime()-cpu0).Microseconds())/n, "cpu-µs/event")
	b.ReportMetric(storetest.PeakRSSMiB(), "peak-rss-MiB")
	reportGroups(b, s)
}

// reportGroups reports how many events each ingest batch and each fsync
// covered: the group commit's reach.
func reportGroups(b *testing.B, s *eventstore.Store) {
	st := s.Stats()
	b.ReportMetric(float64(st.Ingested.Load())/float64(max(st.Batches.Load(), 1)), "events/batch")
	b.ReportMetric(float64(st.Ingested.Load())/float64(max(st.Syncs.Load(), 1)), "events/fsync")
}

// BenchmarkAppend1 appends one event per command from one writer.
func BenchmarkAppend1(b *testing.B) { benchAppend(b, 1, true) }

// BenchmarkAppend64 appends from 64 concurrent writers, one aggregate each.
func BenchmarkAppend64(b *testing.B) { benchAppend(b, 64, true) }

// BenchmarkSubmit64 is BenchmarkAppend64 with each writer going on as
// soon as JetStream holds its command, ingest running beside: the most
// that 64 writers of one event a command could reach if making a command
// durable in Pebble cost nothing more.
func BenchmarkSubmit64(b *testing.B) { benchAppend(b, 64, false) }

// BenchmarkIngest measures ingest alone: a stream of b.N one-event
// messages is published first, then a fresh Pebble copy ingests it.
func BenchmarkIngest(b *testing.B) { benchIngest(b, 1) }

// BenchmarkIngestBatched is BenchmarkIngest with 50 events a message, as
// polling stations upload check-ins (and as `ledger demo` records).
func BenchmarkIngestBatched(b *testing.B) { benchIngest(b, 50) }

func benchIngest(b *testing.B, per int) {
	dir := b.TempDir()
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	storetest.FillBatched(b, s, b.N, per)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := storetest.CPUTime()
	if prof := os.Getenv("LEDGER_INGEST_PROFILE"); prof != "" {
		f, _ := os.Create(prof)
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	s, err = eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitFor(context.Background(), uint64(b.N)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((storetest.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
}

// BenchmarkReplayStream is ingest's ceiling on this machine: the same
// stream as BenchmarkIngest's, read by the same ordered consumer with the
// same pull settings, each message decoded into its events and nothing
// written. What BenchmarkIngest adds beyond it is Pebble's.
func BenchmarkReplayStream(b *testing.B) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.Fill(b, s, b.N)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := storetest.CPUTime()
	cons, err := s.JetStream().OrderedConsumer(ctx, s.StreamName(),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.SubjectPrefix() + ".>"}})
	if err != nil {
		b.Fatal(err)
	}
	var events atomic.Int64
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			b.Error(err)
			return
		}
		evs, err := eventstore.DecodeMessage(m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			b.Error(err)
			return
		}
		if events.Add(int64(len(evs))) == int64(b.N) {
			close(done)
		}
	}, jetstream.PullMaxBytes(eventstore.PullBytes), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((storetest.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
}

// latencies collects durations for quantiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	d := append([]time.Duration(nil), l.d...)
	slices.Sort(d)
	return d[min(int(q*float64(len(d))), len(d)-1)]
}

// BenchmarkAppend64Pipelined: 64 writers, each keeping up to 8 commands in
// flight on its aggregate (the next is submitted as soon as JetStream holds
// the previous; each is acknowledged only once durable).
func BenchmarkAppend64Pipelined(b *testing.B) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const writers, window = 64, 8
	var lat latencies
	cpu0 := storetest.CPUTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/writers + 1
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			agg := eventstore.Aggregate{Kind: "station", ID: fmt.Sprintf("P%d", w), Region: "220102001001"}
			type inflight struct {
				p     *eventstore.Pending
				start time.Time
			}
			queue := make(chan inflight, window)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for f := range queue {
					if _, err := f.p.Wait(ctx); err != nil {
						b.Error(err)
					}
					lat.add(time.Since(f.start))
				}
			}()
			for i := range per {
				start := time.Now()
				p, err := s.Submit(ctx, agg, uint64(i), eventstore.Meta{CommandID: ulid.Make().String()},
					eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: storetest.Payload300})
				if err != nil {
					b.Error(err)
					break
				}
				queue <- inflight{p, start}
			}
			close(queue)
			<-done
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(per*writers)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(lat.quantile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64((storetest.CPUTime()-cpu0).Microseconds())/float64(per*writers), "cpu-µs/event")
	reportGroups(b, s)
}
