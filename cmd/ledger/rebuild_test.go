package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"ledger/internal/testkit"
)

// TestRebuildCommand: read models rebuilt from zero are byte-identical to
// the ones built live; a Pebble copy rebuilt from JetStream verifies.
func TestRebuildCommand(t *testing.T) {
	dir := t.TempDir()
	recordVillage(t, dir)
	live := testkit.ReadModelKeys(t, dir)
	if len(live) == 0 {
		t.Fatal("no read model was built live")
	}
	if out, code := run(t, "rebuild", "--data", dir); code != 0 {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	rebuilt := testkit.ReadModelKeys(t, dir)
	if len(rebuilt) != len(live) {
		t.Fatalf("rebuilt %d keys, live %d", len(rebuilt), len(live))
	}
	for k, v := range live {
		if !bytes.Equal(rebuilt[k], v) {
			t.Fatalf("key %q differs after rebuild", k)
		}
	}
	before := verifiedCheckpoints(t, dir)
	if before == 0 {
		t.Fatal("the recorded village has no signed checkpoint")
	}
	if out, code := run(t, "rebuild", "--from-jetstream", "--data", dir); code != 0 || !strings.Contains(out, "rebuilt pebble") {
		t.Fatalf("rebuild --from-jetstream: exit %d\n%s", code, out)
	}
	if after := verifiedCheckpoints(t, dir); after != before {
		t.Fatalf("%d checkpoints after rebuilding from JetStream, %d before", after, before)
	}
	if out, code := run(t, "rebuild", "--projection", "nosuch", "--data", dir); code != 2 {
		t.Fatalf("unknown read model: exit %d, want 2\n%s", code, out)
	}
}

// verifiedCheckpoints runs audit verify, which must find the log intact,
// and returns how many stored checkpoints it checked.
func verifiedCheckpoints(t *testing.T, dir string) int {
	t.Helper()
	out, code := run(t, "audit", "verify", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("audit verify: exit %d\n%s", code, out)
	}
	var r struct {
		Checkpoints int `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &r); err != nil {
		t.Fatalf("audit verify --json: %v\n%s", err, out)
	}
	return r.Checkpoints
}
