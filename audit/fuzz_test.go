package audit

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"ledger/verifier"
)

func FuzzParseCheckpoint(f *testing.F) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{42}, 64)), "ledger")
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	root := sha256.Sum256(nil)
	good, _ := SignCheckpoint(signer, 7, root[:])
	f.Add(good)
	f.Add(bytes.Replace(good, []byte("\n7\n"), []byte("\n8\n"), 1))
	f.Add([]byte("ledger\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— ledger abc\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := ParseCheckpoint(data, v)
		if err != nil {
			return
		}
		// Whatever passes re-encodes to exactly the signed body.
		again, err := SignCheckpoint(signer, cp.Size, cp.Root)
		if err != nil {
			t.Fatal(err)
		}
		n1, _ := note.Open(data, note.VerifierList(v))
		n2, _ := note.Open(again, note.VerifierList(v))
		if n1.Text != n2.Text || len(cp.Root) != 32 {
			t.Fatalf("accepted a non-canonical checkpoint %q", data)
		}
	})
}

func FuzzVerifyBundle(f *testing.F) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), "ledger")
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	events := sealedEvents(5, 2)
	leaves := leafHashes(events)
	root := naiveRoot(leaves)
	n, _ := SignCheckpoint(signer, 5, root)
	last := map[string]verifier.Head{}
	for _, e := range events {
		last[e.Aggregate().String()] = verifier.Head{Aggregate: e.Aggregate().String(), Version: e.Version, Position: e.Position, Hash: e.Hash}
	}
	heads, err := verifier.SignHeads(signer, verifier.Heads{Origin: "ledger", Size: 5, Root: root,
		Heads: []verifier.Head{last["election/e0"], last["election/e1"]}})
	if err != nil {
		f.Fatal(err)
	}
	b := &Bundle{Format: BundleFormat, VerifierKey: vkey, Checkpoint: string(n), Heads: string(heads)}
	for i := range events {
		b.Events = append(b.Events, BundleEvent{
			Position: events[i].Position, Canonical: events[i].AppendCanonical(nil), Hash: events[i].Hash.String(),
			InclusionProof: inclusionFromScratch(leaves, uint64(i)),
		})
	}
	good, _ := b.Marshal()
	if r, err := VerifyBundle(good); err != nil || !r.Intact {
		f.Fatalf("seed bundle does not verify: %+v %v", r, err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"position": 2`), []byte(`"position": 3`), 1))
	f.Add([]byte(`{"format":"ledger-audit-bundle/v1"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := VerifyBundle(data)
		if err != nil || !r.Intact {
			return
		}
		// An intact bundle's every event is proven against its checkpoint.
		bb, err := ParseBundle(data)
		if err != nil {
			t.Fatalf("verified but does not parse: %v", err)
		}
		v, _ := NewVerifier(bb.VerifierKey)
		if _, err := verifier.ParseHeads([]byte(bb.Heads), v); err != nil {
			t.Fatalf("verified without valid heads: %v", err)
		}
		cp, err := ParseCheckpoint([]byte(bb.Checkpoint), v)
		if err != nil {
			t.Fatalf("verified with a bad checkpoint: %v", err)
		}
		for _, e := range bb.Events {
			h := sha256.Sum256(e.Canonical)
			if err := proof.VerifyInclusion(hasher, e.Position-1, cp.Size, hasher.HashLeaf(h[:]), e.InclusionProof, cp.Root); err != nil {
				t.Fatalf("verified an unproven event at %d: %v", e.Position, err)
			}
		}
	})
}

// inclusionFromScratch computes an RFC 6962 inclusion proof recursively
// (RFC 6962 section 2.1.1), independent of the tree code.
func inclusionFromScratch(leaves [][]byte, m uint64) [][]byte {
	n := uint64(len(leaves))
	if n <= 1 {
		return nil
	}
	k := uint64(1)
	for k*2 < n {
		k *= 2
	}
	if m < k {
		return append(inclusionFromScratch(leaves[:k], m), naiveRoot(leaves[k:]))
	}
	return append(inclusionFromScratch(leaves[k:], m-k), naiveRoot(leaves[:k]))
}
