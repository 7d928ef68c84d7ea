package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/internal/testkit"
)

// dropMessage makes the ledger's stream in dir lack message seq, as an
// operator with the JetStream API could before the stream was immutable:
// the stream is read, deleted and created again without deny-delete, its
// messages published back at the same sequences, and seq deleted.
func dropMessage(t *testing.T, dir string, seq uint64) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: filepath.Join(dir, "jetstream"), DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, "LEDGER")
	if err != nil {
		t.Fatal(err)
	}
	cfg, last := st.CachedInfo().Config, st.CachedInfo().State.LastSeq
	var msgs []*nats.Msg
	for s := uint64(1); s <= last; s++ {
		m, err := st.GetMsg(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data})
	}
	if err := js.DeleteStream(ctx, "LEDGER"); err != nil {
		t.Fatal(err)
	}
	cfg.DenyDelete, cfg.DenyPurge = false, false
	st, err = js.CreateStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DeleteMsg(ctx, seq); err != nil {
		t.Fatal(err)
	}
}

// runWithin runs the command line and fails the test if it has not
// returned within d.
func runWithin(t *testing.T, d time.Duration, args ...string) (string, int) {
	t.Helper()
	type result struct {
		out  string
		code int
	}
	done := make(chan result, 1)
	go func() { out, code := run(t, args...); done <- result{out, code} }()
	select {
	case r := <-done:
		return r.out, r.code
	case <-time.After(d):
		t.Fatalf("%v still running after %v", args, d)
		return "", 0
	}
}

// TestRebuildFromStreamMissingMessage: a rebuild from a stream that lacks
// a message ends with exit 1 naming the position and the cause, and puts
// the original Pebble copy back, or leaves the partial one with
// --keep-partial.
func TestRebuildFromStreamMissingMessage(t *testing.T) {
	dir := t.TempDir()
	recordVillage(t, dir)
	dropMessage(t, dir, 2)
	peb := filepath.Join(dir, "pebble")
	before := hashTree(t, peb)
	out, code := runWithin(t, time.Minute, "rebuild", "--from-jetstream", "--data", dir)
	if code != 1 || !strings.Contains(out, "position ") || !strings.Contains(out, "hash chain broken") || !strings.Contains(out, "back in place") {
		t.Fatalf("rebuild --from-jetstream: exit %d, want 1 naming the position and the cause\n%s", code, out)
	}
	sameTree(t, "a failed rebuild", before, hashTree(t, peb))
	if left := globDir(t, dir, "pebble.*"); len(left) != 0 {
		t.Fatalf("a failed rebuild left %v", left)
	}
	out, code = runWithin(t, time.Minute, "rebuild", "--from-jetstream", "--keep-partial", "--data", dir)
	if code != 1 || !strings.Contains(out, "--keep-partial") {
		t.Fatalf("rebuild --keep-partial: exit %d\n%s", code, out)
	}
	aside := globDir(t, dir, "pebble.bad-*")
	if len(aside) != 1 {
		t.Fatalf("with --keep-partial the original is not kept aside: %v", aside)
	}
	sameTree(t, "a failed rebuild with --keep-partial", before, hashTree(t, aside[0]))
}

// TestRebuildReadModelsFails: a read-model rebuild over a log with an
// unreadable event ends with exit 1 and the Pebble copy as it was.
func TestRebuildReadModelsFails(t *testing.T) {
	dir := t.TempDir()
	recordVillage(t, dir)
	peb := filepath.Join(dir, "pebble")
	db, err := pebble.Open(peb, &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte{'e', 0, 0, 0, 0, 0, 0, 0, 7}, []byte("not an event"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := testkit.ReadModelKeys(t, dir)
	out, code := runWithin(t, time.Minute, "rebuild", "--data", dir)
	if code != 1 || !strings.Contains(out, "back in place") {
		t.Fatalf("rebuild of read models over a bad event: exit %d\n%s", code, out)
	}
	after := testkit.ReadModelKeys(t, dir)
	if len(after) != len(before) {
		t.Fatalf("%d read-model keys after the failed rebuild, %d before", len(after), len(before))
	}
	for k, v := range before {
		if string(after[k]) != string(v) {
			t.Fatalf("read-model key %q changed by a failed rebuild", k)
		}
	}
	if left := globDir(t, dir, "pebble.*"); len(left) != 0 {
		t.Fatalf("a failed rebuild left %v", left)
	}
}

func globDir(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
