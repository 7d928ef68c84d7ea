package reliability

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestCrashLoop: 64 recorders send check-ins over HTTP to "ledger serve",
// which is killed with SIGKILL at a random moment and restarted, cycle
// after cycle (3; -cycles N or LEDGER_LONG=1 for 20). After each kill
// every acknowledged command is in the log exactly once, the read models
// equal a full rebuild, and "ledger audit verify" passes.
func TestCrashLoop(t *testing.T) {
	n := *cycles
	if n == 0 {
		n = 3
		if long() {
			n = 20
		}
	}
	data := t.TempDir()
	c := startServe(t, data)
	e := setupElection(t, c, 16, 64*(250+60*n))
	c.kill()
	rs := newRecorders(e)
	rs.start(64)
	defer rs.halt()
	var events int
	for cycle := range n {
		c = startServe(t, data)
		rs.to.Store(&target{c.url, c.token})
		before := rs.nAcked.Load()
		waitAcked(t, rs, before+1) // a restart under 64 recorders first loads the election: see the report
		time.Sleep(time.Duration(200+rand.IntN(1300)) * time.Millisecond)
		c.kill()
		rs.to.Store(nil)
		checkSecretAbsent(t, c)
		events = checkAcked(t, data, &rs.acked)
		keys := checkRebuildEqual(t, data)
		verify(t, data)
		t.Logf("cycle %d: %d commands acknowledged in this run, %d in all, %d events in the log, %d read-model keys; %d transport errors (%v), %d busy answers",
			cycle+1, rs.nAcked.Load()-before, rs.nAcked.Load(), events, keys, rs.errs.Load(), rs.lastErr.Load(), rs.refused.Load())
		if t.Failed() || rs.failures.Load() > 0 {
			t.Fatalf("%d commands refused unexpectedly; first: %v", rs.failures.Load(), rs.firstBad.Load())
		}
	}
	if f := rs.failures.Load(); f > 0 {
		t.Fatalf("%d commands refused unexpectedly; first: %v", f, rs.firstBad.Load())
	}
	if rs.nAcked.Load() == 0 {
		t.Fatal("nothing was acknowledged")
	}
	t.Logf("survived %d SIGKILL cycles: %d commands acknowledged (%d as replays after a retry), all found exactly once among %d events",
		n, rs.nAcked.Load(), rs.replays.Load(), events)
}

// waitAcked waits until the recorders have n acknowledgements.
func waitAcked(t *testing.T, rs *recorders, n int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for rs.nAcked.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("no acknowledgement in 60s after a restart (last error %v)", rs.lastErr.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
