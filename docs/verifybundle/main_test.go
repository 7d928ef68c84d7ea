package main

import (
	"os"
	"path/filepath"
	"testing"

	"ledger/verifier/verifiertest"
)

// TestRun: the example accepts a good bundle, pinned to its key, and
// refuses one cut short or with an altered event.
func TestRun(t *testing.T) {
	b, vkey := verifiertest.Bundle(t, 5)
	path := filepath.Join(t.TempDir(), "bundle.json")
	write := func() {
		data, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if err := run([]string{path, vkey}); err != nil {
		t.Fatalf("good bundle: %v", err)
	}
	b.Events = b.Events[:4]
	write()
	if err := run([]string{path}); err == nil {
		t.Fatal("a bundle without its last event verified")
	}
	b.Events[2].Hash = b.Events[1].Hash
	write()
	if err := run([]string{path}); err == nil {
		t.Fatal("a bundle with a wrong hash verified")
	}
}
