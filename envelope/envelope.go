package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// CanonicalMagic starts the version 1 canonical encoding of an event.
const CanonicalMagic = "ledger-event-v1\n"

// HashSize is the size of an event hash in bytes.
const HashSize = sha256.Size

// Hash is a SHA-256 event hash. Its text form (String, MarshalText, JSON)
// is 64 lower-case hexadecimal digits.
type Hash [HashSize]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText returns the hash in lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, h[:]), nil }

// UnmarshalText parses 64 hexadecimal digits (either case); anything else
// is an error wrapping ErrCorrupt.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*HashSize {
		return fmt.Errorf("%w: hash is %d characters, want %d hex digits", ErrCorrupt, len(b), 2*HashSize)
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return fmt.Errorf("%w: hash: %w", ErrCorrupt, err)
	}
	return nil
}

// ParseHash parses the text form of a hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}

// Aggregate names an aggregate: its kind, ID and region.
type Aggregate struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Region string `json:"region"`
}

// String returns "kind/id".
func (a Aggregate) String() string { return a.Kind + "/" + a.ID }

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
// field but Hash, Position and Seq) to dst: CanonicalMagic, then each
// field as a uvarint length and its bytes, numbers in decimal and times in
// RFC 3339 (UTC, nanoseconds; empty when zero).
func (e *Envelope) AppendCanonical(dst []byte) []byte {
	dst = append(dst, CanonicalMagic...)
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
// set Hash, Position or Seq. e's strings are copies; e.Payload aliases b.
func DecodeCanonical(b []byte, e *Envelope) error {
	if !bytes.HasPrefix(b, []byte(CanonicalMagic)) {
		return fmt.Errorf("%w: unknown encoding", ErrCorrupt)
	}
	d := decoder{b: b[len(CanonicalMagic):]}
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
