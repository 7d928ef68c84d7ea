// Package storetest is the conformance suite every event store
// configuration passes: ordering, atomic multi-event appends, conflicts,
// idempotency, reads, catch-up subscriptions, resume after restart and
// rebuild from JetStream after the Pebble copy is lost.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"ledger/eventstore"
)

// Opener opens the store kept in dir. With dropPebble it first removes
// the node's Pebble copy, as if its disk were lost. The suite closes what
// it opens.
type Opener func(t *testing.T, dir string, dropPebble bool) *eventstore.Store

// Run runs the suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Ordering", testOrdering},
		{"AtomicMultiEvent", testAtomic},
		{"Conflict", testConflict},
		{"Idempotent", testIdempotent},
		{"Reads", testReads},
		{"Subscribe", testSubscribe},
		{"ResumeAfterRestart", testResume},
		{"RebuildFromJetStream", testRebuild},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// Agg returns a test aggregate with a valid region.
func Agg(i int) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: "station", ID: fmt.Sprintf("AGG%05d", i), Region: "220102001001"}
}

// Event returns a test event with a payload naming n.
func Event(n int) eventstore.EventData {
	return eventstore.EventData{Type: "test.happened", SchemaVersion: 1, Payload: fmt.Appendf(nil, `{"n":%d}`, n)}
}

// MustAppend appends one event and fails the test on error.
func MustAppend(t testing.TB, s *eventstore.Store, agg eventstore.Aggregate, expected uint64, cmd string, events ...eventstore.EventData) eventstore.Result {
	t.Helper()
	r, err := s.Append(context.Background(), agg, expected, eventstore.Meta{CommandID: cmd, Actor: "tester"}, events...)
	if err != nil {
		t.Fatalf("append %s to %s: %v", cmd, agg, err)
	}
	return r
}

// ReadAll reads the whole log.
func ReadAll(t testing.TB, s *eventstore.Store) []eventstore.Envelope {
	t.Helper()
	events, err := s.ReadLog(context.Background(), 1, 1<<30)
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return events
}

// CheckLog checks that positions are 1..n, that each aggregate's versions
// run 1, 2, 3, ... and that each event's previous hash is its
// predecessor's hash.
func CheckLog(t testing.TB, events []eventstore.Envelope) {
	t.Helper()
	last := map[string]eventstore.Envelope{}
	for i, e := range events {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d has position %d", i+1, e.Position)
		}
		prev := last[e.Aggregate().String()]
		if e.Version != prev.Version+1 || e.PrevHash != prev.Hash {
			t.Fatalf("position %d: %s version %d does not follow version %d", e.Position, e.Aggregate(), e.Version, prev.Version)
		}
		if e.ComputeHash() != e.Hash {
			t.Fatalf("position %d: hash does not match contents", e.Position)
		}
		last[e.Aggregate().String()] = e
	}
}

func testOrdering(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	for round := range 5 {
		for a := range 4 {
			MustAppend(t, s, Agg(a), uint64(round), fmt.Sprintf("ord-%d-%d", a, round), Event(round))
		}
	}
	got := ReadAll(t, s)
	if len(got) != 20 {
		t.Fatalf("got %d events, want 20", len(got))
	}
	CheckLog(t, got)
	for i, e := range got {
		if want := fmt.Sprintf("ord-%d-%d", i%4, i/4); e.CommandID != want {
			t.Fatalf("position %d: got command %s, want %s", i+1, e.CommandID, want)
		}
	}
}

func testAtomic(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	r := MustAppend(t, s, Agg(1), 0, "multi", Event(1), Event(2), Event(3))
	if r.FirstPosition != 1 || r.LastPosition != 3 || r.Version != 3 || len(r.Events) != 3 {
		t.Fatalf("got %+v, want positions 1-3 at version 3", r)
	}
	for _, e := range r.Events {
		if e.Seq != r.Seq {
			t.Fatalf("event %d in message %d, want all in %d", e.Position, e.Seq, r.Seq)
		}
	}
	_, err := s.Append(context.Background(), Agg(1), 1, eventstore.Meta{CommandID: "stale-multi"}, Event(4), Event(5))
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("stale multi-event append: got %v, want a conflict", err)
	}
	if got := ReadAll(t, s); len(got) != 3 {
		t.Fatalf("a refused command wrote: %d events, want 3", len(got))
	}
}

func testConflict(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	MustAppend(t, s, Agg(1), 0, "c1", Event(1))
	MustAppend(t, s, Agg(1), 1, "c2", Event(2))
	_, err := s.Append(context.Background(), Agg(1), 1, eventstore.Meta{CommandID: "c3"}, Event(3))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Current != 2 || ce.Expected != 1 {
		t.Fatalf("got %v, want a conflict carrying current version 2", err)
	}
	MustAppend(t, s, Agg(2), 0, "other", Event(4)) // a conflict never fails another command
	MustAppend(t, s, Agg(1), ce.Current, "c3", Event(3))
	CheckLog(t, ReadAll(t, s))
}

func testIdempotent(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	first := MustAppend(t, s, Agg(1), 0, "once", Event(1), Event(2))
	again := MustAppend(t, s, Agg(1), 0, "once", Event(1), Event(2))
	if !again.Duplicate || again.FirstPosition != first.FirstPosition || again.Seq != first.Seq {
		t.Fatalf("retry: got %+v, want the original positions marked duplicate", again)
	}
	if got := ReadAll(t, s); len(got) != 2 {
		t.Fatalf("retry wrote: %d events, want 2", len(got))
	}
}

func testReads(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	ctx := context.Background()
	MustAppend(t, s, Agg(1), 0, "r1", Event(1))
	MustAppend(t, s, Agg(2), 0, "r2", Event(2))
	r := MustAppend(t, s, Agg(1), 1, "r3", Event(3))
	got, err := s.Load(ctx, Agg(1))
	if err != nil || len(got) != 2 || got[1].Position != r.FirstPosition {
		t.Fatalf("load: got %d events (%v), want 2 ending at %d", len(got), err, r.FirstPosition)
	}
	page, err := s.ReadLog(ctx, 2, 1)
	if err != nil || len(page) != 1 || page[0].CommandID != "r2" {
		t.Fatalf("read log from 2: got %+v, %v", page, err)
	}
	byID, err := s.EventByID(r.Events[0].EventID)
	if err != nil || byID.Hash != r.Events[0].Hash {
		t.Fatalf("event by ID: %v", err)
	}
	if _, err := s.EventByID("NOSUCHEVENT"); !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatalf("missing event: got %v, want ErrNotFound", err)
	}
	if err := s.WaitFor(ctx, r.LastPosition); err != nil {
		t.Fatal(err)
	}
}

func testSubscribe(t *testing.T, open Opener) {
	s := open(t, t.TempDir(), false)
	defer s.Close()
	for i := range 3 {
		MustAppend(t, s, Agg(i), 0, fmt.Sprintf("s%d", i), Event(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan eventstore.Envelope, 16)
	go s.Subscribe(ctx, 2, func(e eventstore.Envelope) error { got <- e; return nil })
	for i := 3; i < 6; i++ {
		MustAppend(t, s, Agg(i), 0, fmt.Sprintf("s%d", i), Event(i))
	}
	for want := uint64(2); want <= 6; want++ {
		select {
		case e := <-got:
			if e.Position != want {
				t.Fatalf("subscription: got position %d, want %d", e.Position, want)
			}
		case <-ctx.Done():
			t.Fatalf("subscription stalled before position %d", want)
		}
	}
}

func testResume(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir, false)
	MustAppend(t, s, Agg(1), 0, "before", Event(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, false)
	defer s.Close()
	<-s.Ready()
	r := MustAppend(t, s, Agg(1), 1, "after", Event(2))
	if r.FirstPosition != 2 || r.Version != 2 {
		t.Fatalf("after restart: got position %d version %d, want 2 and 2", r.FirstPosition, r.Version)
	}
	if again := MustAppend(t, s, Agg(1), 0, "before", Event(1)); !again.Duplicate {
		t.Fatal("a command from before the restart was not recognized")
	}
	CheckLog(t, ReadAll(t, s))
}

func testRebuild(t *testing.T, open Opener) {
	dir := t.TempDir()
	s := open(t, dir, false)
	for i := range 10 {
		MustAppend(t, s, Agg(i%3), uint64(i/3), fmt.Sprintf("b%d", i), Event(i))
	}
	want := ReadAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, true)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, uint64(len(want))); err != nil {
		t.Fatalf("rebuild did not reach position %d: %v", len(want), err)
	}
	got := ReadAll(t, s)
	if len(got) != len(want) {
		t.Fatalf("rebuilt %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Hash != want[i].Hash || got[i].Position != want[i].Position {
			t.Fatalf("position %d differs after rebuild", i+1)
		}
	}
}
