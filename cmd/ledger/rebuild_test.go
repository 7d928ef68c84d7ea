package main

import (
	"bytes"
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
	if out, code := run(t, "rebuild", "--from-jetstream", "--data", dir); code != 0 || !strings.Contains(out, "rebuilt pebble") {
		t.Fatalf("rebuild --from-jetstream: exit %d\n%s", code, out)
	}
	if out, code := run(t, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("verify after rebuilding from JetStream: exit %d\n%s", code, out)
	}
	if out, code := run(t, "rebuild", "--projection", "nosuch", "--data", dir); code != 2 {
		t.Fatalf("unknown read model: exit %d, want 2\n%s", code, out)
	}
}
