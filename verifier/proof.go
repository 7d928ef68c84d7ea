package verifier

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"ledger/envelope"
)

// hasher is the RFC 6962 SHA-256 hasher of the ledger's tree.
var hasher = rfc6962.DefaultHasher

// LeafHash returns the RFC 6962 leaf hash of an event: SHA-256(0x00 ||
// event hash), where the event hash is the 32-byte SHA-256 of the event's
// canonical encoding.
func LeafHash(eventHash envelope.Hash) []byte {
	var buf [1 + sha256.Size]byte
	buf[0] = rfc6962.RFC6962LeafHashPrefix
	copy(buf[1:], eventHash[:])
	h := sha256.Sum256(buf[:])
	return h[:]
}

// VerifyInclusion checks that the event with hash h is leaf index of the
// tree that cp signs, by the inclusion proof p. Errors wrap ErrProof.
func VerifyInclusion(index uint64, cp Checkpoint, h envelope.Hash, p [][]byte) error {
	if index >= cp.Size {
		return fmt.Errorf("%w: leaf %d outside a tree of %d", ErrProof, index, cp.Size)
	}
	if err := proof.VerifyInclusion(hasher, index, cp.Size, LeafHash(h), p, cp.Root); err != nil {
		return fmt.Errorf("%w: %w", ErrProof, err)
	}
	return nil
}

// VerifyConsistency checks that the log at checkpoint newer extends the
// log at checkpoint older: both signed by v, older no larger than newer,
// and the proof valid between their roots. Equal sizes need an empty proof
// and equal roots; anything else is a fork.
func VerifyConsistency(v note.Verifier, older, newer []byte, p [][]byte) error {
	c1, err := ParseCheckpoint(older, v)
	if err != nil {
		return err
	}
	c2, err := ParseCheckpoint(newer, v)
	if err != nil {
		return err
	}
	return Consistent(c1, c2, p)
}

// Consistent checks the consistency proof p between two verified
// checkpoints, c1 the older. Errors wrap ErrProof.
func Consistent(c1, c2 Checkpoint, p [][]byte) error {
	if c1.Size > c2.Size {
		return fmt.Errorf("%w: older checkpoint has size %d > %d", ErrProof, c1.Size, c2.Size)
	}
	if c1.Size == c2.Size && !bytes.Equal(c1.Root, c2.Root) {
		return fmt.Errorf("%w: fork: two roots for size %d", ErrProof, c1.Size)
	}
	if err := proof.VerifyConsistency(hasher, c1.Size, c2.Size, p, c1.Root, c2.Root); err != nil {
		return fmt.Errorf("%w: %w", ErrProof, err)
	}
	return nil
}

// Receipt proves that one event is in the log: the event (in its wire
// form: hashes as hex text, payload as JSON), its leaf index
// (Position-1), a signed checkpoint whose tree contains it, and the
// inclusion proof of the leaf in that tree.
type Receipt struct {
	Event          envelope.Event `json:"event"`
	LeafIndex      uint64         `json:"leaf_index"`
	Checkpoint     string         `json:"checkpoint"`
	InclusionProof [][]byte       `json:"inclusion_proof"`
}

// VerifyReceipt checks a receipt with no access to the ledger: the
// checkpoint's signature by v, the event's hash against its contents, the
// leaf index against the event's position, and the inclusion proof against
// the checkpoint's root. It returns the verified checkpoint.
func VerifyReceipt(r Receipt, v note.Verifier) (Checkpoint, error) {
	cp, err := ParseCheckpoint([]byte(r.Checkpoint), v)
	if err != nil {
		return Checkpoint{}, err
	}
	e := r.Event.Envelope()
	if e.ComputeHash() != e.Hash {
		return cp, fmt.Errorf("%w: event hash does not match its contents", ErrForged)
	}
	if r.Event.Position != r.LeafIndex+1 {
		return cp, fmt.Errorf("%w: leaf index %d for position %d", ErrProof, r.LeafIndex, r.Event.Position)
	}
	if err := VerifyInclusion(r.LeafIndex, cp, e.Hash, r.InclusionProof); err != nil {
		return cp, err
	}
	return cp, nil
}
