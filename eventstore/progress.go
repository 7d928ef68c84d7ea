package eventstore

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
)

// progress is a checkpoint that goroutines wait on. A waiter is woken only
// once the checkpoint reaches its mark (or by wakeAll), not at every step:
// with hundreds of appends waiting on the durable position, waking all of
// them at each fsync cost more CPU than the fsync.
type progress struct {
	mu    sync.Mutex
	cp    checkpoint
	ch    chan struct{} // closed at every set (see changed)
	bySeq marks         // waiters for a message sequence
	byPos marks         // waiters for a log position
}

func (p *progress) init() { p.ch = make(chan struct{}) }

func (p *progress) get() checkpoint {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cp
}

// set advances the checkpoint and wakes the waiters it satisfies.
func (p *progress) set(cp checkpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cp = cp
	close(p.ch)
	p.ch = make(chan struct{})
	p.bySeq.release(cp.Seq)
	p.byPos.release(cp.Position)
}

// wakeAll wakes every waiter, so that each looks again (ingest stopped).
func (p *progress) wakeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bySeq.release(^uint64(0))
	p.byPos.release(^uint64(0))
}

// changed returns a channel closed at the next set.
func (p *progress) changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}

// wait blocks until the checkpoint's position (byPos) or sequence reaches
// at, stopped returns an error, or ctx ends.
func (p *progress) wait(ctx context.Context, at uint64, byPos bool, stopped func() error) error {
	for {
		p.mu.Lock()
		cur, ms := p.cp.Seq, &p.bySeq
		if byPos {
			cur, ms = p.cp.Position, &p.byPos
		}
		if cur >= at {
			p.mu.Unlock()
			return nil
		}
		if err := stopped(); err != nil {
			p.mu.Unlock()
			return fmt.Errorf("eventstore: ingest stopped: %w", err)
		}
		w := &mark{at: at, ch: make(chan struct{})}
		heap.Push(ms, w)
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			p.mu.Lock()
			if w.index >= 0 {
				heap.Remove(ms, w.index)
			}
			p.mu.Unlock()
			return ctx.Err()
		case <-w.ch:
		}
	}
}

// mark is one waiter: woken (ch closed) once the checkpoint reaches at.
type mark struct {
	at    uint64
	ch    chan struct{}
	index int // in its heap; -1 once released
}

// marks is a min-heap of waiters by mark (container/heap).
type marks []*mark

func (m marks) Len() int           { return len(m) }
func (m marks) Less(i, j int) bool { return m[i].at < m[j].at }
func (m marks) Swap(i, j int) {
	m[i], m[j] = m[j], m[i]
	m[i].index, m[j].index = i, j
}
func (m *marks) Push(x any) {
	w := x.(*mark)
	w.index = len(*m)
	*m = append(*m, w)
}
func (m *marks) Pop() any {
	old := *m
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*m = old[:len(old)-1]
	w.index = -1
	return w
}

// release wakes the waiters whose mark is at most upTo.
func (m *marks) release(upTo uint64) {
	for m.Len() > 0 && (*m)[0].at <= upTo {
		close(heap.Pop(m).(*mark).ch)
	}
}
