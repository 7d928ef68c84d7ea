package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/note"
)

func testKey(t testing.TB, origin string) (note.Signer, *Verifier) {
	t.Helper()
	s, v, err := LoadOrCreateKey(t.TempDir(), origin)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	s1, v1, err := LoadOrCreateKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, SignerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("signer key mode %o, want 600", got)
	}
	s2, v2, err := LoadOrCreateKey(dir, DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyHash() != s2.KeyHash() || v1.Key != v2.Key || s1.Name() != "ledger" {
		t.Error("second load returned another key")
	}
	if _, _, err := LoadOrCreateKey(dir, "other-origin"); err == nil {
		t.Error("loading the key under another origin succeeded")
	}
}

func TestParseCheckpointStrict(t *testing.T) {
	signer, v := testKey(t, "ledger")
	otherSigner, _ := testKey(t, "ledger")
	root := bytes.Repeat([]byte{7}, 32)
	good, err := SignCheckpoint(signer, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ParseCheckpoint(good, v)
	if err != nil || cp.Size != 42 || !bytes.Equal(cp.Root, root) || cp.Origin != "ledger" {
		t.Fatalf("good checkpoint: %+v, %v", cp, err)
	}
	signText := func(s note.Signer, text string) []byte {
		n, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	b64 := "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
	bad := map[string][]byte{
		"other key":          mustSign(t, otherSigner, 42, root),
		"extra line":         signText(signer, "ledger\n42\n"+b64+"\nextension\n"),
		"short root":         signText(signer, "ledger\n42\nBwcH\n"),
		"leading zero size":  signText(signer, "ledger\n042\n"+b64+"\n"),
		"plus sign size":     signText(signer, "ledger\n+42\n"+b64+"\n"),
		"size changed":       bytes.Replace(good, []byte("\n42\n"), []byte("\n43\n"), 1),
		"forged signature":   append(bytes.Clone(good[:len(good)-10]), []byte("AAAAAAAAA\n")...),
		"no signature":       []byte("ledger\n42\n" + b64 + "\n\n"),
		"empty":              nil,
		"wrong origin":       signText(mustNamed(t, "ledger"), "other\n42\n"+b64+"\n"),
		"non canonical b64":  signText(signer, "ledger\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd=\n"),
		"two trailing lines": signText(signer, "ledger\n42\n"+b64+"\n\n"),
	}
	for name, data := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCheckpoint(data, v); !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("accepted (err %v)", err)
			}
		})
	}
}

func mustSign(t testing.TB, s note.Signer, size uint64, root []byte) []byte {
	t.Helper()
	n, err := SignCheckpoint(s, size, root)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustNamed(t testing.TB, name string) note.Signer {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckpointerSignsStoresPublishes(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	signer, v := testKey(t, "ledger")
	sub, err := l.store.Conn().SubscribeSync(DefaultCheckpointSubject)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := NewCheckpointer(CheckpointerConfig{
		Tree: l.tree, Signer: signer, Conn: l.store.Conn(), Every: 5, Interval: time.Hour, Poll: 5 * time.Millisecond,
		Durable: func() uint64 { _, p := l.store.Position(); return p },
	})
	if err != nil {
		t.Fatal(err)
	}
	shutdown := cp.Start(context.Background())
	l.appendN(t, 6, 3)
	msg := waitMsg(t, sub)
	got, err := ParseCheckpoint(msg.Data, v)
	if err != nil {
		t.Fatalf("published checkpoint: %v", err)
	}
	if got.Size < 5 {
		t.Errorf("published checkpoint of size %d, want >= 5", got.Size)
	}
	l.appendN(t, 6, 3) // SignNow below then signs a larger tree than the one published
	now, err := cp.SignNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := ParseCheckpoint(now, v); c.Size != 12 {
		t.Errorf("SignNow size %d, want 12", c.Size)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	latest, err := l.tree.LatestCheckpoint()
	if err != nil || !bytes.Equal(latest, now) {
		t.Fatalf("latest stored checkpoint differs from SignNow's: %v", err)
	}
	stored, err := l.tree.Checkpoints(context.Background())
	if err != nil || len(stored) < 2 {
		t.Fatalf("stored checkpoints %d, %v; want at least 2", len(stored), err)
	}
	for i := 1; i < len(stored); i++ {
		p, err := l.tree.CheckpointConsistency(stored[i-1].Note, stored[i].Note)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(v, stored[i-1].Note, stored[i].Note, p); err != nil {
			t.Errorf("checkpoints %d and %d: %v", stored[i-1].Size, stored[i].Size, err)
		}
	}
}

func waitMsg(t testing.TB, sub *nats.Subscription) *nats.Msg {
	t.Helper()
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no checkpoint published: %v", err)
	}
	return m
}

func TestReceipts(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	signer, v := testKey(t, "ledger")
	l.appendN(t, 9, 2)
	events := l.allEvents(t)
	if _, err := l.tree.Receipt(l.store, events[0].EventID); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("receipt without checkpoint: %v, want ErrNoCheckpoint", err)
	}
	n, err := l.tree.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.tree.StoreCheckpoint(n); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		r, err := l.tree.Receipt(l.store, e.EventID)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(r)
		var back Receipt
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyReceipt(back, v); err != nil {
			t.Fatalf("receipt of position %d: %v", e.Position, err)
		}
	}
	r, _ := l.tree.Receipt(l.store, events[3].EventID)
	_, otherV := testKey(t, "ledger")
	wrongSize, _ := l.tree.InclusionProof(3, 8)
	otherLeaf, _ := l.tree.InclusionProof(4, 9)
	adversarial := map[string]func(r *Receipt){
		"flipped proof byte": func(r *Receipt) { r.InclusionProof[0] = flip(r.InclusionProof[0]) },
		"proof for size 8":   func(r *Receipt) { r.InclusionProof = wrongSize },
		"proof of leaf 5":    func(r *Receipt) { r.InclusionProof = otherLeaf },
		"proof shortened":    func(r *Receipt) { r.InclusionProof = r.InclusionProof[1:] },
		"proof lengthened":   func(r *Receipt) { r.InclusionProof = append(r.InclusionProof, r.InclusionProof[0]) },
		"payload changed":    func(r *Receipt) { r.Event.Payload = []byte(`{"n":999}`) },
		"payload resealed":   func(r *Receipt) { r.Event.Payload = []byte(`{"n":999}`); r.Event.Seal() },
		"leaf index moved":   func(r *Receipt) { r.LeafIndex++; r.Event.Position++ },
		"extra line":         func(r *Receipt) { r.Checkpoint = strings.Replace(r.Checkpoint, "\n\n", "\nx\n\n", 1) },
		"other verifier":     func(r *Receipt) {},
	}
	for name, mutate := range adversarial {
		t.Run(name, func(t *testing.T) {
			c := r
			c.InclusionProof = append([][]byte(nil), r.InclusionProof...)
			mutate(&c)
			vv := v
			if name == "other verifier" {
				vv = otherV
			}
			if _, err := VerifyReceipt(c, vv); err == nil {
				t.Fatal("adversarial receipt verified")
			}
		})
	}
}

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0x40
	return c
}

// TestCopyCheckpoints: the notes signed by the node's key are copied with
// their keys; a note signed by another key and a malformed one are left.
func TestCopyCheckpoints(t *testing.T) {
	ctx := context.Background()
	signer, v := testKey(t, DefaultOrigin)
	from, to := memDB(t), memDB(t)
	var want [][]byte
	for size := uint64(1); size <= 3; size++ {
		n, err := SignCheckpoint(signer, size, bytes.Repeat([]byte{byte(size)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if err := StoreCheckpoint(from, n); err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	other, err := SignCheckpoint(mustNamed(t, DefaultOrigin), 4, bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := StoreCheckpoint(from, other); err != nil {
		t.Fatal(err)
	}
	if err := from.Set(checkpointKey(5, bytes.Repeat([]byte{5}, 32)), []byte("not a note"), nil); err != nil {
		t.Fatal(err)
	}
	kept, left, err := CopyCheckpoints(ctx, from, to, v)
	if err != nil || kept != 3 || left != 2 {
		t.Fatalf("kept %d, left %d, err %v; want 3, 2", kept, left, err)
	}
	got, err := Checkpoints(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d checkpoints copied, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.Size != uint64(i+1) || !bytes.Equal(c.Note, want[i]) || !bytes.Equal(c.Root, bytes.Repeat([]byte{byte(i + 1)}, 32)) {
			t.Fatalf("checkpoint %d: size %d, note %q", i, c.Size, c.Note)
		}
	}
}
