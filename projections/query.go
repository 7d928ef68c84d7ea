package projections

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
)

// ErrNotFound means the asked-for read model, region or row is not there.
var ErrNotFound = errors.New("projections: not found")

// Helpers shared by the query functions. Queries read committed Pebble
// state through a pebble.Reader (the store's DB, or a snapshot) and are
// safe for concurrent use with ingest.

// getVec reads a counter vector of at least width columns; a missing key
// reads as zeros.
func getVec(db pebble.Reader, k []byte, width int) ([]int64, error) {
	out := make([]int64, width)
	v, closer, err := db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return decodeVec(v, out)
}

func decodeVec(v []byte, out []int64) ([]int64, error) {
	if len(v)%8 != 0 {
		return nil, errBadValue
	}
	for i := 0; i < len(v)/8; i++ {
		if i < len(out) {
			out[i] = int64(binary.BigEndian.Uint64(v[8*i:]))
		}
	}
	return out, nil
}

// getJSON decodes the JSON value at k into v; found is false when absent.
func getJSON(db pebble.Reader, k []byte, v any) (found bool, err error) {
	b, closer, err := db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%w: %q: %w", errBadValue, k, err)
	}
	return true, nil
}

// getString reads a small string value; "" when absent.
func getString(db pebble.Reader, k []byte) (string, error) {
	b, closer, err := db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer closer.Close()
	return string(b), nil
}

// scan calls fn with each key (minus prefix) and value under prefix.
func scan(ctx context.Context, db pebble.Reader, prefix []byte, fn func(k, v []byte) error) error {
	it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: upperBound(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if err := fn(it.Key()[len(prefix):], it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// percent returns 100*n/d rounded to two decimals (0 when d is 0).
func percent(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n)*10000/float64(d)) / 100
}
