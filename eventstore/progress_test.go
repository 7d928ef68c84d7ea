package eventstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestProgressWakesOnlyReachedMarks: set wakes exactly the waiters whose
// sequence or position it reaches; a cancelled waiter leaves no trace;
// wakeAll lets waiters see that ingest stopped.
func TestProgressWakesOnlyReachedMarks(t *testing.T) {
	var p progress
	p.init()
	var stopErr error
	var mu sync.Mutex
	stopped := func() error { mu.Lock(); defer mu.Unlock(); return stopErr }
	done := make(chan uint64, 16)
	start := func(at uint64, byPos bool) {
		go func() {
			if err := p.wait(context.Background(), at, byPos, stopped); err == nil {
				done <- at
			} else {
				done <- 1000 + at
			}
		}()
	}
	waiting := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			p.mu.Lock()
			got := p.bySeq.Len() + p.byPos.Len()
			p.mu.Unlock()
			if got == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiters parked, want %d", got, n)
			}
		}
	}
	for _, at := range []uint64{5, 2, 9} {
		start(at, false)
	}
	start(7, true) // a position
	waiting(4)

	p.set(checkpoint{Seq: 5, Position: 6})
	got := map[uint64]bool{<-done: true, <-done: true}
	if !got[2] || !got[5] {
		t.Fatalf("set to seq 5 woke %v, want the waiters of 2 and 5", got)
	}
	waiting(2) // 9 by sequence, 7 by position

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.wait(ctx, 50, false, stopped) }()
	waiting(3)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	waiting(2)

	p.set(checkpoint{Seq: 6, Position: 7})
	if at := <-done; at != 7 {
		t.Fatalf("set to position 7 woke %d, want the waiter of position 7", at)
	}
	mu.Lock()
	stopErr = errors.New("chain broken")
	mu.Unlock()
	p.wakeAll()
	if at := <-done; at != 1009 {
		t.Fatalf("after wakeAll got %d, want the waiter of 9 to fail", at)
	}
	waiting(0)
}
