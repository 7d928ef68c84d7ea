package scenario

import (
	"context"
	"testing"
	"time"

	"ledger/node"
)

// TestRecordThroughNode records a small province through a real node
// (embedded JetStream on disk, Pebble, the Merkle tree) and checks that
// nothing is refused but what the scenario refuses on purpose, and that
// the ledger holds every event the recording counted.
func TestRecordThroughNode(t *testing.T) {
	if testing.Short() {
		t.Skip("records a few thousand commands through a real node")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), AllowFutureOccurredAt: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	<-n.Store.Ready()
	sum, err := Record(ctx, n.Ledger, Config{Scale: 0.0002, Seed: 3, Recorders: 32, LiveIDs: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unexpected != 0 {
		t.Fatalf("%d unexpected outcomes: %v", sum.Unexpected, sum.UnexpectedSamples)
	}
	checkInvariants(t, sum)
	if sum.Elections != 2 {
		t.Errorf("%d elections at scale 0.0002, want 2", sum.Elections)
	}
	if sum.BallotsCounted < sum.CheckedIn*9/10 {
		t.Errorf("%d ballots counted for %d first-round check-ins", sum.BallotsCounted, sum.CheckedIn)
	}
	_, pos := n.Store.Position()
	if got, want := pos, uint64(sum.Events); got != want {
		t.Errorf("store holds %d events, the recording counted %d", got, want)
	}
	if n.Tree != nil && n.Tree.Size() != pos {
		t.Errorf("Merkle tree has %d leaves, the log %d events", n.Tree.Size(), pos)
	}
	t.Logf("%d elections, %d events, %d refused on purpose", sum.Elections, sum.Events, sum.Refused)
}
