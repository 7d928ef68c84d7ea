package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/envelope"
	"ledger/eventstore"
	"ledger/natsusers"
)

// runLedger runs the ledger command line in-process and returns its output.
func runLedger(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestTail creates a downstream user with nats-user create, starts an
// embedded server with EmbeddedAuth, records events in two cities and
// tails one city from a stream sequence, as that user.
func TestTail(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "downstream.json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := runLedger(t, ctx, "--data", dir, "nats-user", "create", "--name", "board", "--out", creds); err != nil {
		t.Fatalf("nats-user create: %v: %s", err, out)
	}
	sopts, copts, err := natsusers.EmbeddedAuth(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := eventstore.Open(ctx, eventstore.Config{Dir: dir, NATSListen: "127.0.0.1:0", ServerOptions: sopts, NATSOptions: copts})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recordTailEvents(t, s)
	url := s.Server().ClientURL()

	// Stream seqs 1-6 alternate between 220102… (city 2201) and 220202…;
	// from seq 2, city 2201 has seqs 3 and 5 and the batch at 7.
	out, err := runLedger(t, ctx, "tail", "--nats-url", url, "--nats-creds", creds,
		"--from", "2", "--subject", "22.2201.>", "--limit", "4")
	if err != nil {
		t.Fatalf("tail: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wantPos := []string{"3 ", "5 ", "7#1", "7#2"}
	if len(lines) != len(wantPos) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantPos), out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantPos[i]) || !strings.Contains(l, "220102001001") || !strings.Contains(l, "监票人") {
			t.Errorf("line %d = %q, want position %q, region 220102001001, actor 监票人", i, l, wantPos[i])
		}
	}

	out, err = runLedger(t, ctx, "tail", "--nats-url", url, "--nats-creds", creds, "--from", "1", "--region", "2202", "--json", "--limit", "3")
	if err != nil {
		t.Fatalf("tail --json: %v: %s", err, out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	for i, want := range []uint64{2, 4, 6} {
		var ev envelope.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("JSON line %d: %v\n%s", i, err, out)
		}
		if ev.Seq != want || ev.Region != "220202001001" || ev.Type != "station.voter_checked_in" || len(ev.Payload) == 0 {
			t.Errorf("JSON line %d = %+v, want seq %d of region 220202001001", i, ev, want)
		}
	}
}

// recordTailEvents records six single-event commands alternating between
// two cities, then one command of two events in the first city.
func recordTailEvents(t *testing.T, s *eventstore.Store) {
	t.Helper()
	aggs := []eventstore.Aggregate{
		{Kind: "station", ID: "01J00000000000000000000101", Region: "220102001001"},
		{Kind: "station", ID: "01J00000000000000000000202", Region: "220202001001"},
	}
	ev := func(n int) eventstore.EventData {
		return eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1,
			Payload: fmt.Appendf(nil, `{"round":1,"roll_no":%d,"mode":"in_person","at":"2026-05-01T08:00:00+08:00"}`, n)}
	}
	meta := func() eventstore.Meta { return eventstore.Meta{CommandID: ulid.Make().String(), Actor: "监票人"} }
	for i := range 6 {
		if _, err := s.Append(context.Background(), aggs[i%2], uint64(i/2), meta(), ev(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(context.Background(), aggs[0], 3, meta(), ev(7), ev(8)); err != nil {
		t.Fatal(err)
	}
}

func TestNATSUserCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	out, err := runLedger(t, ctx, "--data", dir, "--nats-listen", "0.0.0.0:4333", "nats-user", "create", "--name", "stats")
	if err != nil {
		t.Fatal(err)
	}
	var c natsusers.NATSCredentials
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.User != "stats" || c.Password == "" || c.URL != "nats://127.0.0.1:4333" {
		t.Fatalf("credentials %+v, %v:\n%s", c, err, out)
	}
	if out, _ := runLedger(t, ctx, "--data", dir, "nats-user", "list"); !strings.Contains(out, "stats") || strings.Contains(out, c.Password) {
		t.Errorf("list:\n%s", out)
	}
	if _, err := runLedger(t, ctx, "--data", dir, "nats-user", "revoke", "stats"); err != nil {
		t.Fatal(err)
	}
	if out, _ := runLedger(t, ctx, "--data", dir, "nats-user", "list"); strings.Contains(out, "stats") {
		t.Errorf("list after revoke:\n%s", out)
	}
}
