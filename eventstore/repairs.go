package eventstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Repair is the record of one start-up repair: stream messages put back
// from Pebble's log at their positions, after the stream lost its tail.
// Each is kept durably in Pebble and listed by Repairs, so that verify and
// the audit page can show that the stream was refilled, when and how much.
type Repair struct {
	FromSeq       uint64    `json:"from_seq"`
	ToSeq         uint64    `json:"to_seq"`
	FromPosition  uint64    `json:"from_position"`
	ToPosition    uint64    `json:"to_position"`
	At            time.Time `json:"at"`
	Why           string    `json:"why"`
	StreamLastSeq uint64    `json:"stream_last_seq"` // the stream's last sequence before the repair
}

func (r Repair) String() string {
	return fmt.Sprintf("positions %d-%d (stream sequences %d-%d) republished from Pebble at start-up on %s: %s",
		r.FromPosition, r.ToPosition, r.FromSeq, r.ToSeq, r.At.Format(time.RFC3339), r.Why)
}

// repairKey is 'k' "repair" seq: one record per repair, by its first
// sequence.
func repairKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("krepair"), seq)
}

// recordRepair keeps r durably before anything is republished, so that a
// crash during the repair still leaves its record.
func (s *Store) recordRepair(r Repair) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.db.Set(repairKey(r.FromSeq), b, pebble.Sync); err != nil {
		return fmt.Errorf("eventstore: record repair: %w", err)
	}
	s.log.Warn("stream is shorter than pebble; republishing the tail", "repair", r.String())
	return nil
}

// Repairs lists the recorded start-up repairs, oldest first.
func (s *Store) Repairs() ([]Repair, error) { return ReadRepairs(s.db) }

// ReadRepairs lists the start-up repairs recorded in a node's database.
func ReadRepairs(r pebble.Reader) ([]Repair, error) {
	lo := []byte("krepair")
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: []byte("krepais")})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Repair
	for it.First(); it.Valid(); it.Next() {
		var rep Repair
		if err := json.Unmarshal(it.Value(), &rep); err != nil {
			return out, fmt.Errorf("eventstore: repair record: %w", err)
		}
		out = append(out, rep)
	}
	return out, it.Error()
}
