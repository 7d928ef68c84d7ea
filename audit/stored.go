package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"

	"ledger/eventstore"
)

// The event store keeps event at position p under 'e' p (8 bytes,
// big-endian) as its canonical encoding, then its 32-byte hash, then its
// JetStream message sequence (8 bytes, big-endian). See eventstore's
// envelope.go. audit reads that form directly to verify quickly.
const (
	prefixEvent   = 'e'
	storedTrailer = eventstore.HashSize + 8
)

func eventKey(pos uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixEvent
	binary.BigEndian.PutUint64(k[1:], pos)
	return k
}

// storedSeq returns the JetStream message sequence a stored event's value
// ends with (the caller checked that it holds a trailer).
func storedSeq(v []byte) uint64 { return binary.BigEndian.Uint64(v[len(v)-8:]) }

// splitStored splits a stored event's value into its canonical encoding
// and its hash; ok is false when it is too short to hold them.
func splitStored(v []byte) (body, hash []byte, ok bool) {
	if len(v) < storedTrailer {
		return nil, nil, false
	}
	n := len(v) - storedTrailer
	return v[:n], v[n : n+eventstore.HashSize], true
}

// decodeStoredEvent fully decodes a stored event and checks its hash.
func decodeStoredEvent(key, v []byte) (eventstore.Envelope, error) {
	var e eventstore.Envelope
	body, hash, ok := splitStored(v)
	if len(key) != 9 || !ok {
		return e, errors.New("audit: malformed stored event")
	}
	if err := eventstore.DecodeCanonical(body, &e); err != nil {
		return e, err
	}
	copy(e.Hash[:], hash)
	e.Seq = storedSeq(v)
	e.Position = binary.BigEndian.Uint64(key[1:])
	if sha256.Sum256(body) != e.Hash {
		return e, errors.New("audit: stored hash does not match contents")
	}
	e.Payload = append([]byte(nil), e.Payload...)
	return e, nil
}

// chainFields are the fields of a canonical encoding that the hash chain
// needs, sliced out of it without copying.
type chainFields struct {
	kind, id []byte
	version  uint64
	prev     []byte
}

// scanCanonical picks the chain fields out of a version 1 canonical
// encoding without allocating. ok is false on any malformation; callers
// then use eventstore.DecodeCanonical for the error.
func scanCanonical(b []byte) (f chainFields, ok bool) {
	const magic = "ledger-event-v1\n"
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return f, false
	}
	b = b[len(magic):]
	var field [15][]byte
	for i := range field {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return f, false
		}
		field[i] = b[k : k+int(n)]
		b = b[k+int(n):]
	}
	if len(b) != 0 || len(field[14]) != eventstore.HashSize {
		return f, false
	}
	v, err := strconv.ParseUint(string(field[5]), 10, 64) // does not allocate
	if err != nil {
		return f, false
	}
	return chainFields{kind: field[3], id: field[4], version: v, prev: field[14]}, true
}
