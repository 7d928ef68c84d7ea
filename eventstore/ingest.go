package eventstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxGroup bounds how many messages one ingest batch holds, and
// maxGroupEvents how many events: catching up on messages of hundreds of
// events, a group bound by messages alone held millions of events, and
// growing its Pebble batch and its array of events cost more than writing
// them. A group stops once it has maxGroupEvents, half of maxKeptEvents,
// so that with the last message's events (one command's at most) it still
// fits the array ingest keeps for the next group.
const (
	maxGroup       = 4096
	maxGroupEvents = maxKeptEvents / 2
)

// PullBytes bounds, in bytes, what a reader of the stream asks JetStream
// for ahead of what it has handled. A bound in messages does not fit a
// stream whose messages range from one event to hundreds: 4,096 messages
// of a few hundred kilobytes overran the client's 64 MB limit for a
// subscription, which dropped them ("slow consumer"), and the ordered
// consumer started over from the last message it had.
const PullBytes = 16 << 20

// yieldEvery is how many messages ingest's goroutines handle between
// yields to the scheduler. Catching up, ingest can keep every core busy
// for seconds; yielding this often lets a query that became runnable
// (an HTTP request, a dashboard's poll) run within about a millisecond
// instead of waiting for the runtime's 10 ms preemption.
const yieldEvery = 32

// startIngest starts reading the stream (see follower), the ingest loop,
// the syncer and the probe of the stream's leader (see probeLoop).
func (s *Store) startIngest(cp checkpoint) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	target, err := s.StreamLastSeq(ctx)
	if err != nil {
		cancel()
		return err
	}
	msgs := make(chan decoded, 2*maxGroup)
	f, err := s.follow(ctx, cp.Seq+1, msgs)
	if err != nil {
		cancel()
		return err
	}
	kick := make(chan struct{}, 1)
	s.acked, s.owning, s.stop = make(chan decoded, 2*maxGroup), make(chan struct{}), ctx.Done()
	s.halted = make(chan struct{})
	s.probe(ctx)
	s.wg.Add(5)
	go func() { defer s.wg.Done(); s.probeLoop(ctx) }()
	go func() { defer s.wg.Done(); <-ctx.Done(); f.halt() }()
	go func() { defer s.wg.Done(); s.syncLoop(ctx, kick) }()
	go func() { defer s.wg.Done(); s.ingestLoop(ctx, msgs, kick, target, f) }()
	go func() { defer s.wg.Done(); s.markReady(ctx, target) }()
	return nil
}

// markReady opens the store for appends once ingest has caught up with
// the stream as it was at Open and, unless the stream is shared, taken
// over this node's own messages from their acknowledgements.
func (s *Store) markReady(ctx context.Context, target uint64) {
	if err := s.waitSeq(ctx, target); err != nil {
		return
	}
	if !s.cfg.SharedStream {
		select {
		case <-s.owning:
		case <-ctx.Done():
			return
		}
	}
	close(s.ready)
}

// decoded is a stream message decoded into its events (or why not).
type decoded struct {
	seq    uint64
	events []Envelope
	err    error // the message is not a ledger record
	own    bool  // a message this node published, taken from what it sent
	meta   error // the delivery had no JetStream metadata
}

func (s *Store) decode(m jetstream.Msg) decoded {
	meta, err := m.Metadata()
	if err != nil {
		return decoded{meta: err}
	}
	return s.decodeMsg(m.Headers(), m.Data(), meta.Sequence.Stream)
}

func (s *Store) decodeMsg(hdr nats.Header, data []byte, seq uint64) decoded {
	d := decoded{seq: seq}
	if evs, ok := s.sent.take(hdr, data, seq); ok {
		s.stats.Undecoded.Add(uint64(len(evs)))
		d.events, d.own = evs, true
		return d
	}
	d.events, d.err = DecodeMessage(hdr, data, seq)
	return d
}

// ingestLoop applies the stream as its consumer delivers it, until it has
// caught up with target; then, unless the stream is shared, it stops the
// consumer and goes on with ingestOwn.
func (s *Store) ingestLoop(ctx context.Context, msgs <-chan decoded, kick chan<- struct{}, target uint64, f *follower) {
	group := make([]decoded, 0, maxGroup)
	for s.cfg.SharedStream || s.applied.get().Seq < target {
		var events int
		select {
		case <-ctx.Done():
			return
		case m := <-msgs:
			group, events = append(group[:0], m), len(m.events)
		}
	drain:
		for len(group) < maxGroup && events < maxGroupEvents {
			select {
			case m := <-msgs:
				group, events = append(group, m), events+len(m.events)
			default:
				break drain
			}
		}
		if !s.commitGroup(group, kick) {
			return
		}
	}
	f.halt()
	s.own.Store(true)
	close(s.owning)
	s.ingestOwn(ctx, msgs, kick)
}

// commitGroup applies a group and wakes the syncer; false when ingest
// stopped on it.
func (s *Store) commitGroup(group []decoded, kick chan<- struct{}) bool {
	if err := s.applyGroup(group); err != nil {
		s.fail(err)
		return false
	}
	select {
	case kick <- struct{}{}:
	default:
	}
	return true
}

func (s *Store) fail(err error) {
	s.log.Error("ingest stopped", "err", err)
	s.errMu.Lock()
	if s.err == nil {
		close(s.halted) // feedOwn stops handing over
	}
	s.err = err
	s.errMu.Unlock()
	s.durable.wakeAll() // so that they see the error
}

// syncLoop makes applied batches durable: one fsync covers every batch
// committed before it.
func (s *Store) syncLoop(ctx context.Context, kick <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		cp := s.applied.get()
		if cp.Seq <= s.durable.get().Seq {
			continue
		}
		start := time.Now()
		if err := s.db.LogData(nil, pebble.Sync); err != nil {
			s.fail(fmt.Errorf("eventstore: fsync: %w", err))
			return
		}
		s.stats.SyncNanos.Add(uint64(time.Since(start)))
		s.stats.Syncs.Add(1)
		s.durable.set(cp)
	}
}

// applyGroup writes one group of messages, their indexes, the Appliers'
// changes and the checkpoint in one Pebble batch.
//
// The batch holds its keys family by family: the events by position,
// then the event IDs, then the commands, then the index entries, then
// what the Appliers write. Pebble inserts a batch's keys into its
// memtable one by one, and each insert starts its search from where the
// previous one landed: the next position, or the next event ID (a ULID,
// minted in time order), lands right after the previous one, while a key
// of another family sends the search back to the top of the memtable.
func (s *Store) applyGroup(group []decoded) error {
	cp := s.applied.get()
	b := s.batch
	b.Reset()
	clear(s.group)
	s.runs.reset() // of a batch that failed
	idx := s.idx   // the index entries, added to b after the event IDs and commands
	idx.Reset()
	cmds := s.cmds[:0]
	defer func() { s.cmds = reuse(cmds, maxGroup) }()
	all := s.all[:0]
	defer func() { s.all = reuse(all, maxKeptEvents) }()
	buf := make([]byte, 0, 1024)
	for _, m := range group {
		if m.meta != nil {
			return fmt.Errorf("eventstore: message metadata: %w", m.meta)
		}
		seq, events := m.seq, m.events
		if seq <= cp.Seq {
			continue // delivered again after a consumer reset
		}
		if m.err != nil {
			s.stats.BadMessages.Add(1)
			s.log.Error("undecodable message in stream", "seq", seq, "err", m.err)
		}
		if len(all)%yieldEvery+len(events) >= yieldEvery {
			runtime.Gosched()
		}
		for i := range events {
			cp.Position++
			events[i].Position = cp.Position
			var err error
			if buf, err = s.writeEvent(b, idx, &events[i], buf[:0]); err != nil {
				return err
			}
		}
		ref := msgRef{Seq: seq, First: cp.Position - uint64(len(events)) + 1, Count: uint32(len(events))}
		s.recent[seq%uint64(len(s.recent))].Store(&ref)
		if len(events) > 0 {
			cmds = append(cmds, command{events[0].CommandID, ref})
		}
		cp.Seq = seq
		all = append(all, events...)
	}
	for i := range all {
		_ = b.Set(eventIDKey(all[i].EventID), u64key(0, all[i].Position)[1:], nil) // a batch's Set fails only when closed
	}
	for _, c := range cmds {
		_ = b.Set(commandKey(c.id), c.ref.encode(), nil)
	}
	s.runs.flush(idx)
	if err := b.Apply(idx, nil); err != nil {
		return err
	}
	for _, a := range s.cfg.Appliers {
		runtime.Gosched()
		if err := a.Apply(b, all); err != nil {
			return fmt.Errorf("eventstore: applier %s: %w", a.Name(), err)
		}
	}
	if err := b.Set(keyIngest, cp.encode(), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("eventstore: commit ingest batch: %w", err)
	}
	s.stats.Ingested.Add(uint64(len(all)))
	s.stats.Batches.Add(1)
	s.applied.set(cp)
	return nil
}

// command is where one ingested command's events landed.
type command struct {
	id  string
	ref msgRef
}

// Ingest builds each group's Pebble batch, and its index entries, in two
// batches it keeps from group to group, with their buffers: a new batch of
// megabytes, grown by doubling, was copied and cleared as it grew, and
// then left to the collector. A buffer above retainedBatch (a rebuild's
// largest groups) is still dropped at the next group.
const (
	initialBatch  = 1 << 20
	retainedBatch = 16 << 20
)

func newIngestBatch(db *pebble.DB) *pebble.Batch {
	return db.NewBatch(pebble.WithInitialSizeBytes(initialBatch), pebble.WithMaxRetainedSizeBytes(retainedBatch))
}

// maxKeptEvents bounds the array of events ingest keeps from one batch
// for the next (about 6 MB): a rebuild's batches can hold a hundred times
// more, and those arrays go back to the collector.
const maxKeptEvents = 1 << 14

// reuse returns all emptied for the next batch, without keeping the
// events' payloads and strings alive, or nil when it is too large to keep.
func reuse[T any](all []T, limit int) []T {
	if cap(all) > limit {
		return nil
	}
	clear(all)
	return all[:0]
}

// writeEvent checks that e follows its aggregate's hash chain, then adds it
// to b and its aggregate, region and actor index entries to idx. An event
// that breaks the chain (a forged or reordered message in the log of
// record) stops ingest: nothing after it is applied, and the error names
// its position. Its own hash was checked when its message was decoded, so
// ingest is where both checks of every event happen, once (the Merkle
// tree's applier relies on them).
func (s *Store) writeEvent(b, idx *pebble.Batch, e *Envelope, buf []byte) ([]byte, error) {
	key := e.Aggregate().String()
	prev, ok := s.chain.Get(key)
	if !ok {
		prev, ok = s.group[key]
	}
	if !ok {
		// Not cached and not in this batch: committed state knows the
		// aggregate's last event.
		var err error
		if prev, _, err = s.lastOf(e.AggregateKind, e.AggregateID); err != nil {
			return buf, err
		}
	}
	if e.Version != prev.Version+1 || e.PrevHash != prev.Hash {
		s.stats.ChainBreaks.Add(1)
		return buf, &ChainError{Position: e.Position, Seq: e.Seq, Aggregate: e.Aggregate().String(), Version: e.Version, HeadVersion: prev.Version}
	}
	buf = encodeStored(e, buf)
	_ = b.Set(eventKey(e.Position), buf, nil)
	h := head{Version: e.Version, Seq: e.Seq, Position: e.Position, Hash: e.Hash, Region: e.Region}
	s.chain.Put(key, h)
	s.group[key] = h // the cache may evict it before the batch commits
	s.runs.add(idx, e, key)
	return buf, nil
}

// errStreamBehind means the stream could not take back Pebble's tail at
// the same positions.
var errStreamBehind = errors.New("eventstore: stream is behind pebble and could not be repaired")

// repairStream republishes Pebble's tail into a stream that lost it (after
// a power loss), each message with the expected last sequence so that it
// lands at the position it had.
func (s *Store) repairStream(ctx context.Context, cp checkpoint) error {
	last, err := s.StreamLastSeq(ctx)
	if err != nil || last >= cp.Seq {
		return err
	}
	rep := Repair{FromSeq: last + 1, ToSeq: cp.Seq, ToPosition: cp.Position, At: time.Now().UTC(), StreamLastSeq: last,
		Why: "the stream ends before Pebble's log (a power loss, or its files cut short or damaged)"}
	if ref, err := s.messageRef(last + 1); err == nil {
		rep.FromPosition = ref.First
	}
	if err := s.recordRepair(rep); err != nil {
		return err
	}
	for seq := last + 1; seq <= cp.Seq; seq++ {
		if err := s.republish(ctx, seq); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) republish(ctx context.Context, seq uint64) error {
	ref, err := s.messageRef(seq)
	if err != nil {
		return err
	}
	if ref.Count == 0 {
		return fmt.Errorf("%w: message %d held no events", errStreamBehind, seq)
	}
	events, err := s.readRange(ref.First, int(ref.Count))
	if err != nil {
		return err
	}
	m := EncodeMessage(s.cfg.SubjectPrefix, events)
	ack, err := s.js.PublishMsg(ctx, m, jetstream.WithExpectLastSequence(seq-1))
	if err != nil {
		return fmt.Errorf("%w: seq %d: %w", errStreamBehind, seq, err)
	}
	if ack.Sequence != seq {
		return fmt.Errorf("%w: seq %d landed at %d", errStreamBehind, seq, ack.Sequence)
	}
	s.stats.Republished.Add(1)
	return nil
}
