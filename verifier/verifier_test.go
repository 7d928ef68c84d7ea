package verifier_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	tlog "github.com/transparency-dev/formats/log"

	"ledger/verifier"
	"ledger/verifier/verifiertest"
)

// TestDependencies: an inspection team's verifier needs the standard
// library, the envelope package, a Merkle library and a signed-note
// library only; no NATS, no Pebble, nothing else of the ledger.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "ledger/verifier").Output()
	if err != nil {
		t.Skipf("go list is not available here: %v", err)
	}
	allowed := []string{"ledger/verifier", "ledger/envelope", "github.com/transparency-dev/merkle", "golang.org/x/mod/sumdb/note"}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		if !strings.Contains(first, ".") && first != "ledger" {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || dep == a || strings.HasPrefix(dep, a+"/")
		}
		if !ok || strings.Contains(dep, "nats") || strings.Contains(dep, "pebble") {
			t.Errorf("verifier depends on %s", dep)
		}
	}
}

func TestVerifyBundle(t *testing.T) {
	b, vkey := verifiertest.Bundle(t, 7)
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := verifier.VerifyBundle(data, verifier.PinKey(vkey))
	if err != nil || len(res.Problems) != 0 || res.Events != 7 || res.Checkpoint.Size != 7 {
		t.Fatalf("good bundle: %+v, %v", res, err)
	}
	b.Events[3].Canonical[len(b.Events[3].Canonical)-40] ^= 1
	data, _ = json.Marshal(b)
	res, err = verifier.VerifyBundle(data)
	if err != nil || len(res.Problems) != 1 || res.Problems[0].Position != 4 {
		t.Fatalf("tampered event: %+v, %v; want one problem at position 4", res.Problems, err)
	}
	_, other := verifiertest.Bundle(t, 1)
	if _, err := verifier.VerifyBundle(data, verifier.PinKey(other)); !errors.Is(err, verifier.ErrCheckpoint) {
		t.Fatalf("pinned to another key: %v, want ErrCheckpoint", err)
	}
}

// TestCheckpointBodyMatchesC2SP: the body written and parsed by hand is
// the C2SP tlog-checkpoint body of transparency-dev/formats.
func TestCheckpointBodyMatchesC2SP(t *testing.T) {
	root := make([]byte, 32)
	root[5] = 9
	got := verifier.MarshalBody("ledger", 1234, root)
	want := tlog.Checkpoint{Origin: "ledger", Size: 1234, Hash: root}.Marshal()
	if string(got) != string(want) {
		t.Fatalf("body %q, want %q", got, want)
	}
	size, r, ok := verifier.ParseUnverified(append(got, "\n— ledger sig\n"...))
	if !ok || size != 1234 || string(r) != string(root) {
		t.Fatalf("unverified parse: %d %x %v", size, r, ok)
	}
}
