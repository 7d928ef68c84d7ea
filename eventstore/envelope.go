package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// canonicalMagic starts the version 1 canonical encoding of an event.
const canonicalMagic = "ledger-event-v1\n"

// HashSize is the size of an event hash in bytes.
const HashSize = sha256.Size

// Hash is a SHA-256 event hash.
type Hash [HashSize]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return fmt.Sprintf("%x", h[:]) }

// Envelope is one recorded event with everything the ledger knows about it.
// Position and Seq are assigned by the log and are not covered by the hash.
type Envelope struct {
	EventID       string    `json:"event_id"`
	Type          string    `json:"type"`
	SchemaVersion int       `json:"schema_version"`
	AggregateKind string    `json:"aggregate_kind"`
	AggregateID   string    `json:"aggregate_id"`
	Version       uint64    `json:"version"`
	Region        string    `json:"region"`
	RecordedAt    time.Time `json:"recorded_at"`
	OccurredAt    time.Time `json:"occurred_at,omitzero"`
	Actor         string    `json:"actor,omitempty"`
	CommandID     string    `json:"command_id"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	Payload       []byte    `json:"payload"`
	PrevHash      Hash      `json:"prev_hash"`
	Hash          Hash      `json:"hash"`

	// Position is the event's 1-based place in the global log.
	Position uint64 `json:"position"`
	// Seq is the JetStream sequence of the message that holds the event.
	Seq uint64 `json:"seq"`
}

// Aggregate returns the aggregate the event belongs to.
func (e *Envelope) Aggregate() Aggregate {
	return Aggregate{Kind: e.AggregateKind, ID: e.AggregateID, Region: e.Region}
}

// AppendCanonical appends the version 1 canonical encoding of e (every
// field but Hash, Position and Seq) to dst.
func (e *Envelope) AppendCanonical(dst []byte) []byte {
	dst = append(dst, canonicalMagic...)
	dst = appendField(dst, e.EventID)
	dst = appendField(dst, e.Type)
	dst = appendUint(dst, uint64(e.SchemaVersion))
	dst = appendField(dst, e.AggregateKind)
	dst = appendField(dst, e.AggregateID)
	dst = appendUint(dst, e.Version)
	dst = appendField(dst, e.Region)
	dst = appendTime(dst, e.RecordedAt)
	dst = appendTime(dst, e.OccurredAt)
	dst = appendField(dst, e.Actor)
	dst = appendField(dst, e.CommandID)
	dst = appendField(dst, e.CorrelationID)
	dst = appendField(dst, e.CausationID)
	dst = appendBytes(dst, e.Payload)
	return appendBytes(dst, e.PrevHash[:])
}

// ComputeHash returns SHA-256 over the canonical encoding of e.
func (e *Envelope) ComputeHash() Hash {
	var buf [1024]byte
	return sha256.Sum256(e.AppendCanonical(buf[:0]))
}

// Seal sets e.Hash from its contents.
func (e *Envelope) Seal() { e.Hash = e.ComputeHash() }

// ErrCorrupt means stored or received bytes do not decode to a valid event,
// or an event's hash does not match its contents. Errors wrapping it say
// where.
var ErrCorrupt = errors.New("eventstore: corrupt event")

// DecodeCanonical parses a version 1 canonical encoding into e. It does not
// set Hash, Position or Seq.
func DecodeCanonical(b []byte, e *Envelope) error {
	if !bytes.HasPrefix(b, []byte(canonicalMagic)) {
		return fmt.Errorf("%w: unknown encoding", ErrCorrupt)
	}
	d := decoder{b: b[len(canonicalMagic):]}
	e.EventID = d.str()
	e.Type = d.str()
	e.SchemaVersion = int(d.uint())
	e.AggregateKind = d.str()
	e.AggregateID = d.str()
	e.Version = d.uint()
	e.Region = d.str()
	e.RecordedAt = d.time()
	e.OccurredAt = d.time()
	e.Actor = d.str()
	e.CommandID = d.str()
	e.CorrelationID = d.str()
	e.CausationID = d.str()
	e.Payload = d.bytes()
	prev := d.bytes()
	if d.err == nil && len(prev) != HashSize {
		d.err = errors.New("previous hash is not 32 bytes")
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("trailing bytes")
	}
	if d.err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, d.err)
	}
	copy(e.PrevHash[:], prev)
	return nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendField(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	return appendBytes(dst, strconv.AppendUint(buf[:0], v, 10))
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return appendField(dst, "")
	}
	var buf [40]byte
	return appendBytes(dst, t.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
}

// decoder reads length-prefixed fields; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) bytes() []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.err = errors.New("bad field length")
		return nil
	}
	v := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) uint() uint64 {
	s := d.bytes()
	if d.err != nil {
		return 0
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil {
		d.err = fmt.Errorf("bad number %q", s)
	}
	return v
}

func (d *decoder) time() time.Time {
	s := d.bytes()
	if d.err != nil || len(s) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		d.err = fmt.Errorf("bad time %q", s)
	}
	return t.UTC()
}

// Stored form in Pebble: canonical encoding, then the 32-byte hash, then the
// message sequence as 8 bytes big-endian.

func encodeStored(e *Envelope, dst []byte) []byte {
	dst = e.AppendCanonical(dst)
	dst = append(dst, e.Hash[:]...)
	return binary.BigEndian.AppendUint64(dst, e.Seq)
}

// decodeStored parses the stored form, checks the hash, and sets pos.
func decodeStored(b []byte, pos uint64, e *Envelope) error {
	if len(b) < HashSize+8 {
		return &CorruptError{Position: pos, Reason: "value too short"}
	}
	body := b[:len(b)-HashSize-8]
	if err := DecodeCanonical(body, e); err != nil {
		return &CorruptError{Position: pos, Reason: err.Error()}
	}
	copy(e.Hash[:], b[len(body):])
	if sha256.Sum256(body) != e.Hash {
		return &CorruptError{Position: pos, Reason: "hash does not match contents"}
	}
	e.Seq = binary.BigEndian.Uint64(b[len(b)-8:])
	e.Position = pos
	e.Payload = bytes.Clone(e.Payload)
	return nil
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
