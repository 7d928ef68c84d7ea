package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/audit"
	"ledger/cosig"
	"ledger/domain"
	"ledger/node"
	"ledger/witness"
)

// startCLIWitness creates a witness key with "ledger witness key" and
// serves that witness on a loopback port; it returns the verifier key
// printed and the witness's URL.
func startCLIWitness(t *testing.T, name, logKey string) (vkey, url string) {
	t.Helper()
	dir := t.TempDir()
	out, code := run(t, "witness", "key", "--data", dir, "--name", name)
	if code != 0 {
		t.Fatalf("witness key: exit %d\n%s", code, out)
	}
	if fi, err := os.Stat(filepath.Join(dir, witness.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("witness key file: %v %v", fi, err)
	}
	k, err := witness.LoadOrCreateKey(dir, "")
	if err != nil || k.VerifierKey != strings.TrimSpace(out) {
		t.Fatalf("printed key %q, stored %q (%v)", out, k.VerifierKey, err)
	}
	w, err := witness.New(witness.Config{Dir: dir, Key: k, Logs: []string{logKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return k.VerifierKey, srv.URL
}

// TestAuditQuorumFlags: verify, verify-bundle, proof and verify-receipt
// accept --witness and --quorum, pass when a quorum cosigned the
// checkpoint they rely on and fail naming the witnesses missing otherwise.
func TestAuditQuorumFlags(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, v, err := audit.LoadOrCreateKey(dir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	var keys, flags []string
	for _, name := range []string{"w.example/a", "w.example/b", "w.example/c"} {
		k, url := startCLIWitness(t, name, v.Key)
		keys, flags = append(keys, k), append(flags, k+"+"+url)
	}
	stranger, _ := startCLIWitness(t, "w.example/d", v.Key) // never asked
	n, err := node.Open(ctx, node.Config{DataDir: dir, Witnesses: flags, WitnessQuorum: 3, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	election := ulid.Make().String()
	cmd, err := domain.DecodeCommand("call_election", []byte(`{"election_id":"`+election+
		`","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: ulid.Make().String(), OccurredAt: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Checkpointer.SignNow(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); n.Cosigner.Status().Cosigned < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not cosigned: %+v", n.Cosigner.Status())
		}
	}
	events, err := n.Store.ReadLog(ctx, 1, 1)
	if err != nil || len(events) != 1 {
		t.Fatal(events, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	w := func(ks ...string) []string {
		var out []string
		for _, k := range ks {
			out = append(out, "--witness", k)
		}
		return out
	}
	all := w(keys...)
	withStranger := w(keys[0], stranger)

	expect := func(what string, wantCode int, wantOut string, args ...string) {
		t.Helper()
		out, code := run(t, args...)
		if code != wantCode || !strings.Contains(out, wantOut) {
			t.Fatalf("%s: exit %d, want %d with %q\n%s", what, code, wantCode, wantOut, out)
		}
	}
	expect("verify with the quorum", 0, "witnesses: 3 of 3 cosigned the latest checkpoint",
		append([]string{"audit", "verify", "--data", dir, "--quorum", "2"}, all...)...)
	expect("verify with a witness that never cosigned", 1, "missing: w.example/d",
		append([]string{"audit", "verify", "--data", dir}, withStranger...)...)
	for _, name := range []string{"w.example/a", "w.example/b", "w.example/c"} {
		expect("witnesses", 0, name, "audit", "witnesses", "--data", dir)
	}

	bundle := filepath.Join(t.TempDir(), "bundle.json")
	expect("export", 0, "", "audit", "export", "--data", dir, "--election", election, "--out", bundle)
	expect("verify-bundle with the quorum", 0, "witnesses: 3 of 3",
		append([]string{"audit", "verify-bundle", bundle, "--quorum", "3"}, all...)...)
	expect("verify-bundle short of the quorum", 1, "missing: w.example/d",
		append([]string{"audit", "verify-bundle", bundle, "--quorum", "2"}, withStranger...)...)

	receipt, code := run(t, "audit", "proof", events[0].EventID, "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("proof: exit %d\n%s", code, receipt)
	}
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, []byte(receipt), 0o644); err != nil {
		t.Fatal(err)
	}
	expect("verify-receipt with the quorum", 0, "3 of 3 cosigned the receipt's checkpoint",
		append([]string{"audit", "verify-receipt", file, "--key", v.Key}, all...)...)
	expect("verify-receipt short of the quorum", 1, "missing: w.example/d",
		append([]string{"audit", "verify-receipt", file, "--key", v.Key, "--quorum", "2"}, withStranger...)...)
	expect("proof short of the quorum", 1, "missing: w.example/d",
		append([]string{"audit", "proof", events[0].EventID, "--data", dir}, withStranger...)...)
	expect("--quorum above the witnesses", 2, "quorum 3 of 2",
		append([]string{"audit", "verify-bundle", bundle, "--quorum", "3"}, withStranger...)...)
}

// TestWitnessServeCommand runs "ledger witness serve" on a loopback port
// and submits a checkpoint of a ledger it witnesses: 200 with a
// cosignature by the key "ledger witness key" printed, then 409 with the
// size it holds for a stale old size, and 404 for a log it does not know.
func TestWitnessServeCommand(t *testing.T) {
	ledgerDir, wdir := t.TempDir(), t.TempDir()
	signer, v, err := audit.LoadOrCreateKey(ledgerDir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	key, code := run(t, "witness", "key", "--data", wdir, "--name", "w.example/cli")
	if code != 0 {
		t.Fatalf("witness key: %s", key)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRoot()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"witness", "serve", "--data", wdir, "--http", "127.0.0.1:0", "--log", v.Key, "--log-level", "error"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("witness serve printed %q: %v (%v)", line, err, <-done)
	}
	go io.Copy(io.Discard, pr)
	_, url, ok := strings.Cut(strings.TrimSpace(line), " serving ")
	if !ok {
		t.Fatalf("witness serve printed %q", line)
	}
	url, _, _ = strings.Cut(url, " ")
	cp, err := audit.SignCheckpoint(signer, 0, sha256.New().Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := witness.Client{URL: url}
	sigs, err := c.AddCheckpoint(ctx, witness.Request{Checkpoint: cp})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cosig.NewPolicy([]string{strings.TrimSpace(key)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(append(cp, sigs...)); err != nil {
		t.Fatalf("cosignature by the printed key: %v", err)
	}
	_, err = c.AddCheckpoint(ctx, witness.Request{OldSize: 0, Checkpoint: cp})
	if err != nil {
		t.Fatalf("the same size again from 0: %v", err)
	}
	other, _, _ := audit.LoadOrCreateKey(t.TempDir(), "other")
	cp2, _ := audit.SignCheckpoint(other, 0, sha256.New().Sum(nil))
	var refused *witness.Error
	if _, err := c.AddCheckpoint(ctx, witness.Request{Checkpoint: cp2}); !errors.As(err, &refused) || refused.Status != 404 {
		t.Fatalf("unknown log: %v, want 404", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("witness serve ended with %v", err)
	}
}
