package audit

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"ledger/eventstore"
)

// TestScrubFindsFileEdits edits the stream's block files with the node
// stopped (the log's 30 events split over two blocks, so that damage to
// the first leaves a hole inside the log rather than a short tail, which
// start-up repair would put back), starts the store again with its scrub,
// and checks that the scrub reports the damage, publishes it on
// ledger.alerts, that no checkpoint is signed after it, and that verify
// names the same first position.
func TestScrubFindsFileEdits(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, fs *fileStore, recs []fileStoreRecord) []fileStoreRecord
	}{
		{"byte flipped", func(t *testing.T, fs *fileStore, recs []fileStoreRecord) []fileStoreRecord {
			recs[5].data[len(recs[5].data)-3] ^= 1
			recs[5].keepSum = true // the checksum no longer matches
			return recs
		}},
		{"byte flipped, checksum recomputed", func(t *testing.T, fs *fileStore, recs []fileStoreRecord) []fileStoreRecord {
			// The block is sound and the stream's state unchanged: only
			// the rolling re-read, which re-hashes the events, sees it.
			changeByte(t, recs[5].data, `{"n":`, '9')
			return recs
		}},
		{"block truncated", func(t *testing.T, fs *fileStore, recs []fileStoreRecord) []fileStoreRecord {
			var out []fileStoreRecord
			for i, r := range recs {
				if r.block != fs.blocks[0] || i < 8 {
					out = append(out, r)
				}
			}
			return out
		}},
		{"block deleted", func(t *testing.T, fs *fileStore, recs []fileStoreRecord) []fileStoreRecord {
			var out []fileStoreRecord
			for _, r := range recs {
				if r.block != fs.blocks[0] {
					out = append(out, r)
				}
			}
			fs.remove = fs.blocks[0]
			return out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newVerifyLog(t)
			l.close()
			fs := streamFileStore(t, l.dir, "LEDGER")
			recs := splitBlocks(fs, fs.read(t))
			fs.write(t, tt.edit(t, fs, recs))
			if fs.remove != 0 {
				if err := os.Remove(fs.blockPath(fs.remove)); err != nil {
					t.Fatal(err)
				}
			}
			fs.removeState(t)
			found := scrubUntilFound(t, l)
			if found.Position == 0 || found.Position > 30 {
				t.Fatalf("scrub report names no position of the log: %+v", found)
			}
		})
	}
}

// splitBlocks moves the second half of the records, each in the only
// block, into a new block after it.
func splitBlocks(fs *fileStore, recs []fileStoreRecord) []fileStoreRecord {
	next := fs.blocks[len(fs.blocks)-1] + 1
	fs.blocks = append(fs.blocks, next)
	for i := len(recs) / 2; i < len(recs); i++ {
		recs[i].block = next
	}
	return recs
}

// scrubUntilFound reopens the log's store, scrubs it and waits (at most
// 60 s, the bound the scrub promises) for a report; then checks the alert,
// the held checkpoint and verify's first bad position.
func scrubUntilFound(t *testing.T, l *verifyLog) *eventstore.IntegrityError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, tree, err := OpenStore(ctx, eventstore.Config{Dir: l.dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	l.store, l.tree = s, tree
	alerts := make(chan *nats.Msg, 4)
	sub, err := s.Conn().ChanSubscribe(eventstore.AlertSubject, alerts)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	stop := s.StartScrub(eventstore.ScrubConfig{Tick: 50 * time.Millisecond, Period: time.Second})
	defer stop(context.Background())
	start := time.Now()
	for s.Integrity() == nil {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no disagreement found within 60 s (republished %d)", s.Stats().Republished.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var found *eventstore.IntegrityError
	if !errors.As(s.Integrity(), &found) || s.Stats().ScrubProblems.Load() != 1 {
		t.Fatalf("integrity %v, problems %d", s.Integrity(), s.Stats().ScrubProblems.Load())
	}
	t.Logf("found after %v: %v", time.Since(start), found)
	select {
	case m := <-alerts:
		if len(m.Data) == 0 {
			t.Fatal("empty alert")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert on " + eventstore.AlertSubject)
	}
	cp, err := NewCheckpointer(CheckpointerConfig{Tree: tree, Signer: l.signer, Hold: s.Integrity})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.SignNow(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("checkpoint over disagreeing copies: %v, want ErrHeld", err)
	}
	r := l.verify(t, VerifyOptions{})
	if r.Intact || r.FirstBad == nil || r.FirstBad.Position != found.Position {
		t.Fatalf("verify: first bad %v, want position %d as the scrub found\n%v", r.FirstBad, found.Position, r.Problems)
	}
	return found
}
