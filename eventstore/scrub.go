package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// AlertSubject is where a node publishes what its scrub finds, as JSON
// (IntegrityError).
const AlertSubject = "ledger.alerts"

// ErrIntegrity matches an *IntegrityError.
var ErrIntegrity = errors.New("eventstore: the stream and pebble disagree")

// IntegrityError is a disagreement the scrub found between the stream and
// Pebble's copy of the log. It stays until the node restarts: an operator
// must find out why (ledger audit verify names every problem).
type IntegrityError struct {
	// Kind is "integrity".
	Kind string `json:"kind"`
	// Seq is the first stream sequence concerned, Position the first log
	// position (0 when Pebble has no event there).
	Seq      uint64 `json:"seq"`
	Position uint64 `json:"position,omitempty"`
	// What says what differs, in words.
	What string    `json:"what"`
	At   time.Time `json:"at"`
}

func (e *IntegrityError) Error() string {
	s := fmt.Sprintf("eventstore: stream sequence %d", e.Seq)
	if e.Position > 0 {
		s += fmt.Sprintf(" (position %d)", e.Position)
	}
	return s + ": " + e.What
}

// Is reports whether target is ErrIntegrity.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

// ScrubConfig configures Store.StartScrub. Zero values mean defaults.
type ScrubConfig struct {
	// Period is how long the rolling re-read takes to cover the whole log
	// once. Default 24h.
	Period time.Duration
	// Tick is how often the scrub wakes: it compares the stream's state
	// with Pebble's and re-reads the next slice of the log. Default 1s.
	// It also compares the state after ingest moves, at most every
	// MinGap (default 250ms).
	Tick, MinGap time.Duration
	// OnProblem, when set, is called once with the first disagreement.
	OnProblem func(*IntegrityError)
}

// Integrity returns the first disagreement the scrub found between the
// stream and Pebble (an *IntegrityError), or nil.
func (s *Store) Integrity() error {
	if e := s.integrity.Load(); e != nil {
		return e
	}
	return nil
}

// StartScrub checks the node's two copies of the log while it serves:
// after ingest moves (at most every MinGap) and every Tick, that the
// stream still holds every message Pebble has (first sequence, last
// sequence, message count, deleted messages); and every Tick, re-reads
// the next slice of the log from the stream, decodes it (which re-hashes
// each event) and compares each event's hash with Pebble's, so that the
// whole log is covered once per Period. The first disagreement is kept
// (Integrity), counted (Stats.ScrubProblems), logged, published on
// AlertSubject and handed to OnProblem; the scrub then goes on watching
// but reports nothing more. The returned shutdown stops it and waits.
func (s *Store) StartScrub(cfg ScrubConfig) (shutdown func(context.Context) error) {
	cfg.Period = cmpOr(cfg.Period, 24*time.Hour)
	cfg.Tick = cmpOr(cfg.Tick, time.Second)
	cfg.MinGap = cmpOr(cfg.MinGap, 250*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sc := &scrubber{s: s, cfg: cfg, next: 1}
	go func() { defer close(done); defer sc.stopReading(); sc.run(ctx) }()
	return func(wait context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-wait.Done():
			return wait.Err()
		}
	}
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

type scrubber struct {
	s    *Store
	cfg  ScrubConfig
	next uint64 // the next position the rolling re-read checks
	owed float64
	msgs jetstream.MessagesContext // the re-read's consumer, kept from tick to tick
}

func (sc *scrubber) run(ctx context.Context) {
	tick := time.NewTicker(sc.cfg.Tick)
	defer tick.Stop()
	var last time.Time
	for {
		moved := sc.s.durable.changed()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			sc.checkState(ctx)
			sc.reread(ctx)
			last = time.Now()
		case <-moved:
			if time.Since(last) >= sc.cfg.MinGap {
				sc.checkState(ctx)
				last = time.Now()
			}
		}
	}
}

// report keeps the first problem and announces it.
func (sc *scrubber) report(seq, pos uint64, what string) {
	e := &IntegrityError{Kind: "integrity", Seq: seq, Position: pos, What: what, At: time.Now().UTC()}
	if !sc.s.integrity.CompareAndSwap(nil, e) {
		return
	}
	s := sc.s
	s.stats.ScrubProblems.Add(1)
	s.log.Error("the stream and pebble disagree", "seq", seq, "position", pos, "what", what)
	if b, err := json.Marshal(e); err == nil && s.nc != nil {
		_ = s.nc.Publish(AlertSubject, b)
	}
	if sc.cfg.OnProblem != nil {
		sc.cfg.OnProblem(e)
	}
}

// checkState compares the stream's state with what Pebble holds.
func (sc *scrubber) checkState(ctx context.Context) {
	s := sc.s
	if s.stream == nil || s.integrity.Load() != nil {
		return
	}
	cp := s.durable.get()
	if cp.Seq == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := s.stream.Info(ctx, jetstream.WithDeletedDetails(true))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		sc.reportSeqs(1, cp.Seq, "missing: the stream %s no longer exists", s.cfg.Stream)
		return
	}
	if err != nil {
		return // the server is away: failover's concern, not a disagreement
	}
	st := info.State
	switch {
	case st.LastSeq < cp.Seq:
		sc.reportSeqs(st.LastSeq+1, cp.Seq, "missing from the stream (it ends at sequence %d)", st.LastSeq)
	case st.Msgs == 0 || st.FirstSeq > 1:
		sc.reportSeqs(1, min(max(st.FirstSeq, 2)-1, cp.Seq), "missing from the stream (purged: it starts at sequence %d)", st.FirstSeq)
	case len(st.Deleted) > 0 && st.Deleted[0] <= cp.Seq:
		run := 1
		for run < len(st.Deleted) && st.Deleted[run] == st.Deleted[0]+uint64(run) {
			run++
		}
		sc.reportSeqs(st.Deleted[0], st.Deleted[run-1], "deleted from the stream (%d messages deleted in all)", st.NumDeleted)
	case st.NumDeleted > 0 || st.Msgs != st.LastSeq-st.FirstSeq+1:
		sc.report(st.FirstSeq, 0, fmt.Sprintf("the stream holds %d messages between sequences %d and %d (%d deleted)", st.Msgs, st.FirstSeq, st.LastSeq, st.NumDeleted))
	}
}

// reportSeqs reports stream sequences from to to missing, naming the log
// positions Pebble holds for them.
func (sc *scrubber) reportSeqs(from, to uint64, format string, args ...any) {
	what := fmt.Sprintf("messages %d-%d ", from, to) + fmt.Sprintf(format, args...)
	var pos uint64
	if ref, err := sc.s.messageRef(from); err == nil {
		pos = ref.First
		if last, err := sc.s.messageRef(to); err == nil {
			what += fmt.Sprintf("; Pebble holds positions %d-%d for them", ref.First, last.First+uint64(last.Count)-1)
		}
	}
	sc.report(from, pos, what)
}

// reread checks the next slice of the log: Period/Tick slices cover it.
// It reads the stream in order with an ordered consumer kept from tick to
// tick (one pull for many messages), and Pebble's events beside it.
func (sc *scrubber) reread(ctx context.Context) {
	s := sc.s
	if s.stream == nil || s.integrity.Load() != nil {
		return
	}
	cp := s.durable.get()
	if cp.Position == 0 {
		return
	}
	sc.owed += float64(cp.Position) * float64(sc.cfg.Tick) / float64(sc.cfg.Period)
	for sc.owed >= 1 && s.integrity.Load() == nil {
		if sc.next > cp.Position {
			sc.stopReading() // a round is done: the next starts at 1
			sc.next = 1
			return
		}
		n, ok := sc.checkNext(ctx)
		if !ok {
			sc.stopReading()
			return
		}
		sc.owed -= float64(n)
	}
}

func (sc *scrubber) stopReading() {
	if sc.msgs != nil {
		sc.msgs.Stop()
		sc.msgs = nil
	}
}

// checkNext reads the stream's next message and compares its events with
// Pebble's at sc.next; it returns how many events it checked, and false
// when it could not go on (a problem reported, or the stream unreachable).
func (sc *scrubber) checkNext(ctx context.Context) (int, bool) {
	s := sc.s
	first, err := s.Event(sc.next)
	if err != nil {
		sc.report(0, sc.next, "Pebble's copy does not read: "+err.Error())
		return 0, false
	}
	if sc.msgs == nil && !sc.startReading(ctx, first.Seq) {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := sc.msgs.Next(jetstream.NextContext(ctx))
	if err != nil {
		return 0, false
	}
	meta, err := m.Metadata()
	if err != nil {
		return 0, false
	}
	seq := meta.Sequence.Stream
	switch {
	case seq < first.Seq:
		return 0, true // a message ingest skipped (not a ledger record)
	case seq > first.Seq:
		sc.report(first.Seq, sc.next, "missing from the stream")
		return 0, false
	}
	got, err := DecodeMessage(m.Headers(), m.Data(), seq)
	if err != nil {
		sc.report(seq, sc.next, "the stream's message does not decode or its hash does not match: "+err.Error())
		return 0, false
	}
	events, err := s.ReadLog(ctx, sc.next, len(got))
	if err != nil {
		sc.report(seq, sc.next, "Pebble's copy does not read: "+err.Error())
		return 0, false
	}
	for i := range got {
		if i >= len(events) || events[i].Seq != seq || !bytes.Equal(got[i].Hash[:], events[i].Hash[:]) {
			sc.report(seq, sc.next+uint64(i), "the stream's event differs from Pebble's")
			return 0, false
		}
	}
	sc.next += uint64(len(got))
	s.stats.Scrubbed.Add(uint64(len(got)))
	return len(got), true
}

// startReading starts an ordered consumer of the log's subjects at seq.
func (sc *scrubber) startReading(ctx context.Context, seq uint64) bool {
	s := sc.s
	cons, err := s.js.OrderedConsumer(ctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy, OptStartSeq: seq,
	})
	if err != nil {
		return false
	}
	sc.msgs, err = cons.Messages(jetstream.PullMaxMessages(scrubPull))
	return err == nil
}

// scrubPull is how many messages the scrub's consumer asks for at a time.
const scrubPull = 256
