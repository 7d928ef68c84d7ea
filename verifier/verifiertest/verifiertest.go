// Package verifiertest builds signed audit bundles for tests of code that
// verifies them, with no ledger: events sealed in memory, an RFC 6962
// tree of their hashes and a checkpoint signed by a fresh key.
package verifiertest

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"ledger/envelope"
	"ledger/verifier"
)

// Bundle returns a complete bundle of n events (n > 0; one aggregate,
// versions 1 to n) against a checkpoint of exactly those events, with
// its signed heads, and the verifier key that signed both.
func Bundle(t testing.TB, n int) (*verifier.Bundle, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "ledger-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	tree := testonly.New(rfc6962.DefaultHasher)
	events := make([]envelope.Envelope, n)
	var prev envelope.Hash
	for i := range events {
		e := &events[i]
		*e = envelope.Envelope{EventID: "01J00000000000000000000" + string(rune('A'+i%26)) + "EV", Type: "test.happened",
			SchemaVersion: 1, AggregateKind: "station", AggregateID: "01J0000000000000000000000S", Version: uint64(i + 1),
			Region: "220102001001", RecordedAt: time.Unix(1_780_000_000+int64(i), 0).UTC(), CommandID: "01J0000000000000000000000C",
			Payload: []byte(`{"n":1}`), PrevHash: prev, Position: uint64(i + 1)}
		e.Seal()
		prev = e.Hash
		tree.Append(verifier.LeafHash(e.Hash))
	}
	body := verifier.MarshalBody(signer.Name(), tree.Size(), tree.Hash())
	signed, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	last := events[n-1]
	heads, err := verifier.SignHeads(signer, verifier.Heads{Origin: signer.Name(), Size: tree.Size(), Root: tree.Hash(),
		Selection: "test", Heads: []verifier.Head{{Aggregate: last.Aggregate().String(), Version: last.Version, Position: last.Position, Hash: last.Hash}}})
	if err != nil {
		t.Fatal(err)
	}
	b := &verifier.Bundle{Format: verifier.BundleFormat, VerifierKey: vkey, Checkpoint: string(signed), Heads: string(heads)}
	for i := range events {
		p, err := tree.InclusionProof(uint64(i), tree.Size())
		if err != nil {
			t.Fatal(err)
		}
		b.Events = append(b.Events, verifier.BundleEvent{Position: events[i].Position,
			Canonical: events[i].AppendCanonical(nil), Hash: events[i].Hash.String(), InclusionProof: p})
	}
	return b, vkey
}
