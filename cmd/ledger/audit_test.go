package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/audit"
	"ledger/domain"
	"ledger/node"
)

// recordVillage records the domain's village election scenario into dir
// through the real command path and returns the election's ID.
func recordVillage(t *testing.T, dir string) string {
	t.Helper()
	return recordVillageLines(t, dir, 0, -1)
}

// recordVillageLines records the scenario's commands from line first up to
// (not including) line end, all of them from first when end is negative.
func recordVillageLines(t *testing.T, dir string, first, end int) string {
	t.Helper()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../domain/testdata/village_election.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var election string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for line := 0; sc.Scan(); line++ {
		if line < first || end >= 0 && line >= end {
			continue
		}
		var ln struct {
			CommandType string          `json:"command_type"`
			Now         time.Time       `json:"now"`
			Body        json.RawMessage `json:"body"`
			WantError   string          `json:"want_error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ln); err != nil {
			t.Fatal(err)
		}
		cmd, err := domain.DecodeCommand(ln.CommandType, ln.Body)
		if err != nil {
			t.Fatal(err)
		}
		if election == "" {
			election = cmd.Target().ID
		}
		_, err = n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: ulid.Make().String(), Actor: "tester", OccurredAt: ln.Now})
		if _, refused := domain.AsError(err); err != nil && !(refused && ln.WantError != "") {
			t.Fatalf("%s: %v", ln.CommandType, err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return election
}

// run runs the ledger's command line in-process and returns its output
// and exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), 0
	}
	var ex exitError
	if errors.As(err, &ex) {
		return out.String() + ex.msg, ex.code
	}
	return out.String() + err.Error(), exitCode(err)
}

func TestAuditCommands(t *testing.T) {
	dir := t.TempDir()
	election := recordVillage(t, dir)

	out, code := run(t, "audit", "verify", "--data", dir, "--json")
	if code != 0 || !strings.Contains(out, `"intact": true`) {
		t.Fatalf("verify of an untouched log: exit %d\n%s", code, out)
	}
	var verified struct {
		Events uint64 `json:"events"`
	}
	_ = json.Unmarshal([]byte(out), &verified)
	out, code = run(t, "audit", "verify", "--read-only", "--data", dir, "--json")
	var read audit.Reading
	if err := json.Unmarshal([]byte(out), &read); code != 0 || err != nil || read.PebbleEvents == 0 ||
		read.PebbleEvents != verified.Events || read.JetStreamMessages == 0 {
		t.Fatalf("verify --read-only: exit %d, want the %d events verify checked\n%s", code, verified.Events, out)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	if out, code := run(t, "audit", "export", "--data", dir, "--election", election, "--out", bundle); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	key, _ := run(t, "audit", "key", "--data", dir)
	if out, code := run(t, "audit", "verify-bundle", bundle, "--key", strings.TrimSpace(key)); code != 0 || !strings.Contains(out, "complete: ") {
		t.Fatalf("verify-bundle: exit %d\n%s", code, out)
	}
	cut := dropBundleEvent(t, bundle, 1)
	if out, code := run(t, "audit", "verify-bundle", cut, "--key", strings.TrimSpace(key)); code != 1 || !strings.Contains(out, "version 2 missing") || strings.HasSuffix(strings.TrimSpace(out), "\nintact") {
		t.Fatalf("verify-bundle of a bundle missing its second event: exit %d, want 1 naming version 2\n%s", code, out)
	}
	if out, code := run(t, "audit", "verify-bundle", bundle, "--key", "ledger+00000000+AYscVCBdcEMMZddNiIvoprCAX9CihEekvgQoyFipCqvu"); code == 0 {
		t.Fatalf("a bundle verified against another ledger's key:\n%s", out)
	}
	out, code = run(t, "audit", "replay", "election/"+election, "--data", dir, "--at", "3", "--json")
	if code != 0 || !strings.Contains(out, `"election.called"`) || strings.Contains(out, `"election.roll_published"`) {
		t.Fatalf("replay at position 3: exit %d\n%s", code, out)
	}

	tamper(t, dir, 5)
	out, code = run(t, "audit", "verify", "--data", dir)
	if code != 1 || !strings.Contains(out, "position 5") {
		t.Fatalf("verify of a tampered log: exit %d, want 1 naming position 5\n%s", code, out)
	}
}

// dropBundleEvent writes a copy of a bundle file without its i-th event.
func dropBundleEvent(t *testing.T, path string, i int) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := audit.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	b.Events = append(b.Events[:i], b.Events[i+1:]...)
	if data, err = b.Marshal(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cut.json")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// tamper flips one payload byte of the event at pos in the node's Pebble
// copy, as someone with access to the disk could.
func tamper(t *testing.T, dir string, pos uint64) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	key := []byte{'e', 0, 0, 0, 0, 0, 0, 0, byte(pos)}
	v, closer, err := n.Store.DB().Get(key)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(v)
	closer.Close()
	i := bytes.LastIndexByte(bad, '}') // inside the JSON payload
	bad[i-1] ^= 0x01
	if err := n.Store.DB().Set(key, bad, nil); err != nil {
		t.Fatal(err)
	}
}
