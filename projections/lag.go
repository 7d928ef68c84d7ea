package projections

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"ledger/eventstore"
)

func slicesSort(s []string) { slices.Sort(s) }

// Lag is how far a read model is behind the log.
type Lag struct {
	Name          string  `json:"name"`
	Checkpoint    uint64  `json:"checkpoint"`     // last log position applied
	LogPosition   uint64  `json:"log_position"`   // last position in the log
	Behind        uint64  `json:"behind"`         // positions not yet applied
	SecondsBehind float64 `json:"seconds_behind"` // RecordedAt of the log's last event minus that of the last applied one
}

// Lags returns the lag of each read model of s, from committed state in db.
// Built live, read models commit with the events and are never behind;
// a read model added to an existing log is behind until it catches up.
func (s *Set) Lags(ctx context.Context, db pebble.Reader) ([]Lag, error) {
	last, err := eventstore.LogOf(db).LastPosition()
	if err != nil {
		return nil, err
	}
	var out []Lag
	for _, a := range s.appliers {
		l, err := lagOf(db, a.p, last)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func lagOf(db pebble.Reader, p projection, last uint64) (Lag, error) {
	l := Lag{Name: p.name(), LogPosition: last}
	v, closer, err := db.Get(checkpointKey(p.short()))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return l, err
	default:
		if len(v) == 8 {
			l.Checkpoint = binary.BigEndian.Uint64(v)
		}
		closer.Close()
	}
	if l.Checkpoint >= last {
		return l, nil
	}
	l.Behind = last - l.Checkpoint
	head, err := eventstore.LogOf(db).EventAt(last)
	if err != nil {
		return l, err
	}
	from := uint64(1)
	if l.Checkpoint > 0 {
		from = l.Checkpoint
	}
	applied, err := eventstore.LogOf(db).EventAt(from)
	if err != nil {
		return l, err
	}
	l.SecondsBehind = head.RecordedAt.Sub(applied.RecordedAt).Seconds()
	return l, nil
}
