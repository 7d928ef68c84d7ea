package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
)

// Payload300 is about 300 bytes, like a check-in with its metadata.
var Payload300 = []byte(`{"station_id":"01JDQ8Z3W5D3V0Y8C1N2P3Q4R5","roll_no":123456,"mode":"in_person","proxy_holder":0,"mobile":false,"recorded_by":"D-000123","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)

// Fill appends n events of Payload300 from 64 concurrent writers, one
// aggregate each, one event a command, for benchmarks that need a stream
// to ingest.
func Fill(tb testing.TB, s *eventstore.Store, n int) { FillBatched(tb, s, n, 1) }

// FillBatched is Fill with up to per events a command, as a polling
// station's device uploads its check-ins. Exactly n events are appended.
func FillBatched(tb testing.TB, s *eventstore.Store, n, per int) {
	tb.Helper()
	events := make([]eventstore.EventData, per)
	for i := range events {
		events[i] = eventstore.EventData{Type: "t", SchemaVersion: 1, Payload: Payload300}
	}
	var next atomic.Int64 // events claimed by the writers
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			agg := eventstore.Aggregate{Kind: "station", ID: fmt.Sprintf("F%d", w), Region: "220102001001"}
			version := uint64(0)
			for {
				k := int(next.Add(int64(per))) - per // the first event of this command
				if k >= n {
					return
				}
				batch := events[:min(per, n-k)]
				if _, err := s.Append(context.Background(), agg, version, eventstore.Meta{CommandID: ulid.Make().String()}, batch...); err != nil {
					tb.Error(err)
					return
				}
				version += uint64(len(batch))
			}
		})
	}
	wg.Wait()
}

// CPUTime is the process's CPU time (user and system) so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSSMiB is the process's peak resident memory so far, in MiB (an
// embedded nats-server included: it runs in the same process).
func PeakRSSMiB() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}
