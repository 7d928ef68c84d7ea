package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/transparency-dev/merkle/proof"

	"ledger/eventstore"
)

func TestTreeProofsEveryLeaf(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	l.appendN(t, 37, 4)
	events := l.allEvents(t)
	if got, want := l.tree.Size(), uint64(len(events)); got != want {
		t.Fatalf("tree size %d, want %d", got, want)
	}
	leaves := leafHashes(events)
	for size := uint64(1); size <= uint64(len(leaves)); size++ {
		root, err := l.tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveRoot(leaves[:size]); !bytes.Equal(root, want) {
			t.Fatalf("root(%d) = %x, want %x", size, root, want)
		}
		for i := uint64(0); i < size; i++ {
			p, err := l.tree.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(hasher, i, size, leaves[i], p, root); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
		}
		for s1 := uint64(0); s1 <= size; s1++ {
			p, err := l.tree.ConsistencyProof(s1, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(hasher, s1, size, p, naiveRoot(leaves[:s1]), root); err != nil {
				t.Fatalf("consistency %d -> %d: %v", s1, size, err)
			}
		}
	}
	if _, err := l.tree.InclusionProof(37, 37); !errors.Is(err, ErrSize) {
		t.Errorf("proof beyond the tree: got %v, want ErrSize", err)
	}
}

func TestTreeRestoresOnOpen(t *testing.T) {
	dir := t.TempDir()
	l := openTestLog(t, dir)
	l.appendN(t, 11, 3)
	next, vers := l.next, l.vers
	l.close()

	l = openTestLog(t, dir)
	l.next, l.vers = next, vers
	if got := l.tree.Size(); got != 11 {
		t.Fatalf("size after reopen %d, want 11", got)
	}
	l.appendN(t, 9, 3)
	events := l.allEvents(t)
	root, err := l.tree.Root(l.tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	if want := naiveRoot(leafHashes(events)); !bytes.Equal(root, want) {
		t.Fatalf("root after reopen %x, want %x", root, want)
	}
}

func TestTreeCatchesUpWithExistingLog(t *testing.T) {
	dir := t.TempDir()
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{dir: dir, store: s, vers: map[string]uint64{}}
	l.appendN(t, 6, 2)
	next, vers := l.next, l.vers
	l.close()

	l = openTestLog(t, dir)
	l.next, l.vers = next, vers
	l.appendN(t, 1, 2)
	events := l.allEvents(t)
	if got, want := l.tree.Size(), uint64(len(events)); got != want {
		t.Fatalf("size %d, want %d", got, want)
	}
	root, _ := l.tree.Root(l.tree.Size())
	if want := naiveRoot(leafHashes(events)); !bytes.Equal(root, want) {
		t.Fatalf("root %x, want %x", root, want)
	}
}

// sealedEvents builds n sealed events over aggs aggregates with positions
// from 1, as ingest would hand them to Apply.
func sealedEvents(n, aggs int) []eventstore.Envelope {
	events := make([]eventstore.Envelope, n)
	heads := make([]eventstore.Envelope, aggs)
	for i := range events {
		a := i % aggs
		agg := testAggregate(a)
		e := eventstore.Envelope{
			EventID: strings.Repeat("0", 20) + string(rune('A'+i%26)) + "00000", Type: "ballot.counted", SchemaVersion: 1,
			AggregateKind: agg.Kind, AggregateID: agg.ID, Version: heads[a].Version + 1, Region: agg.Region,
			RecordedAt: testTime.Add(timeStep * timeDuration(i)), CommandID: "c", Actor: "clerk-1",
			Payload: []byte(`{"box":"B-001","marks":["cand-1","cand-3"],"valid":true}`), PrevHash: heads[a].Hash,
			Position: uint64(i + 1), Seq: uint64(i + 1),
		}
		e.Seal()
		heads[a] = e
		events[i] = e
	}
	return events
}

func memDB(t testing.TB) *pebble.DB {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func applyAll(t testing.TB, tree *Tree, db *pebble.DB, events []eventstore.Envelope) error {
	t.Helper()
	b := db.NewIndexedBatch()
	defer b.Close()
	if err := tree.Apply(b, events); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// TestTreeRefusesPositionGaps: the tree grows only by the next position.
// (An event that fails its hash or its aggregate's chain never reaches the
// tree: ingest stops before it; see eventstore's TestIngestStopsAtBrokenChain
// and TestTreeNeverGrowsOverBrokenChain below.)
func TestTreeRefusesPositionGaps(t *testing.T) {
	tests := []struct {
		name   string
		forge  func(e []eventstore.Envelope)
		wantAt string
	}{
		{"gap", func(e []eventstore.Envelope) { e[3].Position = 5 }, "position 5 "},
		{"repeat", func(e []eventstore.Envelope) { e[6].Position = 6 }, "position 6 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := memDB(t)
			tree, err := NewTree(db)
			if err != nil {
				t.Fatal(err)
			}
			events := sealedEvents(10, 3)
			tc.forge(events)
			err = applyAll(t, tree, db, events)
			if !errors.Is(err, ErrForged) || !strings.Contains(err.Error(), tc.wantAt) {
				t.Fatalf("got %v, want ErrForged naming %q", err, tc.wantAt)
			}
			if got := tree.Size(); got != 0 {
				t.Fatalf("tree grew to %d over a forged event", got)
			}
			// A good batch after the failed one still applies from a clean state.
			if err := applyAll(t, tree, db, sealedEvents(10, 3)); err != nil {
				t.Fatalf("good batch after a failed one: %v", err)
			}
		})
	}
}

// TestTreeNeverGrowsOverBrokenChain: a correctly hashed message that breaks
// its aggregate's chain, published straight into the stream, stops ingest;
// the tree keeps the leaves it had.
func TestTreeNeverGrowsOverBrokenChain(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	l.appendN(t, 5, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := l.allEvents(t)
	size := l.tree.Size()
	if size != uint64(len(events)) {
		t.Fatalf("tree has %d leaves for %d events", size, len(events))
	}
	forged := events[len(events)-1]
	forged.Version += 2 // skips a version
	forged.PrevHash = events[len(events)-1].Hash
	forged.EventID, forged.CommandID = "01JFORGEDCHAIN000000000000", "forged-chain"
	forged.Seal()
	js, store := l.store.JetStream(), l.store
	if _, err := js.PublishMsg(ctx, eventstore.EncodeMessage(store.SubjectPrefix(), []eventstore.Envelope{forged})); err != nil {
		t.Fatal(err)
	}
	_, err := store.Append(ctx, eventstore.Aggregate{Kind: "election", ID: "other", Region: "220102"}, 0,
		eventstore.Meta{CommandID: "after-forged"}, eventstore.EventData{Type: "x.y", SchemaVersion: 1, Payload: []byte(`{}`)})
	if !errors.Is(err, eventstore.ErrChainBroken) {
		t.Fatalf("append after the forged message: %v, want the chain error", err)
	}
	if got := l.tree.Size(); got != size {
		t.Fatalf("tree grew from %d to %d over a broken chain", size, got)
	}
}
