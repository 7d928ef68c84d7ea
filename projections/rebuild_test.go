package projections

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestRebuildManyChunks: a log longer than several of the reader's chunks
// and than one rebuild batch rebuilds byte-identical to the live models.
func TestRebuildManyChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 40,000-event log; skipped with -short")
	}
	l := newTestLog(t, New(Options{}))
	genElections(l, rebuildBatch+3*chunkEvents+123)
	checkRebuild(t, l.db)
}

// TestRebuildStopsAtUndecodableEvent: an undecodable stored event ends the
// rebuild with an error naming its position.
func TestRebuildStopsAtUndecodableEvent(t *testing.T) {
	l := newTestLog(t, New(Options{}))
	genElections(l, 2*chunkEvents+10)
	const bad = chunkEvents + 7
	key := eventKey(bad)
	if binary.BigEndian.Uint64(key[1:]) != bad {
		t.Fatalf("event key %x", key)
	}
	if err := l.db.Set(key, []byte("not an event"), nil); err != nil {
		t.Fatal(err)
	}
	err := Rebuild(context.Background(), l.db, "all", nil)
	if !errors.Is(err, errStored) || !strings.Contains(err.Error(), "position 4103") {
		t.Fatalf("got %v, want an undecodable event at position %d", err, bad)
	}
}
