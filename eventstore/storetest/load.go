package storetest

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
)

// Payload300 is about 300 bytes, like a check-in with its metadata.
var Payload300 = []byte(`{"station_id":"01JDQ8Z3W5D3V0Y8C1N2P3Q4R5","roll_no":123456,"mode":"in_person","proxy_holder":0,"mobile":false,"ballot_serial":"A-000123","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)

// Fill appends n events of Payload300 from 64 concurrent writers, one
// aggregate each, for benchmarks that need a stream to ingest.
func Fill(tb testing.TB, s *eventstore.Store, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			agg := eventstore.Aggregate{Kind: "station", ID: fmt.Sprintf("F%d", w), Region: "220102001001"}
			for i := 0; i*64+w < n; i++ {
				if _, err := s.Append(context.Background(), agg, uint64(i), eventstore.Meta{CommandID: ulid.Make().String()},
					eventstore.EventData{Type: "t", SchemaVersion: 1, Payload: Payload300}); err != nil {
					tb.Error(err)
					return
				}
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
