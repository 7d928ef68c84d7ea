package envelope

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// View is a version 1 canonical encoding split into its fields without
// copying: every slice aliases the bytes given to ParseView and is valid
// only as long as they are. Fields are read-only. Times and numbers are
// left as their text; use DecodeCanonical for a full Envelope.
type View struct {
	EventID, Type, SchemaVersion, AggregateKind, AggregateID []byte
	Version, Region, RecordedAt, OccurredAt                  []byte
	Actor, CommandID, CorrelationID, CausationID, Payload    []byte
	PrevHash                                                 []byte // HashSize bytes
}

// ParseView splits a canonical encoding into v without allocating. It
// checks the framing (magic, field lengths, a 32-byte previous hash, no
// trailing bytes), not the values; an error wraps ErrCorrupt.
func ParseView(b []byte, v *View) error {
	if len(b) < len(CanonicalMagic) || string(b[:len(CanonicalMagic)]) != CanonicalMagic {
		return fmt.Errorf("%w: unknown encoding", ErrCorrupt)
	}
	b = b[len(CanonicalMagic):]
	for _, f := range [...]*[]byte{&v.EventID, &v.Type, &v.SchemaVersion, &v.AggregateKind, &v.AggregateID,
		&v.Version, &v.Region, &v.RecordedAt, &v.OccurredAt, &v.Actor, &v.CommandID, &v.CorrelationID,
		&v.CausationID, &v.Payload, &v.PrevHash} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return fmt.Errorf("%w: bad field length", ErrCorrupt)
		}
		*f = b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
	}
	if len(v.PrevHash) != HashSize {
		return fmt.Errorf("%w: previous hash is not 32 bytes", ErrCorrupt)
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	return nil
}

// VersionNumber parses the aggregate version without allocating.
func (v *View) VersionNumber() (uint64, error) {
	n, err := strconv.ParseUint(string(v.Version), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", ErrCorrupt, v.Version)
	}
	return n, nil
}
