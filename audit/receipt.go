package audit

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"ledger/envelope"
	"ledger/eventstore"
)

// ErrProof means an inclusion or consistency proof does not verify.
var ErrProof = errors.New("audit: proof does not verify")

// EventReader finds a recorded event by its ID; *eventstore.Store is one.
type EventReader interface {
	EventByID(id string) (eventstore.Envelope, error)
}

// Receipt proves that one event is in the log: the event, its leaf index
// (Position-1), a signed checkpoint whose tree contains it, and the
// inclusion proof of the leaf in that tree. The event is in its wire form
// (hashes as hex text, payload as JSON).
type Receipt struct {
	Event          envelope.Event `json:"event"`
	LeafIndex      uint64         `json:"leaf_index"`
	Checkpoint     string         `json:"checkpoint"`
	InclusionProof [][]byte       `json:"inclusion_proof"`
}

// Receipt builds the receipt of an event against the latest stored
// checkpoint. If that checkpoint does not cover the event yet (or there is
// none) it returns ErrNoCheckpoint: sign one (Checkpointer.SignNow) and ask
// again.
func (t *Tree) Receipt(r EventReader, eventID string) (Receipt, error) {
	e, err := r.EventByID(eventID)
	if err != nil {
		return Receipt{}, err
	}
	latest, err := t.LatestCheckpoint()
	if err != nil {
		return Receipt{}, err
	}
	size, _, ok := parseUnverified(latest)
	if !ok {
		return Receipt{}, fmt.Errorf("%w: stored checkpoint is malformed", ErrCheckpoint)
	}
	if e.Position == 0 || e.Position > size {
		return Receipt{}, fmt.Errorf("%w: latest covers %d events, event is at position %d", ErrNoCheckpoint, size, e.Position)
	}
	p, err := t.InclusionProof(e.Position-1, size)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Event: envelope.EventOf(&e), LeafIndex: e.Position - 1, Checkpoint: string(latest), InclusionProof: p}, nil
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
	if err := verifyInclusion(r.LeafIndex, cp, r.Event.Hash, r.InclusionProof); err != nil {
		return cp, err
	}
	return cp, nil
}

func verifyInclusion(index uint64, cp Checkpoint, h eventstore.Hash, p [][]byte) error {
	if index >= cp.Size {
		return fmt.Errorf("%w: leaf %d outside a tree of %d", ErrProof, index, cp.Size)
	}
	if err := proof.VerifyInclusion(hasher, index, cp.Size, LeafHash(h), p, cp.Root); err != nil {
		return fmt.Errorf("%w: %w", ErrProof, err)
	}
	return nil
}

// CheckpointConsistency returns the consistency proof between two signed
// checkpoints of this tree (in either order).
func (t *Tree) CheckpointConsistency(a, b []byte) ([][]byte, error) {
	s1, _, ok1 := parseUnverified(a)
	s2, _, ok2 := parseUnverified(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: malformed note", ErrCheckpoint)
	}
	return t.ConsistencyProof(min(s1, s2), max(s1, s2))
}

// VerifyConsistency checks that the log at checkpoint newer extends the
// log at checkpoint older: both signed by v, older no larger than newer,
// and the proof (from Tree.ConsistencyProof) valid between their roots.
// Equal sizes need an empty proof and equal roots; anything else is a fork.
func VerifyConsistency(v note.Verifier, older, newer []byte, p [][]byte) error {
	c1, err := ParseCheckpoint(older, v)
	if err != nil {
		return err
	}
	c2, err := ParseCheckpoint(newer, v)
	if err != nil {
		return err
	}
	return verifyConsistent(c1, c2, p)
}

func verifyConsistent(c1, c2 Checkpoint, p [][]byte) error {
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
