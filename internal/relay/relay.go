// Package relay runs a two-stage pipeline over reusable chunks: a producer
// goroutine fills chunks and hands them over in order; the caller's
// goroutine consumes them. Verifying the log and rebuilding the read
// models use it to read and decode Pebble's log on one core while checking
// or applying it on the other.
package relay

import "context"

// inFlight is how many chunks exist: one being filled, one waiting, one
// being consumed.
const inFlight = 3

// Producer is the producer's side of Run.
type Producer[C any] struct {
	ctx    context.Context
	chunks chan<- *C
	free   <-chan *C
}

// Next returns a chunk to fill. Chunks are reused: the producer resets
// what it gets. It returns false once the consumer has stopped or the
// context has ended.
func (p *Producer[C]) Next() (*C, bool) {
	select {
	case c := <-p.free:
		return c, true
	case <-p.ctx.Done():
		return nil, false
	}
}

// Send hands a filled chunk to the consumer; false as for Next.
func (p *Producer[C]) Send(c *C) bool {
	select {
	case p.chunks <- c:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// Err is why Next or Send returned false.
func (p *Producer[C]) Err() error { return p.ctx.Err() }

// Run calls produce on a goroutine of its own and consume on the caller's
// for each chunk produce sends, in order. alloc makes the chunks. consume
// returns false to stop early: Next and Send then return false, and Run
// waits for produce to return. Run reports whether consume stopped it, and
// produce's error.
func Run[C any](ctx context.Context, alloc func() *C, produce func(*Producer[C]) error, consume func(*C) bool) (stopped bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks, free := make(chan *C, inFlight-1), make(chan *C, inFlight)
	for range inFlight {
		free <- alloc()
	}
	errc := make(chan error, 1)
	go func() {
		defer close(chunks)
		errc <- produce(&Producer[C]{ctx: ctx, chunks: chunks, free: free})
	}()
	for c := range chunks {
		if !consume(c) {
			stopped = true
			cancel()
			for range chunks { // let the producer see the cancel and stop
			}
			break
		}
		free <- c
	}
	return stopped, <-errc
}
