package eventstore

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A node that is the only publisher to its stream (the embedded server)
// knows every message before JetStream delivers it back: the
// acknowledgement of each command it publishes says at which sequence the
// message landed, and the node still holds the message's events. Once
// ingest has caught up with the stream, it takes those events from the
// publishers in sequence order instead of reading the stream, and reads
// from the stream only the sequences the acknowledgements skip over.
//
// Reading the stream as it is written costs more than the delivery
// itself. nats-server keeps the cache of a block that was read within the
// last 10 seconds (a fixed expiry), so a consumer that follows the newest
// block keeps every full block of the last 10 seconds in the heap: at the
// province's write rate, about 450 MB of a 768 MB limit, and the
// collector ran three times as often. A block nobody read hands its
// buffer on to the next block.
//
// A sequence is skipped over when another process published into the
// stream, or when a publish timed out after JetStream had stored it. Both
// are read from the stream: a gap once gapTicks ticks have passed without
// its acknowledgement, and, with nothing pending, whatever follows the
// last ingested sequence every idleTicks ticks.
const (
	gapTick   = 10 * time.Millisecond
	gapTicks  = 2
	idleTicks = 50
)

// onAck hands ingest this node's command as soon as JetStream
// acknowledges it. It runs on the client's goroutine that reads the
// acknowledgements, in the order JetStream stored the messages, whether
// or not the publisher's goroutine has run since: ingest never waits for
// a sequence whose publisher the scheduler has not run yet.
func (s *Store) onAck(_ jetstream.JetStream, m *nats.Msg, ack *jetstream.PubAck) {
	if ack.Duplicate {
		return
	}
	s.feedOwn(m.Header.Get(nats.MsgIdHdr), ack.Sequence)
}

// feedOwn hands ingest the events of this node's command, which JetStream
// acknowledged at seq, unless ingest has already read them from the
// stream.
func (s *Store) feedOwn(commandID string, seq uint64) {
	if !s.own.Load() {
		return
	}
	events, ok := s.sent.claim(commandID, seq)
	if !ok {
		return
	}
	select {
	case s.acked <- decoded{seq: seq, events: events}:
	case <-s.stop:
	case <-s.halted:
	}
}

// ingestOwn applies, in sequence order, the messages the publishers hand
// over and those read from the stream where their sequences leave a gap.
func (s *Store) ingestOwn(ctx context.Context, msgs <-chan decoded, kick chan<- struct{}) {
	next := s.applied.get().Seq + 1
	pending := map[uint64]decoded{}
	add := func(d decoded, acked bool) {
		if acked {
			s.sent.settle(d.events[0].CommandID)
		}
		if d.meta != nil || d.seq < next {
			return
		}
		if _, ok := pending[d.seq]; ok {
			return // read from the stream before its acknowledgement came
		}
		if acked {
			s.stats.Undecoded.Add(uint64(len(d.events)))
			s.stats.FromAcks.Add(uint64(len(d.events)))
		}
		pending[d.seq] = d
	}
	tick := time.NewTicker(gapTick)
	defer tick.Stop()
	group := make([]decoded, 0, maxGroup)
	ticks := 0
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-s.acked:
			add(d, true)
		case d := <-msgs: // delivered before the consumer stopped
			add(d, false)
		case <-tick.C:
			ticks++
		}
	drain:
		for len(pending) < 2*maxGroup {
			select {
			case d := <-s.acked:
				add(d, true)
			case d := <-msgs:
				add(d, false)
			default:
				break drain
			}
		}
		if _, ok := pending[next]; !ok && (len(pending) > 0 && ticks >= gapTicks || ticks >= idleTicks) {
			ticks = 0
			s.readGap(ctx, pending, next)
		}
		group = group[:0]
		for events := 0; len(group) < maxGroup && events < maxGroupEvents; next++ {
			d, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			group, events = append(group, d), events+len(d.events)
		}
		if len(group) == 0 {
			continue
		}
		ticks = 0
		if !s.commitGroup(group, kick) {
			return
		}
	}
}

// readGap reads from the stream the messages from next up to the first
// one pending or, with none pending, to the end of the stream, at most a
// group's worth.
func (s *Store) readGap(ctx context.Context, pending map[uint64]decoded, next uint64) {
	end := next + maxGroup // the first sequence pending, if below
	for seq := range pending {
		end = min(end, seq)
	}
	acked := end < next+maxGroup
	for seq := next; seq < end; seq++ {
		m, err := s.stream.GetMsg(ctx, seq)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound) && acked:
			// Below a sequence JetStream acknowledged: a message deleted
			// from the stream, nothing to ingest.
			pending[seq] = decoded{seq: seq}
		case errors.Is(err, jetstream.ErrMsgNotFound):
			return // the end of the stream
		case err != nil:
			s.log.Warn("reading a message the acknowledgements skipped", "seq", seq, "err", err)
			return // tried again at the next tick
		default:
			d := s.decodeMsg(m.Header, m.Data, seq)
			if !d.own && !s.foreign.Swap(true) {
				s.log.Warn("another process published into a stream this node does not share; every append now asks JetStream to check the aggregate's last message",
					"seq", seq, "subject", m.Subject)
			}
			pending[seq] = d
		}
	}
}
