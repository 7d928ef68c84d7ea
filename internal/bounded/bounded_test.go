package bounded

import (
	"fmt"
	"sync"
	"testing"
)

func TestBound(t *testing.T) {
	m := New[string, int](640)
	for i := range 100_000 {
		m.Put(fmt.Sprint(i), i)
	}
	if got := m.Len(); got > 640 || got < 320 {
		t.Fatalf("holds %d entries, want about 640 and never more", got)
	}
	m.Put("x", 7)
	if v, ok := m.Get("x"); !ok || v != 7 {
		t.Fatalf("got %d, %v; want 7", v, ok)
	}
	m.Delete("x")
	if _, ok := m.Get("x"); ok {
		t.Fatal("deleted entry still present")
	}
}

func TestConcurrent(t *testing.T) {
	m := New[int, int](1000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10_000 {
				m.Put(g*10_000+i, i)
				m.Get(i)
			}
		})
	}
	wg.Wait()
	if m.Len() > 1000 {
		t.Fatalf("holds %d entries, want at most 1000", m.Len())
	}
}

// TestKeepsHotEntries: keys read often stay while a stream of new keys,
// each used once, passes through. A miss is reloaded, as the caches'
// users do; misses of hot keys stay rare (random eviction misses about a
// third of them here).
func TestKeepsHotEntries(t *testing.T) {
	m := New[int, int](64 * 32) // 32 per shard
	const hot = 64 * 8          // a quarter of the capacity
	for i := range hot {
		m.Put(i, i)
	}
	misses := 0
	const rounds = 200_000
	for i := range rounds {
		m.Put(hot+i, i) // a cold key, never read again
		if _, ok := m.Get(i % hot); !ok {
			misses++
			m.Put(i%hot, i)
		}
	}
	if rate := float64(misses) / rounds; rate > 0.05 {
		t.Fatalf("%.1f%% of hot reads missed", 100*rate)
	}
}
