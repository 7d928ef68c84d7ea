package eventstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"ledger/envelope"
)

// The envelope, its canonical encoding and its hash are defined in package
// envelope; eventstore names them too, so that its API reads whole.

// HashSize is the size of an event hash in bytes.
const HashSize = envelope.HashSize

// Hash is a SHA-256 event hash (envelope.Hash).
type Hash = envelope.Hash

// Envelope is one recorded event (envelope.Envelope).
type Envelope = envelope.Envelope

// ErrCorrupt means stored or received bytes do not decode to a valid event,
// or an event's hash does not match its contents (envelope.ErrCorrupt).
var ErrCorrupt = envelope.ErrCorrupt

// DecodeCanonical parses a version 1 canonical encoding into e
// (envelope.DecodeCanonical).
func DecodeCanonical(b []byte, e *Envelope) error { return envelope.DecodeCanonical(b, e) }

// Stored form in Pebble: canonical encoding, then the 32-byte hash, then the
// message sequence as 8 bytes big-endian.

func encodeStored(e *Envelope, dst []byte) []byte {
	dst = e.AppendCanonical(dst)
	dst = append(dst, e.Hash[:]...)
	return binary.BigEndian.AppendUint64(dst, e.Seq)
}

// decodeStored parses the stored form, checks the hash, and sets pos.
func decodeStored(b []byte, pos uint64, e *Envelope) (err error) {
	s, err := parseStored(pos, b)
	if err != nil {
		return err
	}
	*e, err = s.Decode()
	return err
}

// CorruptError reports a corrupt event and its log position. It matches
// ErrCorrupt with errors.Is.
type CorruptError struct {
	Position uint64
	Reason   string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("eventstore: corrupt event at position %d: %s", e.Position, e.Reason)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// ErrChainBroken matches a ChainError.
var ErrChainBroken = errors.New("eventstore: hash chain broken")

// ChainError is an event in the log of record that does not follow its
// aggregate's previous event: its version is not the next one or its
// previous hash is not the previous event's hash. Ingest stops there.
type ChainError struct {
	Position    uint64 // the position the event would have had
	Seq         uint64 // its message's stream sequence
	Aggregate   string // kind/id
	Version     uint64
	HeadVersion uint64 // the aggregate's last good version
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("eventstore: position %d (message %d, %s version %d): does not follow version %d of its aggregate by previous hash (hash chain broken)",
		e.Position, e.Seq, e.Aggregate, e.Version, e.HeadVersion)
}

// Is reports whether target is ErrChainBroken.
func (e *ChainError) Is(target error) bool { return target == ErrChainBroken }
