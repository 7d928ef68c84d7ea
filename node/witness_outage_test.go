package node_test

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"ledger/audit"
	"ledger/node"
)

// TestWitnessOutage takes one of three witnesses down for a minute while
// a node records events and signs a checkpoint every second, quorum 2,
// with the node's default backoff. It is long (about 80 s), so it runs
// only with LEDGER_WITNESS_OUTAGE=1; it logs the figures that
// docs/performance.md gives. It fails if a write fails, if the node ever
// says it cannot obtain a quorum, or if the witness is not cosigning
// again within the backoff's ceiling after it returns.
func TestWitnessOutage(t *testing.T) {
	if os.Getenv("LEDGER_WITNESS_OUTAGE") != "1" {
		t.Skip("long (about 80 s): set LEDGER_WITNESS_OUTAGE=1 to run it")
	}
	dir := t.TempDir()
	_, v, err := audit.LoadOrCreateKey(dir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	ws := startWitnesses(t, v.Key, "w.example/a", "w.example/b", "w.example/c")
	flags, _ := witnessFlags(ws)
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Witnesses: flags, WitnessQuorum: 2, CheckpointInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	<-n.Store.Ready()

	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var before, during []time.Duration
	phase := &before
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			start := time.Now()
			callElections(t, n, 1)
			mu.Lock()
			*phase = append(*phase, time.Since(start))
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	})
	var lost, samples, noQuorum int
	var longestGap, gap time.Duration
	wg.Go(func() {
		for ctx.Err() == nil {
			st := n.Cosigner.Status()
			samples++
			if st.CannotObtain {
				lost++
			}
			if !st.QuorumMet {
				noQuorum++
				gap += 100 * time.Millisecond
				longestGap = max(longestGap, gap)
			} else {
				gap = 0
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	time.Sleep(10 * time.Second)
	addr := ws[2].srv.Listener.Addr().String()
	ws[2].srv.Close()
	mu.Lock()
	phase = &during
	mu.Unlock()
	down := time.Now()
	time.Sleep(time.Minute)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	back := httptest.NewUnstartedServer(ws[2].w.Handler())
	back.Listener.Close()
	back.Listener = ln
	back.Start()
	defer back.Close()
	upAt := time.Now()
	mu.Lock()
	phase = new([]time.Duration)
	mu.Unlock()
	failures := n.Cosigner.Status().PerWitness[2].Failures
	var recovered time.Duration
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st := n.Cosigner.Status(); st.PerWitness[2].Cosigned && !st.PerWitness[2].Failing {
			recovered = time.Since(upAt)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("witness c not cosigning 40 s after it returned: %+v", n.Cosigner.Status().PerWitness[2])
		}
	}
	stop()
	wg.Wait()
	st := n.Cosigner.Status()
	t.Logf("outage %.0fs: writes before %d (p50 %v, p99 %v), during %d (p50 %v, p99 %v, max %v)",
		upAt.Sub(down).Seconds(), len(before), pct(before, 50), pct(before, 99), len(during), pct(during, 50), pct(during, 99), pct(during, 100))
	t.Logf("quorum: %d samples, %d without a quorum (longest %v), %d cannot-obtain; witness c: %d failed requests during the outage, cosigning again %v after it returned; checkpoints to quorum %d, mean latency %.1f ms",
		samples, noQuorum, longestGap, lost, failures, recovered.Round(time.Millisecond), st.QuorumsTotal, 1000*st.LatencySecondsSum/float64(max(st.QuorumsTotal, 1)))
	if lost > 0 {
		t.Errorf("the node said it could not obtain a quorum %d times with two of three witnesses up", lost)
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(10 * time.Microsecond)
}
