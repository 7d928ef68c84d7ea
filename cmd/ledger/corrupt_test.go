package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ledger/eventstore"
)

// flushPebble writes the memtables of a stopped node's Pebble copy into
// tables, so that every table can be damaged in turn.
func flushPebble(t *testing.T, dir string) []string {
	t.Helper()
	db, err := eventstore.OpenPebble(eventstore.PebblePath(dir), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(eventstore.PebblePath(dir), "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no Pebble tables after a flush")
	}
	return tables
}

// copyDir copies a data directory tree.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, fi.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// runNoPanic runs the CLI and fails the test, instead of crashing, on a
// panic.
func runNoPanic(t *testing.T, args ...string) (out string, code int) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("ledger %s panicked: %v", strings.Join(args, " "), r)
			out, code = "panic", 2
		}
	}()
	return run(t, args...)
}

// TestVerifyDeepFindsEveryTable flips one byte in the middle of each
// Pebble table in turn: plain verify never panics, and verify --deep
// exits 1 naming the damaged file as corrupt_store.
func TestVerifyDeepFindsEveryTable(t *testing.T) {
	base := t.TempDir()
	recordVillageLines(t, base, 0, 30)
	flushPebble(t, base)
	recordVillageLines(t, base, 30, -1)
	tables := flushPebble(t, base)
	if out, code := runNoPanic(t, "audit", "verify", "--deep", "--data", base); code != 0 {
		t.Fatalf("verify --deep of an untouched directory: exit %d\n%s", code, out)
	}
	for _, table := range tables {
		name := filepath.Base(table)
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, base)
			p := filepath.Join(eventstore.PebblePath(dir), name)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/3] ^= 0x10
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, code := runNoPanic(t, "audit", "verify", "--data", dir); code != 0 && !strings.Contains(out, "corrupt_store") && !strings.Contains(out, "not intact") {
				t.Errorf("plain verify with %s damaged: exit %d without naming the damage\n%s", name, code, out)
			}
			out, code := runNoPanic(t, "audit", "verify", "--deep", "--data", dir)
			if code != 1 || !strings.Contains(out, "corrupt_store") || !strings.Contains(out, name) {
				t.Fatalf("verify --deep with %s damaged: exit %d, want 1 naming corrupt_store and the file\n%s", name, code, out)
			}
		})
	}
	t.Run("table removed", func(t *testing.T) {
		dir := copyDir(t, base)
		name := filepath.Base(tables[0])
		if err := os.Remove(filepath.Join(eventstore.PebblePath(dir), name)); err != nil {
			t.Fatal(err)
		}
		out, code := runNoPanic(t, "audit", "verify", "--deep", "--data", dir)
		if code != 1 || !strings.Contains(out, "corrupt_store") || !strings.Contains(out, name) {
			t.Fatalf("verify --deep with %s removed: exit %d, want 1 naming it\n%s", name, code, out)
		}
	})
}
