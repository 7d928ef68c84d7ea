package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/compact"

	"ledger/eventstore"
	"ledger/internal/relay"
)

// sourceCheck recomputes the hash chains and the tree over one copy of the
// log, event by event, compares each event's hash with the one Pebble
// stored at its position (from which the tree's leaf is derived) and each
// recomputed node at storedLevel and above with the stored one. It stops at
// the first problem.
type sourceCheck struct {
	name     string
	size     uint64          // the stored tree's size
	sizes    map[uint64]bool // sizes whose roots to record
	roots    map[uint64][]byte
	heads    map[string]*aggHead
	rng      *compact.Range
	nodes    *nodeReader
	leaves   bool            // compare the events with the tree's leaves (the JetStream pass)
	pend     []pendingLeaf   // leaves since the last stored node compared (leaves set)
	badNode  bool            // the problem is a stored node of 16 that differs
	verified uint64          // the last position of the last node of 16 found equal to the stored one
	visit    compact.VisitFn // compares each recomputed stored-level node with the stored one
	progress func(Progress)
	every    uint64
	count    uint64
	problem  *Problem
	key      []byte
}

func (c *sourceCheck) fail(pos uint64, f *chainFields, what string) bool {
	if c.problem = c.comparePending(); c.problem != nil {
		return false // an event before this one differs from the tree's leaf
	}
	p := Problem{Position: pos, Source: c.name, What: what}
	if f != nil {
		p.Aggregate = string(f.kind) + "/" + string(f.id)
	}
	c.problem = &p
	return false
}

// add checks the event at pos with the given chain fields and hash (already
// checked against its contents) and adds it as the next leaf. It returns
// false once a problem was found.
func (c *sourceCheck) add(pos uint64, f *chainFields, h *eventstore.Hash) bool {
	if pos != c.count+1 {
		return c.fail(c.count+1, nil, fmt.Sprintf("event missing: the next event found is at position %d", pos))
	}
	if c.leaves && pos <= c.size {
		c.keepPending(pos, f, h)
	}
	if !c.chain(pos, f, h) {
		return false
	}
	visit := c.visit
	if pos > c.size {
		visit = nil
	}
	_ = c.rng.Append(hasher.HashLeaf(h[:]), visit) // appending a leaf to a range from 0 cannot fail
	if c.problem == nil && pos == c.size {
		c.problem = c.comparePending() // the leaves after the last node of 16
	}
	if c.problem != nil {
		return false
	}
	c.count = pos
	if c.sizes[pos] {
		c.roots[pos], _ = c.rng.GetRootHash(nil)
	}
	if c.progress != nil && pos%c.every == 0 {
		c.progress(Progress{Source: c.name, Done: pos, Total: c.size})
	}
	return true
}

// pendingLeaf is an event of the JetStream pass whose leaf no stored node
// has covered yet.
type pendingLeaf struct {
	pos      uint64
	h        eventstore.Hash
	kind, id []byte // reused: copies of the chain fields
}

// keepPending keeps the event's hash until a stored node covers it.
//
// The JetStream pass compares its events with the tree a node of 16
// leaves at a time (visitNode) instead of reading each leaf from Pebble:
// equal nodes mean equal leaves. Only when something is found wrong does
// it compare the pending leaves one by one (comparePending), so that the
// problem reported is still the first event that differs.
func (c *sourceCheck) keepPending(pos uint64, f *chainFields, h *eventstore.Hash) {
	if len(c.pend) < cap(c.pend) {
		c.pend = c.pend[:len(c.pend)+1] // keeps the buffers of the entry there
	} else {
		c.pend = append(c.pend, pendingLeaf{})
	}
	l := &c.pend[len(c.pend)-1]
	l.pos, l.h = pos, *h
	l.kind, l.id = append(l.kind[:0], f.kind...), append(l.id[:0], f.id...)
}

// comparePending compares each pending leaf's event hash with the one
// stored with Pebble's event at its position, the tree's leaf data there,
// and returns the first difference. It empties the pending leaves.
func (c *sourceCheck) comparePending() *Problem {
	pend := c.pend
	c.pend = c.pend[:0]
	for i := range pend {
		l := &pend[i]
		stored, ok := c.nodes.eventHash(l.pos)
		what := "Pebble holds no well-formed event at this position, so the tree has no leaf for it"
		if ok && bytes.Equal(stored, l.h[:]) {
			continue
		}
		if ok {
			what = fmt.Sprintf("event hash %x differs from the one the tree recorded here, %x stored with Pebble's event (event changed, removed, reordered or inserted)", l.h[:], stored)
		}
		c.backTo(l.pos)
		return &Problem{Position: l.pos, Aggregate: string(l.kind) + "/" + string(l.id), Source: c.name, What: what}
	}
	return nil
}

// backTo forgets what the pass recorded from position pos on, where a
// problem was found after the pass had gone past it.
func (c *sourceCheck) backTo(pos uint64) {
	c.count = min(c.count, pos-1)
	for size := range c.roots {
		if size >= pos {
			delete(c.roots, size)
		}
	}
}

// visitNode compares a recomputed node at storedLevel or above with the
// stored one. The nodes below are not stored: they are a function of the
// leaves. A node of 16 that matches settles its pending leaves.
func (c *sourceCheck) visitNode(id compact.NodeID, hash []byte) {
	if id.Level < storedLevel || c.problem != nil {
		return
	}
	stored, ok := c.nodes.at(id.Level, id.Index)
	if ok && bytes.Equal(stored, hash) {
		if id.Level == storedLevel {
			c.pend = c.pend[:0] // the node's 16 leaves are the tree's
			_, c.verified = id.Coverage()
		}
		return
	}
	if c.problem = c.comparePending(); c.problem != nil {
		return // a leaf differs: the event is the problem, not the node
	}
	begin, end := id.Coverage()
	if id.Level == storedLevel {
		c.badNode = true
	}
	what := "differs from"
	if !ok {
		what = "is missing; expected"
	}
	c.problem = &Problem{Position: end, Source: SourceTree,
		What: fmt.Sprintf("stored tree node (level %d, index %d) over positions %d to %d %s the one the %s events give",
			id.Level, id.Index, begin+1, end, what, c.name)}
}

// chain checks that the event follows its aggregate's previous event.
func (c *sourceCheck) chain(pos uint64, f *chainFields, h *eventstore.Hash) bool {
	c.key = append(append(append(c.key[:0], f.kind...), 0), f.id...)
	head, ok := c.heads[string(c.key)]
	if !ok {
		head = &aggHead{}
		c.heads[string(c.key)] = head
	}
	if f.version != head.version+1 || !bytes.Equal(f.prev, head.hash[:]) {
		return c.fail(pos, f, fmt.Sprintf("version %d does not follow version %d of its aggregate by previous hash (hash chain broken)", f.version, head.version))
	}
	head.version, head.hash = f.version, *h
	return true
}

func (c *sourceCheck) finish() {
	if c.problem == nil {
		c.problem = c.comparePending() // a log that ends before the tree does
	}
	if c.sizes[0] {
		c.roots[0] = hasher.EmptyRoot()
	}
	if c.progress != nil {
		c.progress(Progress{Source: c.name, Done: c.count, Total: c.size})
	}
}

// nodeReader reads, in order, the stored tree's nodes (level by level)
// and the hashes stored with Pebble's events (the leaves' data), one
// iterator for each, so that a pass that asks for them in order costs one
// Next per node or event.
type nodeReader struct {
	r      pebble.Reader
	levels [64]orderedReader
	events orderedReader
}

func newNodeReader(r pebble.Reader) *nodeReader {
	n := &nodeReader{r: r, events: orderedReader{prefix: []byte{prefixEvent}}}
	for l := range n.levels {
		n.levels[l].prefix = []byte{prefixTree, subNode, byte(l)}
	}
	return n
}

// at returns the stored hash of node (level, index), level >= storedLevel;
// the slice is valid until the next call for that level.
func (n *nodeReader) at(level uint, index uint64) ([]byte, bool) {
	if level < storedLevel || level >= uint(len(n.levels)) {
		return nil, false
	}
	return n.levels[level].at(n.r, index)
}

// eventHash returns the hash stored with the event at pos; the slice is
// valid until the next call.
func (n *nodeReader) eventHash(pos uint64) ([]byte, bool) {
	v, ok := n.events.at(n.r, pos)
	if !ok {
		return nil, false
	}
	_, hash, ok := splitStored(v)
	return hash, ok
}

func (n *nodeReader) close() {
	for l := range n.levels {
		n.levels[l].close()
	}
	n.events.close()
}

// orderedReader reads the values of the keys prefix || index (8 bytes,
// big-endian) by index: asked for increasing indexes, it costs one Next per
// key; a skipped index costs a seek.
type orderedReader struct {
	prefix []byte
	it     *pebble.Iterator
	key    []byte
}

func (o *orderedReader) at(r pebble.Reader, index uint64) ([]byte, bool) {
	if o.it == nil {
		hi := bytes.Clone(o.prefix)
		hi[len(hi)-1]++
		it, err := r.NewIter(&pebble.IterOptions{LowerBound: o.prefix, UpperBound: hi})
		if err != nil {
			return nil, false
		}
		o.it = it
		it.First()
	} else {
		o.it.Next()
	}
	if !o.positioned(index) {
		o.key = binary.BigEndian.AppendUint64(append(o.key[:0], o.prefix...), index)
		if !o.it.SeekGE(o.key) || !o.positioned(index) {
			return nil, false
		}
	}
	return o.it.Value(), true
}

func (o *orderedReader) positioned(index uint64) bool {
	if !o.it.Valid() {
		return false
	}
	k := o.it.Key()
	return len(k) == len(o.prefix)+8 && binary.BigEndian.Uint64(k[len(o.prefix):]) == index
}

func (o *orderedReader) close() {
	if o.it != nil {
		_ = o.it.Close()
		o.it = nil
	}
}

// scanPebble is the hot loop of verification. Two goroutines share it: a
// reader walks Pebble's stored events in key order straight from the
// snapshot, hashes each one's canonical bytes and picks out its chain
// fields without decoding the whole event; the caller's goroutine takes
// them in order, in chunks, and checks the chains and the tree. A problem
// the reader finds ends the chunk it is in; the checker reports it at its
// place in the order.
func (v *verification) scanPebble(ctx context.Context, c *sourceCheck) error {
	defer c.finish()
	alloc := func() *pebbleChunk {
		return &pebbleChunk{recs: make([]pebbleRec, 0, chunkRecs), arena: make([]byte, 0, chunkArena)}
	}
	stopped, err := relay.Run(ctx, alloc, func(p *relay.Producer[pebbleChunk]) error { return v.readPebble(ctx, p) }, c.addChunk)
	if stopped {
		return nil // the reader stopped because the checker found a problem
	}
	return err
}

const (
	chunkRecs  = 4096
	chunkArena = chunkRecs * 96
)

// pebbleChunk is a run of stored events the reader has hashed and
// scanned: their chain fields point into arena.
type pebbleChunk struct {
	recs  []pebbleRec
	arena []byte
}

type pebbleRec struct {
	pos     uint64
	f       chainFields
	h       eventstore.Hash
	problem string // set on the chunk's last record when the reader found one
	noAgg   bool   // the problem has no aggregate to name
}

// addChunk checks a chunk's records in order; false once a problem was found.
func (c *sourceCheck) addChunk(ch *pebbleChunk) bool {
	for i := range ch.recs {
		r := &ch.recs[i]
		if r.problem != "" {
			f, pos := &r.f, r.pos
			if r.noAgg {
				f = nil
			}
			if pos == 0 {
				pos = c.count + 1
			}
			return c.fail(pos, f, r.problem)
		}
		if !c.add(r.pos, &r.f, &r.h) {
			return false
		}
	}
	return true
}

// readPebble is the reader's side of scanPebble.
func (v *verification) readPebble(ctx context.Context, p *relay.Producer[pebbleChunk]) error {
	it, err := v.snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixEvent}, UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	ch, ok := p.Next()
	if !ok {
		return p.Err()
	}
	ch.reset()
	var last uint64
	for it.First(); it.Valid(); it.Next() {
		k, val := it.Key(), it.Value()
		r := pebbleRec{pos: last + 1}
		if len(k) == 9 {
			r.pos = binary.BigEndian.Uint64(k[1:])
		}
		last = r.pos
		body, hash, ok := splitStored(val)
		if len(k) != 9 || !ok {
			r.problem, r.noAgg, r.pos = fmt.Sprintf("malformed stored event under key %x", k), true, 0
			ch.recs = append(ch.recs, r)
			break
		}
		copy(r.h[:], hash)
		f, ok := scanCanonical(body)
		if !ok {
			var e eventstore.Envelope
			r.problem, r.noAgg = fmt.Sprintf("stored event does not decode: %v", eventstore.DecodeCanonical(body, &e)), true
		} else if sha256.Sum256(body) != r.h {
			r.problem = "stored hash does not match the event's contents (event changed in Pebble)"
		}
		if ok {
			if len(ch.arena)+len(f.kind)+len(f.id)+len(f.prev) > cap(ch.arena) || len(ch.recs) == cap(ch.recs) {
				if !p.Send(ch) {
					return p.Err()
				}
				var more bool
				if ch, more = p.Next(); !more {
					return p.Err()
				}
				ch.reset()
			}
			r.f = chainFields{kind: ch.keep(f.kind), id: ch.keep(f.id), version: f.version, prev: ch.keep(f.prev)}
		}
		ch.recs = append(ch.recs, r)
		if r.problem != "" {
			break
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if len(ch.recs) > 0 && !p.Send(ch) {
		return p.Err()
	}
	return nil
}

func (ch *pebbleChunk) reset() { ch.recs, ch.arena = ch.recs[:0], ch.arena[:0] }

// keep copies b into the chunk's arena (which has room: the caller checked).
func (ch *pebbleChunk) keep(b []byte) []byte {
	n := len(ch.arena)
	ch.arena = append(ch.arena, b...)
	return ch.arena[n:len(ch.arena):len(ch.arena)]
}

// scanJetStream reads every message of the stream with an ordered
// consumer from its first sequence, decodes each (which checks each
// event's hash) and numbers the events in order.
func (v *verification) scanJetStream(ctx context.Context, c *sourceCheck) error {
	defer c.finish()
	msgs, err := readStream(ctx, v.opts)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		c.problem = &Problem{Position: 1, Source: c.name, What: fmt.Sprintf("the stream %s does not exist: positions 1-%d missing from the stream", v.opts.Stream, c.size)}
		return nil
	}
	if err != nil || msgs == nil {
		return err
	}
	defer msgs.Stop()
	alloc := func() *jsChunk { return &jsChunk{events: make([]eventstore.Envelope, 0, jsChunkEvents)} }
	stopped, err := relay.Run(ctx, alloc, func(p *relay.Producer[jsChunk]) error { return readMessages(ctx, msgs, p) }, c.addDecoded)
	if stopped {
		return nil // the reader stopped because the checker found a problem
	}
	return err
}

// readStream starts reading the log's messages from the stream's first
// sequence, with an ordered consumer; nil when the stream is empty.
func readStream(ctx context.Context, opts VerifyOptions) (jetstream.MessagesContext, error) {
	stream, err := opts.JetStream.Stream(ctx, opts.Stream)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", opts.Stream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", opts.Stream, err)
	}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := opts.JetStream.OrderedConsumer(ctx, opts.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{opts.SubjectPrefix + ".>"},
	})
	if err != nil {
		return nil, fmt.Errorf("audit: ordered consumer: %w", err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxBytes(eventstore.PullBytes))
	if err != nil {
		return nil, fmt.Errorf("audit: read stream: %w", err)
	}
	return msgs, nil
}

// nextMessage waits for the stream's next message and its metadata.
func nextMessage(ctx context.Context, msgs jetstream.MessagesContext) (jetstream.Msg, *jetstream.MsgMetadata, error) {
	m, err := msgs.Next(jetstream.NextContext(ctx))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: read stream: %w", err)
	}
	meta, err := m.Metadata()
	if err != nil {
		return nil, nil, fmt.Errorf("audit: message metadata: %w", err)
	}
	return m, meta, nil
}

// jsChunkEvents is about how many events the JetStream reader decodes
// before handing them to the checker.
const jsChunkEvents = 4096

// jsChunk is a run of events the JetStream reader has decoded, in stream
// order. A problem the reader found (a gap in the stream, a message that
// does not decode) ends the chunk.
type jsChunk struct {
	events  []eventstore.Envelope
	problem string
}

// readMessages is the reader's side of scanJetStream: two goroutines
// share the pass, as in scanPebble, so that decoding (parsing each
// message, re-encoding and hashing each event) runs beside the checks of
// the chains and the tree.
func readMessages(ctx context.Context, msgs jetstream.MessagesContext, p *relay.Producer[jsChunk]) error {
	ch, ok := p.Next()
	if !ok {
		return p.Err()
	}
	ch.events, ch.problem = ch.events[:0], ""
	for want := uint64(1); ; {
		m, meta, err := nextMessage(ctx, msgs)
		if err != nil {
			return err
		}
		seq := meta.Sequence.Stream
		if seq != want {
			ch.problem = fmt.Sprintf("messages %d to %d are missing from the stream (deleted, purged or unreadable)", want, seq-1)
		} else if events, err := eventstore.DecodeMessage(m.Headers(), m.Data(), seq); err != nil {
			ch.problem = fmt.Sprintf("message %d does not decode or its hash does not match its contents: %v", seq, err)
		} else {
			ch.events = append(ch.events, events...)
		}
		want = seq + 1
		last := ch.problem != "" || meta.NumPending == 0
		if last || len(ch.events) >= jsChunkEvents {
			if !p.Send(ch) {
				return p.Err()
			}
			if last {
				return nil
			}
			if ch, ok = p.Next(); !ok {
				return p.Err()
			}
			ch.events, ch.problem = ch.events[:0], ""
		}
	}
}

// addDecoded checks a chunk's events in order; false once a problem was
// found.
func (c *sourceCheck) addDecoded(ch *jsChunk) bool {
	for i := range ch.events {
		e := &ch.events[i]
		f := chainFields{kind: []byte(e.AggregateKind), id: []byte(e.AggregateID), version: e.Version, prev: e.PrevHash[:]}
		if !c.add(c.count+1, &f, &e.Hash) {
			return false
		}
	}
	if ch.problem != "" {
		return c.fail(c.count+1, nil, ch.problem)
	}
	return true
}

// aggHead is the last version and hash of an aggregate's chain seen so far.
type aggHead struct {
	version uint64
	hash    eventstore.Hash
}
