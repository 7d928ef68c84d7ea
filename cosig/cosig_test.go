package cosig_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"ledger/cosig"
)

func cosigner(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func TestCheckNamesMissingWitnesses(t *testing.T) {
	logSkey, _, err := note.GenerateKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _ := note.NewSigner(logSkey)
	a, akey := cosigner(t, "w.example/a")
	b, bkey := cosigner(t, "w.example/b")
	_, ckey := cosigner(t, "w.example/c")
	text := "example.com/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	signed, err := note.Sign(&note.Note{Text: text}, logSigner, a, b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cosig.NewPolicy([]string{akey, bkey, ckey}, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Check(signed)
	if err != nil || !r.Met() || len(r.Cosigned) != 2 || r.Missing[0] != "w.example/c" {
		t.Fatalf("2 of 3 with quorum 2: %+v, %v", r, err)
	}
	all, _ := cosig.NewPolicy([]string{akey, bkey, ckey}, 0)
	_, err = all.Check(signed)
	if !errors.Is(err, cosig.ErrQuorum) || !strings.Contains(err.Error(), "w.example/c") {
		t.Fatalf("quorum of all: %v, want ErrQuorum naming w.example/c", err)
	}
	// A cosignature over another body does not count.
	forged := strings.Replace(string(signed), "\n3\n", "\n4\n", 1)
	if r, _ := p.Check([]byte(forged)); len(r.Cosigned) != 0 {
		t.Fatalf("cosignatures counted over a changed body: %+v", r)
	}
	if _, err := cosig.NewPolicy([]string{akey}, 2); !errors.Is(err, cosig.ErrPolicy) {
		t.Fatalf("quorum above the witnesses: %v", err)
	}
	if _, err := cosig.NewPolicy([]string{akey, akey}, 1); !errors.Is(err, cosig.ErrPolicy) {
		t.Fatalf("one witness twice: %v", err)
	}
}
