package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/testonly"

	"ledger/eventstore"
)

// The tree stores its nodes from storedLevel up and computes the lower ones
// from the events. These tests hold its roots and proofs to an in-memory
// RFC 6962 tree, over stores written in batches of every size, reopened
// mid-tile, and written by the layout that stored every level.

// referenceTree is the in-memory RFC 6962 tree over the events' leaves.
func referenceTree(events []eventstore.Envelope) *testonly.Tree {
	ref := testonly.New(hasher)
	ref.Append(leafHashes(events)...)
	return ref
}

// checkAgainstReference compares tree's roots, its inclusion proof of
// every leaf and its consistency proofs between every pair of sizes up to
// tree.Size() (every step sizes for the larger one) with ref's.
func checkAgainstReference(t *testing.T, tree *Tree, ref *testonly.Tree, step uint64) {
	t.Helper()
	for size := uint64(0); size <= tree.Size(); size++ {
		got, err := tree.Root(size)
		if err != nil {
			t.Fatalf("root(%d): %v", size, err)
		}
		if want := ref.HashAt(size); !bytes.Equal(got, want) {
			t.Fatalf("root(%d) = %x, want %x", size, got, want)
		}
		for i := range size {
			got, err := tree.InclusionProof(i, size)
			if err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
			want, _ := ref.InclusionProof(i, size)
			if !equalProofs(got, want) {
				t.Fatalf("inclusion of %d in %d:\ngot  %x\nwant %x", i, size, got, want)
			}
		}
		if size%step != 0 && size != tree.Size() {
			continue
		}
		for s1 := range size + 1 {
			got, err := tree.ConsistencyProof(s1, size)
			if err != nil {
				t.Fatalf("consistency %d -> %d: %v", s1, size, err)
			}
			want, _ := ref.ConsistencyProof(s1, size)
			if !equalProofs(got, want) {
				t.Fatalf("consistency %d -> %d:\ngot  %x\nwant %x", s1, size, got, want)
			}
		}
	}
}

func equalProofs(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// TestTreeMatchesReference: batches of 1, 2, 3, ... events (so that they
// end at every offset in a tile), the tree reopened after every third, which
// restores its range from the stored nodes and the events of its last tile.
func TestTreeMatchesReference(t *testing.T) {
	const n = 300 // 1 + 2 + ... + 24
	db := memDB(t)
	events := sealedEvents(n, 7)
	tree, err := NewTree(db)
	if err != nil {
		t.Fatal(err)
	}
	for from, k := 0, 1; from < n; from, k = from+k, k+1 {
		ingest(t, db, tree, events[from:min(from+k, n)])
		if k%3 == 0 {
			if tree, err = NewTree(db); err != nil {
				t.Fatalf("reopen at size %d: %v", from+k, err)
			}
		}
	}
	if got := tree.Size(); got != n {
		t.Fatalf("size %d, want %d", got, n)
	}
	checkAgainstReference(t, tree, referenceTree(events), 3)
}

// TestTreeOverOldLayout: a store whose first events were written when the
// tree stored every level goes on growing with the stored levels only, and
// its roots and proofs over both parts are the reference's.
func TestTreeOverOldLayout(t *testing.T) {
	const old, n = 37, 100 // the old part ends inside a tile
	db := memDB(t)
	events := sealedEvents(n, 5)
	writeOldLayout(t, db, events[:old])
	tree, err := NewTree(db)
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.Size(); got != old {
		t.Fatalf("size of the old tree %d, want %d", got, old)
	}
	for i := old; i < n; i += 9 {
		ingest(t, db, tree, events[i:min(i+9, n)])
	}
	checkAgainstReference(t, tree, referenceTree(events), 1)
	if got, want := nodeKeys(t, db, 0), old; got != want {
		t.Errorf("%d leaf keys, want the old layout's %d (kept, not rewritten)", got, want)
	}
	r, err := Verify(context.Background(), VerifyOptions{DB: db})
	if err != nil || !r.Intact || r.Pebble.Events != n {
		t.Fatalf("verify: %v %+v", err, r)
	}
}

// writeOldLayout writes events as the store does and the tree over them as
// it was stored before storedLevel: every node of every level.
func writeOldLayout(t *testing.T, db *pebble.DB, events []eventstore.Envelope) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	rng := rangeFactory.NewEmptyRange(0)
	for i := range events {
		e := &events[i]
		_ = b.Set(eventKey(e.Position), storedForm(e), nil)
		err := rng.Append(LeafHash(e.Hash), func(id compact.NodeID, h []byte) {
			_ = b.Set(nodeKey(nil, id), h, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = b.Set(keyTreeSize, binary.BigEndian.AppendUint64(nil, rng.End()), nil)
	if err := b.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
}

// nodeKeys counts the 't' 'n' keys of a level, or of every level when
// level < 0.
func nodeKeys(t *testing.T, db *pebble.DB, level int) int {
	t.Helper()
	lo, hi := []byte{prefixTree, subNode}, []byte{prefixTree, subNode + 1}
	if level >= 0 {
		lo, hi = []byte{prefixTree, subNode, byte(level)}, []byte{prefixTree, subNode, byte(level) + 1}
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// TestTreeStoresTilesOnly: after 300 events the tree holds the perfect
// subtrees of 16 leaves and up: 18 of 16, 9 of 32, 4 of 64, 2 of 128 and
// 1 of 256, 34 keys (every level stored would be 596).
func TestTreeStoresTilesOnly(t *testing.T) {
	const n = 300
	db := memDB(t)
	tree, err := NewTree(db)
	if err != nil {
		t.Fatal(err)
	}
	events := sealedEvents(n, 7)
	for i := 0; i < n; i += 64 {
		ingest(t, db, tree, events[i:min(i+64, n)])
	}
	if got, want := nodeKeys(t, db, -1), 34; got != want {
		t.Errorf("%d tree node keys after %d events, want %d", got, n, want)
	}
	for level := range storedLevel {
		if got := nodeKeys(t, db, level); got != 0 {
			t.Errorf("%d node keys of level %d, want none", got, level)
		}
	}
}

// TestTreeLowNodeNeedsItsEvents: a node below storedLevel is computed from
// the events it covers; without one of them the tree says which.
func TestTreeLowNodeNeedsItsEvents(t *testing.T) {
	db := memDB(t)
	tree, err := NewTree(db)
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, db, tree, sealedEvents(21, 3))
	if err := db.Delete(eventKey(19), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	// Leaves 16-19 (positions 17-20) make node (2, 4) of the root of 20.
	_, err = tree.Root(20)
	if want := "event at position 19 missing"; !errors.Is(err, ErrTreeCorrupt) || !strings.Contains(err.Error(), want) {
		t.Fatalf("root over a missing event: %v, want an error naming %q", err, want)
	}
	if _, err := tree.Root(16); err != nil {
		t.Fatalf("root of the first tile, from its stored node: %v", err)
	}
}
