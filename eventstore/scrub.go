package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	go func() { defer close(done); sc.run(ctx) }()
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
func (sc *scrubber) reread(ctx context.Context) {
	s := sc.s
	if s.stream == nil || s.integrity.Load() != nil {
		return
	}
	cp := s.durable.get()
	if cp.Position == 0 {
		return
	}
	if sc.next > cp.Position {
		sc.next = 1 // round again
	}
	sc.owed += float64(cp.Position) * float64(sc.cfg.Tick) / float64(sc.cfg.Period)
	n := int(min(sc.owed, float64(cp.Position-sc.next+1)))
	if n < 1 {
		return
	}
	sc.owed -= float64(n)
	events, err := s.ReadLog(ctx, sc.next, n)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			sc.report(0, ce.Position, "Pebble's copy does not read: "+err.Error())
		}
		return
	}
	for len(events) > 0 {
		k := 1
		for k < len(events) && events[k].Seq == events[0].Seq {
			k++
		}
		if !sc.compareMessage(ctx, events[:k]) {
			return
		}
		sc.s.stats.Scrubbed.Add(uint64(k))
		sc.next = events[k-1].Position + 1
		events = events[k:]
	}
}

// compareMessage re-reads the stream message holding events (Pebble's
// events of one sequence, maybe only the first of them) and compares.
func (sc *scrubber) compareMessage(ctx context.Context, events []Envelope) bool {
	seq, pos := events[0].Seq, events[0].Position
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := sc.s.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		sc.report(seq, pos, "missing from the stream")
		return false
	}
	if err != nil {
		return false // unreachable for now; look again next tick
	}
	got, err := DecodeMessage(m.Header, m.Data, seq)
	if err != nil {
		sc.report(seq, pos, "the stream's message does not decode or its hash does not match: "+err.Error())
		return false
	}
	// events may start inside the message (the previous slice ended there).
	off := slices.IndexFunc(got, func(g Envelope) bool { return g.EventID == events[0].EventID })
	for i, e := range events {
		if off < 0 || off+i >= len(got) || !bytes.Equal(got[off+i].Hash[:], e.Hash[:]) {
			sc.report(seq, e.Position, "the stream's event differs from Pebble's")
			return false
		}
	}
	return true
}
