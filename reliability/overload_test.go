package reliability

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestOverload drives "ledger serve --max-writes 4" with 512 concurrent
// recorders: the API answers 503 with Retry-After instead of queueing,
// the child's resident memory stays bounded, and no acknowledged write is
// lost.
func TestOverload(t *testing.T) {
	const clients, maxWrites, limitMiB = 512, 4, 512
	data := t.TempDir()
	c := startServe(t, data, "--max-writes", strconv.Itoa(maxWrites))
	e := setupElection(t, c, 16, 40000)
	base := rssMiB(t, c.pid())
	rs := newRecorders(e)
	rs.to.Store(&target{c.url, c.token})
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if m := rssMiB(t, c.pid()); m > peak.Load() {
				peak.Store(m)
			}
		}
	}()
	rs.start(clients)
	dur := 4 * time.Second
	if long() {
		dur = 30 * time.Second
	}
	time.Sleep(dur)
	rs.halt()
	close(done)
	c.stop(t)
	checkSecretAbsent(t, c)
	events := checkAcked(t, data, &rs.acked)
	t.Logf("%d clients, --max-writes %d, %v: %d acknowledged (%.0f/s), %d answered 503 (%d without Retry-After); RSS %d MiB after setup, peak %d MiB; %d events in the log",
		clients, maxWrites, dur, rs.nAcked.Load(), float64(rs.nAcked.Load())/dur.Seconds(), rs.refused.Load(), rs.noRetry.Load(), base, peak.Load(), events)
	switch {
	case rs.failures.Load() > 0:
		t.Fatalf("%d unexpected answers; first: %v", rs.failures.Load(), rs.firstBad.Load())
	case rs.refused.Load() == 0:
		t.Fatal("no write was refused: the server was not saturated")
	case rs.noRetry.Load() > 0:
		t.Fatalf("%d refusals without Retry-After", rs.noRetry.Load())
	case peak.Load() > limitMiB:
		t.Fatalf("resident memory peaked at %d MiB, want at most %d", peak.Load(), limitMiB)
	}
}

// rssMiB reads VmRSS of a process from /proc.
func rssMiB(t *testing.T, pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0 // the process ended
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb / 1024
		}
	}
	return 0
}
