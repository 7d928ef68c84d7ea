package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ledger/backup"
	"ledger/node"
)

// TestBackupRestore: a backup of a stopped node restores into a new data
// directory that verifies and holds the same events and Merkle root.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	recordVillage(t, dir)
	out := filepath.Join(t.TempDir(), "backup")
	if got, code := run(t, "backup", "--out", out, "--data", dir); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, got)
	}
	for _, f := range []string{backup.ManifestFile, backup.StreamFile, "checkpoint.key", "checkpoint.pub", "pebble"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("backup lacks %s: %v", f, err)
		}
	}
	if got, code := run(t, "backup", "--out", out, "--data", dir); code == 0 || !strings.Contains(got, "not empty") {
		t.Fatalf("backup over a backup: exit %d, want a refusal\n%s", code, got)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if got, code := run(t, "restore", out, "--data", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, got)
	}
	if got, code := run(t, "audit", "verify", "--data", restored); code != 0 {
		t.Fatalf("verify the restored node: exit %d\n%s", code, got)
	}
	want, wantRoot := logHashes(t, dir)
	got, gotRoot := logHashes(t, restored)
	if !bytes.Equal(want, got) || !bytes.Equal(wantRoot, gotRoot) || len(want) == 0 {
		t.Fatalf("restored log differs: %d vs %d bytes of hashes, roots %x vs %x", len(got), len(want), gotRoot, wantRoot)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "checkpoint.key"))
	rkey, _ := os.ReadFile(filepath.Join(restored, "checkpoint.key"))
	if !bytes.Equal(key, rkey) {
		t.Fatal("the restored node signs with another key")
	}
}

// logHashes returns the concatenated event hashes of a stopped node's
// log and its Merkle root.
func logHashes(t *testing.T, dir string) ([]byte, []byte) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	<-n.Store.Ready()
	evs, err := n.Store.ReadLog(context.Background(), 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var hs []byte
	for _, e := range evs {
		hs = append(hs, e.Hash[:]...)
	}
	root, err := n.Tree.Root(n.Tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	return hs, root
}
