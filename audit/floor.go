package audit

import (
	"context"
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// Reading is what ReadCopies read: each copy's events or messages and
// their bytes.
type Reading struct {
	PebbleEvents      uint64 `json:"pebble_events"`
	PebbleBytes       uint64 `json:"pebble_bytes"`
	JetStreamMessages uint64 `json:"jetstream_messages"`
	JetStreamBytes    uint64 `json:"jetstream_bytes"`
}

// ReadCopies reads both copies of the log the way Verify does, each
// concurrently with the other (Pebble's events from a snapshot, then every
// message of the stream from an ordered consumer with the same pull
// settings), and checks nothing: no decoding, no hashes, no tree. Its
// rate is the most Verify could reach on the machine, so that a
// benchmark can tell the time verification spends reading from the time
// it spends checking.
func ReadCopies(ctx context.Context, opts VerifyOptions) (Reading, error) {
	if err := opts.setDefaults(); err != nil {
		return Reading{}, err
	}
	var r Reading
	errs := make(chan error, 2)
	go func() { errs <- readPebbleCopy(ctx, opts.DB, &r) }()
	go func() {
		if opts.SkipJetStream {
			errs <- nil
			return
		}
		errs <- readStreamCopy(ctx, opts, &r)
	}()
	err := errors.Join(<-errs, <-errs)
	return r, err
}

func readPebbleCopy(ctx context.Context, db *pebble.DB, r *Reading) error {
	snap := db.NewSnapshot()
	defer snap.Close()
	it, err := snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixEvent}, UpperBound: []byte{prefixEvent + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		r.PebbleEvents++
		r.PebbleBytes += uint64(len(it.Value()))
	}
	return errors.Join(it.Error(), it.Close())
}

func readStreamCopy(ctx context.Context, opts VerifyOptions, r *Reading) error {
	msgs, err := readStream(ctx, opts)
	if err != nil || msgs == nil {
		return err
	}
	defer msgs.Stop()
	for {
		m, meta, err := nextMessage(ctx, msgs)
		if err != nil {
			return err
		}
		r.JetStreamMessages++
		r.JetStreamBytes += uint64(len(m.Data()))
		if meta.NumPending == 0 {
			return nil
		}
	}
}
