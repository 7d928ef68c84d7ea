package eventstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound means no such command, event or message is recorded.
var ErrNotFound = errors.New("eventstore: not found")

// Command returns the result of an already recorded command, if any.
func (s *Store) Command(ctx context.Context, commandID string) (Result, bool, error) {
	v, closer, err := s.db.Get(commandKey(commandID))
	if errors.Is(err, pebble.ErrNotFound) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	ref, ok := decodeMsgRef(v)
	closer.Close()
	if !ok {
		return Result{}, false, fmt.Errorf("%w: command index of %s", ErrCorrupt, commandID)
	}
	if err := s.waitSeq(ctx, ref.Seq); err != nil {
		return Result{}, false, err
	}
	r, err := s.resultOf(ref.Seq, true)
	return r, true, err
}

func (s *Store) result(ref msgRef) (Result, error) {
	events, err := s.readRange(ref.First, int(ref.Count))
	if err != nil {
		return Result{}, err
	}
	if len(events) == 0 {
		return Result{}, fmt.Errorf("%w: message %d holds no events", ErrCorrupt, ref.Seq)
	}
	return Result{
		Seq: ref.Seq, FirstPosition: ref.First, LastPosition: ref.First + uint64(ref.Count) - 1,
		Version: events[len(events)-1].Version, Events: events,
	}, nil
}

// messageRef tells where message seq's events are: from the ring of
// recent messages, else from the log itself. Each stored event carries
// its message's sequence, and sequences grow with positions, so a binary
// search over the log finds the message's first event (about 25 reads
// in a log of 40 million events; only retries of old commands and the
// repair of a stream need it).
func (s *Store) messageRef(seq uint64) (msgRef, error) {
	if r := s.recent[seq%uint64(len(s.recent))].Load(); r != nil && r.Seq == seq {
		return *r, nil
	}
	cp := s.applied.get()
	if seq == 0 || seq > cp.Seq {
		return msgRef{}, fmt.Errorf("eventstore: message %d: %w", seq, ErrNotFound)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixEvent}, UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return msgRef{}, err
	}
	defer it.Close()
	seqAt := func(pos uint64) (uint64, error) {
		key := eventKey(pos)
		if !it.SeekGE(key) || !bytes.Equal(it.Key(), key) || len(it.Value()) < 8 {
			return 0, errors.Join(it.Error(), &CorruptError{Position: pos, Reason: "event missing from the log"})
		}
		v := it.Value()
		return binary.BigEndian.Uint64(v[len(v)-8:]), nil
	}
	var ferr error
	first := uint64(sort.Search(int(cp.Position), func(i int) bool {
		got, err := seqAt(uint64(i) + 1)
		if err != nil && ferr == nil {
			ferr = err
		}
		return err != nil || got >= seq
	})) + 1
	ref := msgRef{Seq: seq, First: first}
	for pos := first; ferr == nil && pos <= cp.Position; pos++ {
		got, err := seqAt(pos)
		if ferr = err; err != nil || got != seq {
			break
		}
		ref.Count++
	}
	return ref, ferr
}

// Event returns the event at a log position.
func (s *Store) Event(position uint64) (Envelope, error) {
	var e Envelope
	v, closer, err := s.db.Get(eventKey(position))
	if errors.Is(err, pebble.ErrNotFound) {
		return e, fmt.Errorf("%w: position %d", ErrNotFound, position)
	}
	if err != nil {
		return e, err
	}
	defer closer.Close()
	return e, decodeStored(v, position, &e)
}

// EventByID returns the event with the given event ID.
func (s *Store) EventByID(id string) (Envelope, error) {
	v, closer, err := s.db.Get(eventIDKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return Envelope{}, fmt.Errorf("%w: event %s", ErrNotFound, id)
	}
	if err != nil {
		return Envelope{}, err
	}
	pos := binary.BigEndian.Uint64(v)
	closer.Close()
	return s.Event(pos)
}

// readRange reads n events from position first on.
func (s *Store) readRange(first uint64, n int) ([]Envelope, error) {
	return s.ReadLog(context.Background(), first, n)
}

// ReadLog returns up to limit events of the global log from position from
// (1-based) on, in order. A corrupt stored event is a *CorruptError naming
// its position.
func (s *Store) ReadLog(ctx context.Context, from uint64, limit int) ([]Envelope, error) {
	from = max(from, 1)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: eventKey(from), UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Envelope
	want := from
	for it.First(); it.Valid() && len(out) < limit; it.Next() {
		pos := binary.BigEndian.Uint64(it.Key()[1:])
		if pos != want {
			return out, &CorruptError{Position: want, Reason: "event missing from the log"}
		}
		var e Envelope
		if err := decodeStored(it.Value(), pos, &e); err != nil {
			return out, err
		}
		out = append(out, e)
		want++
	}
	return out, it.Error()
}

// Load returns an aggregate's events in version order: from Pebble, then,
// if JetStream holds newer messages of the aggregate that this node has
// not ingested yet, those from JetStream. A store opened read-only
// reads Pebble alone.
func (s *Store) Load(ctx context.Context, agg Aggregate) ([]Envelope, error) {
	events, err := s.loadLocal(agg)
	if err != nil || s.readOnly {
		return events, err
	}
	var lastSeq uint64
	if len(events) > 0 {
		lastSeq = events[len(events)-1].Seq
	}
	subj := Subject(s.cfg.SubjectPrefix, agg)
	raw, err := s.lastMsg(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return events, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: load %s: %w", agg, err)
	}
	if raw.Sequence <= lastSeq {
		return events, nil
	}
	// Ingest has not reached the aggregate's newest message: usually it is
	// about to, so wait a little; if it is stuck (its consumer's server is
	// gone), read the missing messages from JetStream.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = s.waitSeq(wctx, raw.Sequence)
	cancel()
	if err == nil {
		return s.loadLocal(agg)
	}
	more, err := s.loadRemote(ctx, subj, lastSeq+1, raw.Sequence)
	return append(events, more...), err
}

// aggIndex opens an iterator over an aggregate's index entries
// ('a' kind 0 id 0 version -> position), in version order.
func (s *Store) aggIndex(kind, id string) (*pebble.Iterator, error) {
	p := aggPrefix(prefixAggregate, kind, id)
	lo := append(p[:len(p):len(p)], 0) // a copy: hi reuses p's spare capacity
	return s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: append(p, 1)})
}

func (s *Store) loadLocal(agg Aggregate) ([]Envelope, error) {
	it, err := s.aggIndex(agg.Kind, agg.ID)
	if err != nil {
		return nil, err
	}
	var positions []uint64
	for it.First(); it.Valid(); it.Next() {
		first, n, ok := AggregateRun(it.Value())
		if !ok {
			err = fmt.Errorf("%w: index entry %q of %s", ErrCorrupt, it.Key(), agg)
			break
		}
		for p := first; p < first+n; p++ {
			positions = append(positions, p)
		}
	}
	err = errors.Join(err, it.Error(), it.Close())
	if err != nil || len(positions) == 0 {
		return nil, err
	}
	return s.events(positions)
}

// events reads the events at ascending positions with one iterator: each
// seek starts from where the last one ended, so events that share a block
// are found without searching again (an aggregate of thousands of events
// loads many times faster than by one Get each).
func (s *Store) events(positions []uint64) ([]Envelope, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: eventKey(positions[0]), UpperBound: eventKey(positions[len(positions)-1] + 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := make([]Envelope, len(positions))
	for i, pos := range positions {
		key := eventKey(pos)
		if !it.SeekGE(key) || !bytes.Equal(it.Key(), key) {
			if err := it.Error(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: position %d", ErrNotFound, pos)
		}
		if err := decodeStored(it.Value(), pos, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadRemote reads an aggregate's messages from JetStream, from seq from to
// seq to inclusive.
func (s *Store) loadRemote(ctx context.Context, subject string, from, to uint64) ([]Envelope, error) {
	cons, err := s.js.OrderedConsumer(ctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from,
	})
	if err != nil {
		return nil, err
	}
	defer func() { // an ordered consumer is ephemeral; do not leave it for the server to expire
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.js.DeleteConsumer(dctx, s.cfg.Stream, cons.CachedInfo().Name)
		cancel()
	}()
	var out []Envelope
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return out, fmt.Errorf("eventstore: read %s from JetStream: %w", subject, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return out, err
		}
		events, err := DecodeMessage(m.Headers(), m.Data(), meta.Sequence.Stream)
		if err != nil {
			return out, err
		}
		out = append(out, events...)
		if meta.Sequence.Stream >= to {
			return out, nil
		}
	}
}

// Subscribe calls fn with every durable event from position from on, in
// order: first those already recorded, then new ones as they become
// durable, until ctx ends or fn returns an error.
func (s *Store) Subscribe(ctx context.Context, from uint64, fn func(Envelope) error) error {
	next := max(from, 1)
	for {
		changed := s.durable.changed()
		_, durable := s.Position()
		for next <= durable {
			events, err := s.ReadLog(ctx, next, int(min(durable-next+1, 1024)))
			if err != nil {
				return err
			}
			for _, e := range events {
				if err := fn(e); err != nil {
					return err
				}
			}
			if len(events) == 0 {
				return &CorruptError{Position: next, Reason: "durable event missing"}
			}
			next += uint64(len(events))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Locate finds an aggregate's region from this node's copy, so that a
// caller who knows only its kind and ID can name it.
func (s *Store) Locate(kind, id string) (Aggregate, error) {
	h, ok, err := s.lastOf(kind, id)
	if err != nil {
		return Aggregate{}, err
	}
	if !ok {
		return Aggregate{}, fmt.Errorf("%w: aggregate %s/%s", ErrNotFound, kind, id)
	}
	return Aggregate{Kind: kind, ID: id, Region: h.Region}, nil
}

// lastOf reads an aggregate's head from committed state: the last entry
// of its index and the event it points at. ok is false for an aggregate
// this node does not hold.
func (s *Store) lastOf(kind, id string) (h head, ok bool, err error) {
	it, err := s.aggIndex(kind, id)
	if err != nil {
		return head{}, false, err
	}
	defer it.Close()
	if !it.Last() {
		return head{}, false, it.Error()
	}
	first, n, ok := AggregateRun(it.Value())
	if len(it.Key()) != len(aggEventKey(kind, id, 0)) || !ok {
		return head{}, false, fmt.Errorf("%w: index entry %q of %s/%s", ErrCorrupt, it.Key(), kind, id)
	}
	pos := first + n - 1
	e, err := s.Event(pos)
	if errors.Is(err, ErrNotFound) {
		return head{}, false, &CorruptError{Position: pos, Reason: fmt.Sprintf("indexed as the last event of %s/%s but missing", kind, id)}
	}
	if err != nil {
		return head{}, false, err
	}
	return head{Version: e.Version, Seq: e.Seq, Position: pos, Hash: e.Hash, Region: e.Region}, true, nil
}
