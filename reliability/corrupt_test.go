package reliability

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"ledger/node"
)

// TestPebbleCorruption: a flipped byte in a stored event of the node's
// Pebble copy is found by "ledger audit verify" (exit 1, naming the
// position); "ledger rebuild --from-jetstream" rebuilds the copy from the
// log of record; verify passes again and the log and Merkle root equal
// the ones before the damage.
func TestPebbleCorruption(t *testing.T) {
	data := t.TempDir()
	c := startServe(t, data)
	e := setupElection(t, c, 2, 200)
	for roll := 1; roll <= 20; roll++ {
		mustPost(t, c, "check_in", checkInAt, e.checkIn(roll))
	}
	c.stop(t)
	wantLog, wantRoot := logOf(t, data)
	const bad = 30
	corruptEvent(t, data, bad)
	out, code := runLedger(t, "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(out, "position 30") {
		t.Fatalf("verify of a corrupt copy: exit %d, want 1 naming position %d\n%s", code, bad, out)
	}
	t.Logf("verify found it: %s", lastLines(out, 2))
	if out, code := runLedger(t, "rebuild", "--from-jetstream", "--data", data); code != 0 {
		t.Fatalf("rebuild --from-jetstream: exit %d\n%s", code, out)
	}
	verify(t, data)
	gotLog, gotRoot := logOf(t, data)
	if !bytes.Equal(gotLog, wantLog) || !bytes.Equal(gotRoot, wantRoot) {
		t.Fatalf("the rebuilt copy differs: root %x, want %x", gotRoot, wantRoot)
	}
}

// corruptEvent flips one byte of the stored event at position ('e' and
// the position, big-endian, as eventstore/keys.go writes it).
func corruptEvent(t *testing.T, data string, position uint64) {
	t.Helper()
	db, err := pebble.Open(filepath.Join(data, "pebble"), &pebble.Options{Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := binary.BigEndian.AppendUint64([]byte{'e'}, position)
	v, closer, err := db.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Clone(v)
	closer.Close()
	damaged[len(damaged)/2] ^= 0x01
	if err := db.Set(key, damaged, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// logOf returns the event hashes of a stopped node's log, concatenated,
// and its Merkle root.
func logOf(t *testing.T, data string) (hashes, root []byte) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: data, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	<-n.Store.Ready()
	for from := uint64(1); ; {
		evs, err := n.Store.ReadLog(context.Background(), from, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			hashes = append(hashes, e.Hash[:]...)
		}
		from = evs[len(evs)-1].Position + 1
	}
	root, err = n.Tree.Root(n.Tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	return hashes, root
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
