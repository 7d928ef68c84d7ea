package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/envelope"
)

// Log reads the stored log through a pebble.Reader (the DB, a snapshot or
// an indexed batch) for the packages that share the Pebble (read models
// applied in ingest's batch, the Merkle tree, the audit trail and history).
// It never writes. With ingest it is the only code that knows the key
// layout of keys.go and the stored form below. A Log is safe for
// concurrent use when its reader is.
type Log struct{ r pebble.Reader }

// LogOf returns the log as r holds it.
func LogOf(r pebble.Reader) Log { return Log{r: r} }

// Log returns the log as the store's Pebble holds it now.
func (s *Store) Log() Log { return Log{r: s.db} }

// Stored is one stored event, as kept under its position: the canonical
// encoding (what the hash covers), the hash and the JetStream sequence of
// its message. Canonical and Hash alias the Pebble value: they are valid
// only until the iterator moves or the value's closer is called.
type Stored struct {
	Position  uint64
	Seq       uint64
	Canonical []byte
	Hash      []byte // HashSize bytes
}

// storedTrailer is the hash and the 8-byte message sequence after the
// canonical encoding in a stored value.
const storedTrailer = HashSize + 8

// parseStored splits a stored value without copying.
func parseStored(pos uint64, v []byte) (Stored, error) {
	if len(v) < storedTrailer {
		return Stored{}, &CorruptError{Position: pos, Reason: "value too short"}
	}
	n := len(v) - storedTrailer
	return Stored{Position: pos, Seq: binary.BigEndian.Uint64(v[len(v)-8:]), Canonical: v[:n], Hash: v[n : n+HashSize]}, nil
}

// HashOK reports whether the stored hash is SHA-256 of the canonical
// encoding.
func (s *Stored) HashOK() bool { return sha256.Sum256(s.Canonical) == Hash(s.Hash) }

// View splits the canonical encoding into fields without copying (see
// envelope.View); the view aliases s.
func (s *Stored) View(v *envelope.View) error {
	if err := envelope.ParseView(s.Canonical, v); err != nil {
		return &CorruptError{Position: s.Position, Reason: err.Error()}
	}
	return nil
}

// Decode returns the event as an Envelope that owns its bytes, after
// checking its hash. A corrupt event is a *CorruptError.
func (s *Stored) Decode() (Envelope, error) {
	var e Envelope
	if err := DecodeCanonical(s.Canonical, &e); err != nil {
		return e, &CorruptError{Position: s.Position, Reason: err.Error()}
	}
	copy(e.Hash[:], s.Hash)
	if !s.HashOK() {
		return e, &CorruptError{Position: s.Position, Reason: "hash does not match contents"}
	}
	e.Seq, e.Position = s.Seq, s.Position
	e.Payload = bytes.Clone(e.Payload)
	return e, nil
}

// ScanStored calls fn for each stored event at positions [from, to) in
// order (to == 0: to the end), without copying: the Stored passed to fn is
// valid only during the call. It stops at the first error of fn, of ctx or
// of Pebble, and returns it. Gaps are not reported: compare Position with
// the one expected.
func (l Log) ScanStored(ctx context.Context, from, to uint64, fn func(*Stored) error) error {
	hi := []byte{prefixEvent + 1}
	if to != 0 {
		hi = eventKey(to)
	}
	it, err := l.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: eventKey(max(from, 1)), UpperBound: hi})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if err = ctx.Err(); err != nil {
			break
		}
		var s Stored
		if len(it.Key()) != 9 {
			err = fmt.Errorf("%w: event key %q", ErrCorrupt, it.Key())
			break
		}
		if s, err = parseStored(binary.BigEndian.Uint64(it.Key()[1:]), it.Value()); err != nil {
			break
		}
		if err = fn(&s); err != nil {
			break
		}
	}
	return errors.Join(err, it.Error(), it.Close())
}

// GetStored calls fn with the stored event at pos (valid during the call).
// A position not in the log is ErrNotFound.
func (l Log) GetStored(pos uint64, fn func(*Stored) error) error {
	v, closer, err := l.r.Get(eventKey(pos))
	if errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("%w: position %d", ErrNotFound, pos)
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	s, err := parseStored(pos, v)
	if err != nil {
		return err
	}
	return fn(&s)
}

// EventAt returns the event at pos, its hash checked. A position not in
// the log is ErrNotFound; a corrupt event a *CorruptError.
func (l Log) EventAt(pos uint64) (Envelope, error) {
	var e Envelope
	err := l.GetStored(pos, func(s *Stored) (err error) {
		e, err = s.Decode()
		return err
	})
	return e, err
}

// LastPosition returns the position of the last stored event, 0 when the
// log is empty.
func (l Log) LastPosition() (uint64, error) {
	it, err := l.r.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixEvent}, UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() || len(it.Key()) != 9 {
		return 0, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), nil
}

// AggregatePositions lists the positions of an aggregate's events within
// [lo, hi], ascending (versions and positions grow together).
func (l Log) AggregatePositions(ctx context.Context, kind, id string, lo, hi uint64) ([]uint64, error) {
	p := append(aggPrefix(prefixAggregate, kind, id), 0)
	it, err := l.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	for it.First(); it.Valid(); it.Next() {
		first, n, ok := AggregateRun(it.Value())
		if !ok {
			return nil, fmt.Errorf("%w: aggregate index of %s/%s", ErrCorrupt, kind, id)
		}
		for pos := max(first, lo); pos < first+n && pos <= hi; pos++ {
			out = append(out, pos)
		}
	}
	return out, it.Error()
}

// Index names a secondary index of the log.
type Index byte

// The indexes that IndexPositions reads.
const (
	ByRegion Index = prefixRegion // events by region code
	ByActor  Index = prefixActor  // events by actor
)

// IndexPositions lists positions within [lo, hi] under name in index x:
// with exact, that name only; else every name it prefixes (a city code
// selects its villages), name by name, so the result is ascending only per
// name. limit < 0 means no limit.
func (l Log) IndexPositions(ctx context.Context, x Index, name string, exact bool, lo, hi uint64, limit int) ([]uint64, error) {
	p := append([]byte{byte(x)}, name...)
	if exact {
		p = append(p, 0)
	}
	it, err := l.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: p, UpperBound: upperBound(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []uint64
	full := func() bool { return limit >= 0 && len(out) >= limit }
	for it.First(); it.Valid() && !full(); it.Next() {
		k := it.Key()
		n, ok := PositionRun(it.Value())
		if len(k) < 10 || k[len(k)-9] != 0 || !ok {
			continue
		}
		first := binary.BigEndian.Uint64(k[len(k)-8:])
		for pos := max(first, lo); pos < first+n && pos <= hi && !full(); pos++ {
			out = append(out, pos)
		}
	}
	return out, it.Error()
}

// FirstRecordedAtOrAfter returns the first position whose RecordedAt is
// not before t (last+1 if none), by binary search: the store makes
// RecordedAt strictly increasing along the log.
func (l Log) FirstRecordedAtOrAfter(t time.Time, last uint64) (uint64, error) {
	var ferr error
	n := sort.Search(int(last), func(i int) bool {
		e, err := l.EventAt(uint64(i) + 1)
		if err != nil {
			ferr = err
			return true
		}
		return !e.RecordedAt.Before(t)
	})
	return uint64(n) + 1, ferr
}

// upperBound returns the smallest key greater than every key with prefix p.
func upperBound(p []byte) []byte {
	u := bytes.Clone(p)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] < 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}
