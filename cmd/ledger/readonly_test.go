package main

import (
	"crypto/sha256"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hashTree hashes every file under dir, by its path relative to dir,
// leaving out JetStream's own index.db state files, which nats-server may
// rewrite whenever it starts over a store.
func hashTree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "index.db" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sums[rel] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func sameTree(t *testing.T, what string, before, after map[string][32]byte) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(after)) {
		if old, ok := before[name]; !ok {
			t.Errorf("%s created %s", what, name)
		} else if old != after[name] {
			t.Errorf("%s changed %s", what, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("%s removed %s", what, name)
		}
	}
}

// TestReadOnlyCommandsWriteNothing: verify, proof, replay and export on a
// data directory whose stream is shorter than Pebble, or gone, leave every
// file under it as it was (JetStream's index.db aside); verify exits 1
// naming the positions the stream lacks instead of republishing them.
func TestReadOnlyCommandsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	election := recordVillageLines(t, dir, 0, 12)
	js := filepath.Join(dir, "jetstream")
	saved := filepath.Join(t.TempDir(), "js")
	if err := os.CopyFS(saved, os.DirFS(js)); err != nil {
		t.Fatal(err)
	}
	recordVillageLines(t, dir, 12, -1)
	tests := []struct {
		name   string
		damage func() error
		want   string
	}{
		{"stream shorter", func() error {
			if err := os.RemoveAll(js); err != nil {
				return err
			}
			return os.CopyFS(js, os.DirFS(saved))
		}, "missing"},
		{"stream gone", func() error { return os.RemoveAll(js) }, "does not exist: positions 1-"},
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.damage(); err != nil {
				t.Fatal(err)
			}
			before := hashTree(t, dir)
			out, code := run(t, "audit", "verify", "--data", dir)
			if code != 1 || !strings.Contains(out, tt.want) || strings.Contains(out, "\nintact") {
				t.Fatalf("verify: exit %d, want 1 saying %q\n%s", code, tt.want, out)
			}
			sameTree(t, "verify", before, hashTree(t, dir))
			for _, args := range [][]string{
				{"audit", "replay", "election/" + election, "--data", dir},
				{"audit", "export", "--data", dir, "--election", election, "--out", bundle},
				{"audit", "verify", "--read-only", "--data", dir},
			} {
				run(t, args...)
				sameTree(t, strings.Join(args[:2], " "), before, hashTree(t, dir))
			}
		})
	}
}

// TestVerifyShowsRepair: a node started on a stream that lost its tail
// republishes it from Pebble; verify then passes and shows the repair.
func TestVerifyShowsRepair(t *testing.T) {
	dir := t.TempDir()
	recordVillageLines(t, dir, 0, 12)
	js := filepath.Join(dir, "jetstream")
	saved := filepath.Join(t.TempDir(), "js")
	if err := os.CopyFS(saved, os.DirFS(js)); err != nil {
		t.Fatal(err)
	}
	recordVillageLines(t, dir, 12, -1)
	if err := os.RemoveAll(js); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(js, os.DirFS(saved)); err != nil {
		t.Fatal(err)
	}
	recordVillageLines(t, dir, 0, 0) // opens and closes the node: the start-up repair
	out, code := run(t, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "repaired: positions") || !strings.Contains(out, "republished from Pebble at start-up") {
		t.Fatalf("verify after a repair: exit %d, want 0 showing the repair\n%s", code, out)
	}
}
