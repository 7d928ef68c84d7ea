package eventstore_test

import (
	"context"
	"testing"
	"time"

	"ledger/eventstore/storetest"
)

// BenchmarkScrub measures the scrub's CPU per event re-read (fetched from
// the stream, decoded, re-hashed and compared with Pebble's) and per state
// check, on a stream of 20,000 events of 300 bytes. Its "cpu-us/event"
// and "cpu-us/check" figures give the scrub's CPU share at a given log
// size and period (docs/performance.md).
func BenchmarkScrub(b *testing.B) {
	s := openEmbedded(&testing.T{}, b.TempDir(), false)
	defer s.Close()
	const n = 20_000
	storetest.Fill(b, s, n)
	ctx := context.Background()
	b.ResetTimer()
	cpu := storetest.CPUTime()
	start := time.Now()
	for b.Loop() {
		if err := s.ScrubForTest(ctx, 1, n); err != nil {
			b.Fatal(err)
		}
	}
	used := storetest.CPUTime() - cpu
	b.ReportMetric(float64(used.Microseconds())/float64(b.N*n), "cpu-us/event")
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "events/s")
	cpu = storetest.CPUTime()
	const checks = 2000
	for range checks {
		if err := s.ScrubForTest(ctx, 1, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((storetest.CPUTime()-cpu).Microseconds())/checks, "cpu-us/check")
}
