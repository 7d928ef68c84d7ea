package relay

import (
	"context"
	"errors"
	"testing"
)

type chunk struct{ n []int }

func newChunk() *chunk { return &chunk{n: make([]int, 0, 10)} }

// produceTo sends 0..total-1 in chunks of up to 10.
func produceTo(total int) func(*Producer[chunk]) error {
	return func(p *Producer[chunk]) error {
		c, ok := p.Next()
		if !ok {
			return p.Err()
		}
		c.n = c.n[:0]
		for i := range total {
			if len(c.n) == cap(c.n) {
				if !p.Send(c) {
					return p.Err()
				}
				if c, ok = p.Next(); !ok {
					return p.Err()
				}
				c.n = c.n[:0]
			}
			c.n = append(c.n, i)
		}
		if len(c.n) > 0 && !p.Send(c) {
			return p.Err()
		}
		return nil
	}
}

func TestInOrder(t *testing.T) {
	var got []int
	stopped, err := Run(context.Background(), newChunk, produceTo(1234), func(c *chunk) bool {
		got = append(got, c.n...)
		return true
	})
	if stopped || err != nil || len(got) != 1234 {
		t.Fatalf("stopped %v, err %v, %d values", stopped, err, len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("value %d at %d", v, i)
		}
	}
}

func TestConsumerStops(t *testing.T) {
	seen := 0
	stopped, err := Run(context.Background(), newChunk, produceTo(1_000_000), func(c *chunk) bool {
		seen += len(c.n)
		return seen < 50
	})
	if !stopped || !errors.Is(err, context.Canceled) || seen != 50 {
		t.Fatalf("stopped %v, err %v, saw %d", stopped, err, seen)
	}
}

func TestProducerError(t *testing.T) {
	bad := errors.New("unreadable")
	stopped, err := Run(context.Background(), newChunk, func(*Producer[chunk]) error { return bad },
		func(*chunk) bool { t.Fatal("nothing was sent"); return false })
	if stopped || !errors.Is(err, bad) {
		t.Fatalf("stopped %v, err %v", stopped, err)
	}
}
