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
