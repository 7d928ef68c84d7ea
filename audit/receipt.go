package audit

import (
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"ledger/envelope"
	"ledger/eventstore"
	"ledger/verifier"
)

// ErrProof means an inclusion or consistency proof does not verify
// (verifier.ErrProof).
var ErrProof = verifier.ErrProof

// EventReader finds a recorded event by its ID; *eventstore.Store is one.
type EventReader interface {
	EventByID(id string) (eventstore.Envelope, error)
}

// Receipt proves that one event is in the log (verifier.Receipt).
type Receipt = verifier.Receipt

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
	size, _, ok := verifier.ParseUnverified(latest)
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

// VerifyReceipt checks a receipt with no access to the ledger
// (verifier.VerifyReceipt).
func VerifyReceipt(r Receipt, v note.Verifier) (Checkpoint, error) {
	return verifier.VerifyReceipt(r, v)
}

// CheckpointConsistency returns the consistency proof between two signed
// checkpoints of this tree (in either order).
func (t *Tree) CheckpointConsistency(a, b []byte) ([][]byte, error) {
	s1, _, ok1 := verifier.ParseUnverified(a)
	s2, _, ok2 := verifier.ParseUnverified(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: malformed note", ErrCheckpoint)
	}
	return t.ConsistencyProof(min(s1, s2), max(s1, s2))
}

// VerifyConsistency checks that the log at checkpoint newer extends the
// log at checkpoint older (verifier.VerifyConsistency).
func VerifyConsistency(v note.Verifier, older, newer []byte, p [][]byte) error {
	return verifier.VerifyConsistency(v, older, newer, p)
}
