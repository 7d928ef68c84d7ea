package eventstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// follower reads the stream in order, from a sequence on, into ingest's
// channel. It reads through an ephemeral consumer of its own (AckNone, in
// memory, one replica), and whenever that consumer fails (its server was
// lost, the stream's leader changed, a heartbeat went missing, a delivery
// was skipped) it creates a fresh one from the next sequence at once,
// retrying every followRetry while the cluster elects a leader, and
// reading the stream message by message meanwhile (readDirect). nats.go's
// ordered consumer does the same, but backs off up to 10 s between
// attempts of up to 10 s each, long after a new leader was elected: ingest
// then stood still, and with it every acknowledgement of the node.
type follower struct {
	s    *Store
	msgs chan<- decoded

	mu   sync.Mutex // orders deliveries against a change of consumer
	next uint64     // the next stream sequence to hand to ingest
	gen  int        // the consumer generation whose deliveries count
	cc   jetstream.ConsumeContext
	name string

	failed chan int // the generation that failed
	stop   context.CancelFunc
	done   chan struct{}
}

// followRetry is the pause between attempts to create a consumer.
const followRetry = 250 * time.Millisecond

// follow starts reading the stream from sequence from. Its first consumer
// is created before it returns, so that Open fails when JetStream cannot
// serve one; call stop to end it.
func (s *Store) follow(ctx context.Context, from uint64, msgs chan<- decoded) (*follower, error) {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{s: s, msgs: msgs, next: from, failed: make(chan int, 1), stop: cancel, done: make(chan struct{})}
	if err := f.consume(ctx); err != nil {
		cancel()
		return nil, err
	}
	// After a reconnection the consumer may be gone with its server: do
	// not wait for its heartbeats to go missing.
	prev := s.nc.Opts.ReconnectedCB
	s.nc.SetReconnectHandler(func(nc *nats.Conn) {
		if prev != nil {
			prev(nc)
		}
		f.fail(f.current(), errReconnected)
	})
	go f.run(ctx)
	return f, nil
}

var errReconnected = errors.New("reconnected to NATS")

// halt stops reading and waits until no delivery is in progress.
func (f *follower) halt() {
	f.stop()
	<-f.done
}

func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	defer f.drop()
	for {
		select {
		case <-ctx.Done():
			return
		case gen := <-f.failed:
			if gen != f.current() {
				continue
			}
		}
		f.replace(ctx)
	}
}

// replace creates a new consumer, retrying every followRetry; until one
// exists, ingest reads the stream directly (see readDirect).
func (f *follower) replace(ctx context.Context) {
	dctx, stopDirect := context.WithCancel(ctx)
	direct := make(chan struct{})
	go func() { defer close(direct); f.readDirect(dctx) }()
	defer func() { stopDirect(); <-direct }()
	for ctx.Err() == nil {
		err := f.consume(ctx)
		if err == nil {
			return
		}
		f.s.log.Warn("ingest: cannot create a consumer of the stream; retrying, reading the stream directly meanwhile", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(followRetry):
		}
	}
}

// directPoll is how often readDirect asks for the next message once it
// has read all there is.
const directPoll = 20 * time.Millisecond

// readDirect hands ingest the stream's messages one by one, each asked of
// the stream's leader (a message get needs no consumer, so it works as
// soon as the stream has a leader, while the cluster may still be placing
// consumers), until ctx ends. Creating a consumer after a leader change
// took 3 to 5 s at times; appends wait for ingest, so they waited too.
func (f *follower) readDirect(ctx context.Context) {
	for ctx.Err() == nil {
		f.mu.Lock()
		next := f.next
		f.mu.Unlock()
		actx, cancel := context.WithTimeout(ctx, natsAttempt)
		m, err := f.s.stream.GetMsg(actx, next)
		cancel()
		if err != nil {
			select { // nothing there yet, or no leader: ask again
			case <-ctx.Done():
			case <-time.After(directPoll):
			}
			continue
		}
		f.handDirect(ctx, m)
	}
}

// handDirect hands ingest a message read directly, unless a consumer
// handed it over meanwhile.
func (f *follower) handDirect(ctx context.Context, m *jetstream.RawStreamMsg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.Sequence != f.next {
		return
	}
	select {
	case f.msgs <- f.s.decodeMsg(m.Header, m.Data, m.Sequence):
		f.next = m.Sequence + 1
	case <-ctx.Done():
	}
}

func (f *follower) current() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// consume replaces the current consumer with a new one that starts at
// the next sequence ingest needs.
func (f *follower) consume(ctx context.Context) error {
	f.drop()
	f.mu.Lock()
	from := f.next
	f.gen++
	gen := f.gen
	f.mu.Unlock()
	actx, cancel := context.WithTimeout(ctx, natsAttempt)
	defer cancel()
	cons, err := f.s.js.CreateConsumer(actx, f.s.cfg.Stream, jetstream.ConsumerConfig{
		FilterSubject: f.s.cfg.SubjectPrefix + ".>", DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq: from, AckPolicy: jetstream.AckNonePolicy, MaxDeliver: -1,
		MemoryStorage: true, Replicas: 1, InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("eventstore: create consumer from seq %d: %w", from, err)
	}
	var delivered uint64 // this consumer's last delivery sequence
	cc, err := cons.Consume(func(m jetstream.Msg) { f.deliver(ctx, gen, &delivered, m) },
		jetstream.PullMaxBytes(PullBytes), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) { f.fail(gen, err) }))
	if err != nil {
		return fmt.Errorf("eventstore: consume from seq %d: %w", from, err)
	}
	f.mu.Lock()
	f.cc, f.name = cc, cons.CachedInfo().Name
	f.mu.Unlock()
	return nil
}

// deliver hands one message of consumer generation gen to ingest, unless
// that consumer was replaced. A delivery out of order (one skipped)
// fails the consumer.
func (f *follower) deliver(ctx context.Context, gen int, delivered *uint64, m jetstream.Msg) {
	meta, err := m.Metadata()
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.gen {
		return
	}
	if err == nil && meta.Sequence.Consumer != *delivered+1 {
		err = fmt.Errorf("delivery %d after %d", meta.Sequence.Consumer, *delivered)
	}
	if err != nil {
		f.failLocked(gen, err)
		return
	}
	*delivered = meta.Sequence.Consumer
	if meta.Sequence.Stream < f.next {
		return // already handed over by an earlier consumer or read directly
	}
	d := f.s.decode(m)
	if *delivered%yieldEvery == 0 {
		runtime.Gosched()
	}
	select {
	case f.msgs <- d:
		f.next = meta.Sequence.Stream + 1
	case <-ctx.Done():
	}
}

func (f *follower) fail(gen int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failLocked(gen, err)
}

func (f *follower) failLocked(gen int, err error) {
	if gen != f.gen || errors.Is(err, jetstream.ErrConnectionClosed) {
		return
	}
	f.s.log.Warn("ingest: the stream's consumer failed; reading again from the next sequence", "next_seq", f.next, "err", err)
	select { // a failure of an older generation no longer matters
	case <-f.failed:
	default:
	}
	f.failed <- gen
}

// drop stops the current consumer and deletes it in the background (it
// may live on a server that is gone).
func (f *follower) drop() {
	f.mu.Lock()
	cc, name := f.cc, f.name
	f.cc, f.name = nil, ""
	f.gen++ // deliveries already under way no longer count
	f.mu.Unlock()
	if cc == nil {
		return
	}
	cc.Stop()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), natsAttempt)
		defer cancel()
		_ = f.s.js.DeleteConsumer(ctx, f.s.cfg.Stream, name)
	}()
}
