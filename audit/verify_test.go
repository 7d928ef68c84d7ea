package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"ledger/eventstore"
)

// verifyLog is a log of 30 events over 4 aggregates with checkpoints
// signed at sizes 10, 20 and 30.
type verifyLog struct {
	*testLog
	signer note.Signer
	v      *Verifier
	events []eventstore.Envelope
}

func newVerifyLog(t *testing.T) *verifyLog {
	t.Helper()
	l := openTestLog(t, t.TempDir())
	signer, v := testKey(t, "ledger")
	for range 3 {
		l.appendN(t, 10, 4)
		n, err := l.tree.Checkpoint(signer)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.tree.StoreCheckpoint(n); err != nil {
			t.Fatal(err)
		}
	}
	return &verifyLog{testLog: l, signer: signer, v: v, events: l.allEvents(t)}
}

func (l *verifyLog) verify(t *testing.T, opts VerifyOptions) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts.Store, opts.Verifier = l.store, l.v
	r, err := Verify(ctx, opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

// firstOfMessage returns the first position of the message holding pos.
func (l *verifyLog) firstOfMessage(pos uint64) uint64 {
	seq := l.events[pos-1].Seq
	for _, e := range l.events {
		if e.Seq == seq {
			return e.Position
		}
	}
	return 0
}

func wantBad(t *testing.T, r Report, source string, pos uint64, what string) {
	t.Helper()
	if r.Intact || r.FirstBad == nil {
		t.Fatalf("tampering not detected: %+v", r)
	}
	got := *r.FirstBad
	if got.Source != source || got.Position != pos || !strings.Contains(got.What, what) {
		t.Fatalf("first bad = %v\nwant source %s, position %d, what containing %q\nall: %v", got, source, pos, what, r.Problems)
	}
}

func TestVerifyIntact(t *testing.T) {
	l := newVerifyLog(t)
	var calls int
	r := l.verify(t, VerifyOptions{Progress: func(Progress) { calls++ }, ProgressEvery: 8})
	if !r.Intact || r.FirstBad != nil {
		t.Fatalf("intact log reported bad: %v", r.Problems)
	}
	if r.Events != 30 || r.Pebble.Events != 30 || r.JetStream.Events != 30 || r.Checkpoints != 3 {
		t.Errorf("report %+v", r)
	}
	if !bytes.Equal(r.Pebble.Root, r.JetStream.Root) || !bytes.Equal(r.Root, r.Pebble.Root) {
		t.Error("roots differ on an intact log")
	}
	if calls < 4 {
		t.Errorf("progress called %d times, want at least 4", calls)
	}
}

func TestVerifyPebbleByteFlipped(t *testing.T) {
	l := newVerifyLog(t)
	db := l.store.DB()
	key := eventKey(7)
	v, closer, err := db.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	val := bytes.Clone(v)
	closer.Close()
	i := bytes.Index(val, []byte(`{"n":`))
	val[i+5] ^= 1 // one payload digit
	if err := db.Set(key, val, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	r := l.verify(t, VerifyOptions{})
	wantBad(t, r, SourcePebble, 7, "stored hash does not match")
	if r.FirstBad.Aggregate != l.events[6].Aggregate().String() {
		t.Errorf("aggregate %q, want %q", r.FirstBad.Aggregate, l.events[6].Aggregate())
	}
}

// mutableCopy copies the ledger's stream, message for message at the same
// sequences, into a stream that allows deletes and purges (the ledger's
// own refuses both), and returns options that verify Pebble against it.
func (l *verifyLog) mutableCopy(t *testing.T) (jetstream.Stream, VerifyOptions) {
	t.Helper()
	name, prefix := l.rebuildStream(t, 20, l.messages())
	stream, err := l.store.JetStream().Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return stream, VerifyOptions{Stream: name, SubjectPrefix: prefix}
}

func TestVerifyJetStreamDeletedMessage(t *testing.T) {
	l := newVerifyLog(t)
	ctx := context.Background()
	stream, opts := l.mutableCopy(t)
	if err := stream.DeleteMsg(ctx, l.events[16].Seq); err != nil {
		t.Fatal(err)
	}
	r := l.verify(t, opts)
	wantBad(t, r, SourceJetStream, l.firstOfMessage(17), "missing from the stream")
}

func TestVerifyJetStreamPurgedSubject(t *testing.T) {
	l := newVerifyLog(t)
	ctx := context.Background()
	stream, opts := l.mutableCopy(t)
	agg := testAggregate(2)
	subj := eventstore.Subject(opts.SubjectPrefix, agg)
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
		t.Fatal(err)
	}
	var first uint64
	for _, e := range l.events {
		if e.Aggregate() == agg {
			first = e.Position
			break
		}
	}
	r := l.verify(t, opts)
	wantBad(t, r, SourceJetStream, first, "missing from the stream")
}

// The stream-file cases rebuild a second stream whose messages are the
// originals (re-encoded from the recorded events) with one changed,
// removed, reordered or inserted, and verify against that stream.
func TestVerifyRebuiltStreams(t *testing.T) {
	l := newVerifyLog(t)
	groups := l.messages()
	k := 6 // the message tampered with
	at := groups[k][0].Position
	forged := func(g []eventstore.Envelope) []eventstore.Envelope {
		c := append([]eventstore.Envelope(nil), g...)
		c[0].Payload = []byte(`{"n":12345}`)
		return c
	}
	tests := []struct {
		name   string
		build  func() [][]eventstore.Envelope
		wantAt uint64
		what   string
	}{
		{"unchanged", func() [][]eventstore.Envelope { return groups }, 0, ""},
		{"payload changed", func() [][]eventstore.Envelope {
			return replace(groups, k, forged(groups[k]))
		}, at, "does not decode or its hash does not match"},
		{"payload changed and resealed", func() [][]eventstore.Envelope {
			g := forged(groups[k])
			g[0].Seal()
			return replace(groups, k, g)
		}, at, "differs from the one the tree recorded"},
		{"removed", func() [][]eventstore.Envelope {
			return append(append([][]eventstore.Envelope{}, groups[:k]...), groups[k+1:]...)
		}, at, "differs from the one the tree recorded"},
		{"reordered", func() [][]eventstore.Envelope {
			c := append([][]eventstore.Envelope{}, groups...)
			c[k], c[k+1] = c[k+1], c[k]
			return c
		}, at, "differs from the one the tree recorded"},
		{"inserted", func() [][]eventstore.Envelope {
			extra := forged(groups[k][:1])
			extra[0].CommandID, extra[0].EventID = "inserted", "01JINSERTED000000000000000"
			extra[0].Seal()
			c := append([][]eventstore.Envelope{}, groups[:k]...)
			c = append(c, extra)
			return append(c, groups[k:]...)
		}, at, "differs from the one the tree recorded"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, prefix := l.rebuildStream(t, i, tc.build())
			r := l.verify(t, VerifyOptions{Stream: name, SubjectPrefix: prefix, SkipPebble: true})
			if tc.wantAt == 0 {
				if !r.Intact || r.JetStream.Events != 30 {
					t.Fatalf("faithful rebuilt stream reported bad: %v", r.Problems)
				}
				return
			}
			wantBad(t, r, SourceJetStream, tc.wantAt, tc.what)
		})
	}
}

func replace(groups [][]eventstore.Envelope, k int, g []eventstore.Envelope) [][]eventstore.Envelope {
	c := append([][]eventstore.Envelope{}, groups...)
	c[k] = g
	return c
}

// messages groups the recorded events by the message that holds them.
func (l *verifyLog) messages() [][]eventstore.Envelope {
	var groups [][]eventstore.Envelope
	for i, e := range l.events {
		if i > 0 && e.Seq == l.events[i-1].Seq {
			groups[len(groups)-1] = append(groups[len(groups)-1], e)
			continue
		}
		groups = append(groups, []eventstore.Envelope{e})
	}
	return groups
}

func (l *verifyLog) rebuildStream(t *testing.T, i int, groups [][]eventstore.Envelope) (name, prefix string) {
	t.Helper()
	ctx := context.Background()
	name = "TAMPER" + string(rune('A'+i))
	prefix = "tamper" + string(rune('a'+i)) + ".ev"
	js := l.store.JetStream()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{prefix + ".>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if _, err := js.PublishMsg(ctx, eventstore.EncodeMessage(prefix, g)); err != nil {
			t.Fatal(err)
		}
	}
	return name, prefix
}

func TestVerifyCheckpoints(t *testing.T) {
	tests := []struct {
		name  string
		add   func(l *verifyLog) [][]byte
		at    uint64
		what  string
		extra bool // given as VerifyOptions.Checkpoints instead of stored
	}{
		{"forged root", func(l *verifyLog) [][]byte {
			return [][]byte{mustSign(t, l.signer, 15, bytes.Repeat([]byte{1}, 32))}
		}, 15, "root", false},
		{"tampered note", func(l *verifyLog) [][]byte {
			n, _ := l.tree.CheckpointAt(l.signer, 15)
			return [][]byte{bytes.Replace(n, []byte("\n15\n"), []byte("\n14\n"), 1)}
		}, 14, "invalid checkpoint", false},
		{"other key", func(l *verifyLog) [][]byte {
			other, _ := testKey(t, "ledger")
			n, _ := l.tree.CheckpointAt(other, 15)
			return [][]byte{n}
		}, 15, "invalid checkpoint", false},
		{"fork", func(l *verifyLog) [][]byte {
			root := bytes.Repeat([]byte{2}, 32)
			return [][]byte{mustSign(t, l.signer, 20, root)}
		}, 20, "fork", false},
		{"witnessed checkpoint beyond the log", func(l *verifyLog) [][]byte {
			return [][]byte{mustSign(t, l.signer, 31, bytes.Repeat([]byte{3}, 32))}
		}, 31, "truncated", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newVerifyLog(t)
			notes := tc.add(l)
			var opts VerifyOptions
			if tc.extra {
				opts.Checkpoints = notes
			} else {
				for _, n := range notes {
					if err := l.tree.StoreCheckpoint(n); err != nil {
						t.Fatal(err)
					}
				}
			}
			r := l.verify(t, opts)
			if r.FirstBad == nil || r.FirstBad.Position != tc.at || r.FirstBad.Source != SourceCheckpoint || !anyWhat(r, tc.what) {
				t.Fatalf("got %v, want checkpoint problem at %d mentioning %q", r.Problems, tc.at, tc.what)
			}
		})
	}
}

func anyWhat(r Report, what string) bool {
	for _, p := range r.Problems {
		if strings.Contains(p.What, what) {
			return true
		}
	}
	return false
}

func TestVerifyTruncated(t *testing.T) {
	t.Run("pebble tail deleted", func(t *testing.T) {
		l := newVerifyLog(t)
		if err := l.store.DB().DeleteRange(eventKey(26), eventKey(31), pebble.Sync); err != nil {
			t.Fatal(err)
		}
		wantBad(t, l.verify(t, VerifyOptions{}), SourcePebble, 26, "truncated")
	})
	t.Run("jetstream tail deleted", func(t *testing.T) {
		l := newVerifyLog(t)
		ctx := context.Background()
		stream, opts := l.mutableCopy(t)
		first := l.firstOfMessage(28)
		for seq := l.events[first-1].Seq; seq <= l.events[29].Seq; seq++ {
			if err := stream.DeleteMsg(ctx, seq); err != nil {
				t.Fatal(err)
			}
		}
		wantBad(t, l.verify(t, opts), SourceJetStream, first, "truncated")
	})
	t.Run("pebble and tree rolled back", func(t *testing.T) {
		l := newVerifyLog(t)
		db := l.store.DB()
		b := db.NewBatch()
		_ = b.DeleteRange(eventKey(21), eventKey(31), nil)
		_ = b.Set(keyTreeSize, binary.BigEndian.AppendUint64(nil, 20), nil)
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
		r := l.verify(t, VerifyOptions{SkipJetStream: true})
		wantBad(t, r, SourceCheckpoint, 21, "truncated")
	})
}

// TestVerifyTreeNodeChanged: the stored nodes (16 leaves and up) are
// compared with the ones each copy of the log gives.
func TestVerifyTreeNodeChanged(t *testing.T) {
	// Node (4, 0) covers positions 1-16, the only one of 16 leaves or more
	// in a log of 30.
	key := nodeKey(nil, nodeID(4, 0))
	tests := []struct {
		name   string
		tamper func(db *pebble.DB) error
		what   string
	}{
		{"changed", func(db *pebble.DB) error { return db.Set(key, bytes.Repeat([]byte{9}, 32), pebble.Sync) },
			"stored tree node (level 4, index 0) over positions 1 to 16 differs"},
		{"deleted", func(db *pebble.DB) error { return db.Delete(key, pebble.Sync) },
			"stored tree node (level 4, index 0) over positions 1 to 16 is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newVerifyLog(t)
			if err := tc.tamper(l.store.DB()); err != nil {
				t.Fatal(err)
			}
			wantBad(t, l.verify(t, VerifyOptions{}), SourceTree, 16, tc.what)
		})
	}
}

// TestVerifyLowLevelsNotStored: the nodes below 16 leaves are not stored,
// so keys under them (left by the layout that stored every level) are
// never read and changing them changes nothing; an event changed in
// Pebble, with a hash that matches its new contents, is still found: by
// the stored node over it, and at its position by comparison with
// JetStream's copy (or, in the last tile, by JetStream's pass).
func TestVerifyLowLevelsNotStored(t *testing.T) {
	t.Run("low node keys ignored", func(t *testing.T) {
		l := newVerifyLog(t)
		root, _ := l.tree.Root(30)
		proof, _ := l.tree.InclusionProof(13, 30)
		for _, id := range []compact.NodeID{nodeID(0, 13), nodeID(1, 6), nodeID(2, 3), nodeID(3, 1), nodeID(2, 6), nodeID(1, 14)} {
			if err := l.store.DB().Set(nodeKey(nil, id), bytes.Repeat([]byte{9}, 32), pebble.Sync); err != nil {
				t.Fatal(err)
			}
		}
		if r := l.verify(t, VerifyOptions{}); !r.Intact {
			t.Fatalf("garbage under unread low node keys reported: %v", r.Problems)
		}
		gotRoot, _ := l.tree.Root(30)
		gotProof, _ := l.tree.InclusionProof(13, 30)
		if !bytes.Equal(gotRoot, root) || !equalProofs(gotProof, proof) {
			t.Fatal("the root or a proof changed with the low node keys")
		}
	})
	t.Run("event resealed in pebble", func(t *testing.T) {
		l := newVerifyLog(t)
		const pos = 14
		resealEvent(t, l.store.DB(), pos)
		// JetStream's events give the stored node over it; Pebble's do
		// not, and are compared with JetStream's under that node.
		wantBad(t, l.verify(t, VerifyOptions{}), SourcePebble, pos, "differs from JetStream's event at this position")
		wantBad(t, l.verify(t, VerifyOptions{SkipJetStream: true}), SourceTree, 16,
			"stored tree node (level 4, index 0) over positions 1 to 16 differs from the one the pebble events give")
	})
	t.Run("event resealed in pebble's last tile", func(t *testing.T) {
		l := newVerifyLog(t)
		const pos = 30
		resealEvent(t, l.store.DB(), pos)
		wantBad(t, l.verify(t, VerifyOptions{}), SourceJetStream, pos, "differs from the one the tree recorded")
		// No stored node covers the last tile yet: Pebble alone is held
		// to the signed checkpoint of size 30.
		wantBad(t, l.verify(t, VerifyOptions{SkipJetStream: true}), SourceCheckpoint, 30, "checkpoint of size 30 has root")
	})
}

// resealEvent changes the payload of the event at pos in db and stores it
// with the hash of its new contents.
func resealEvent(t *testing.T, db *pebble.DB, pos uint64) {
	t.Helper()
	v, closer, err := db.Get(eventKey(pos))
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeStoredEvent(eventKey(pos), v)
	closer.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.Payload = []byte(`{"n":99999}`)
	e.Seal()
	if err := db.Set(eventKey(pos), storedForm(&e), pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyNamesEveryResealedPosition changes each event of the log in
// Pebble in turn, with a hash that matches its new contents, and checks
// that verify names exactly that position: under the stored node of 16 by
// comparing Pebble's events with JetStream's, after it (the last tile) by
// the JetStream pass's leaf comparison.
func TestVerifyNamesEveryResealedPosition(t *testing.T) {
	l := newVerifyLog(t)
	db := l.store.DB()
	for pos := uint64(1); pos <= 30; pos++ {
		v, closer, err := db.Get(eventKey(pos))
		if err != nil {
			t.Fatal(err)
		}
		original := bytes.Clone(v)
		closer.Close()
		resealEvent(t, db, pos)
		r := l.verify(t, VerifyOptions{})
		if pos <= 16 {
			wantBad(t, r, SourcePebble, pos, "differs from JetStream's event at this position")
			if r.Pebble.Events != pos-1 {
				t.Errorf("position %d: pebble events checked before the problem = %d", pos, r.Pebble.Events)
			}
		} else {
			wantBad(t, r, SourceJetStream, pos, "differs from the one the tree recorded")
			if r.JetStream.Events != pos-1 {
				t.Errorf("position %d: jetstream events checked before the problem = %d", pos, r.JetStream.Events)
			}
		}
		if err := db.Set(eventKey(pos), original, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if r := l.verify(t, VerifyOptions{}); !r.Intact {
		t.Fatalf("restored log reported bad: %v", r.Problems)
	}
}
