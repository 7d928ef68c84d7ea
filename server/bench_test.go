package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// BenchmarkHTTPCheckIn drives check-ins through HTTP from 64 concurrent
// clients against a real node (JetStream file store, Pebble on disk): one
// election with a published roll of b.N voters and open polls. stations=1
// is the one station of the brief (every check-in serializes on that
// station's aggregate); stations=64 spreads the voters over 64 stations.
//
//	go test ./server/ -run '^$' -bench BenchmarkHTTPCheckIn -benchtime 20000x
func BenchmarkHTTPCheckIn(b *testing.B) {
	for _, stations := range []int{1, 64} {
		b.Run(fmt.Sprintf("stations=%d", stations), func(b *testing.B) { benchCheckIn(b, stations) })
	}
}

func benchCheckIn(b *testing.B, stations int) {
	fileStream = true
	defer func() { fileStream = false }()
	e := newEnv(b, Options{MaxInFlightWrites: 256, Limits: Limits{RatePerToken: -1}}) // one token for all writers
	el := e.openElectionAt(village, max(b.N, 1), stations)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	const clients = 64
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r := int(next.Add(1))
				if r > b.N {
					return
				}
				if !postCheckIn(client, e, el, r) {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d check-ins failed", n)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

func postCheckIn(c *http.Client, e *env, el election, rollNo int) bool {
	body, _ := json.Marshal(el.checkIn(rollNo))
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+CommandPath("check_in"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ulid.Make().String())
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}
