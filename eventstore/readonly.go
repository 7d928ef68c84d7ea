package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrReadOnly is returned by Append and Submit on a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("eventstore: store opened read-only")

// ErrNoStream means the stream the configuration names does not exist.
var ErrNoStream = errors.New("eventstore: stream not found")

// OpenReadOnly opens the store for inspection and writes nothing of the
// log: it binds to the existing stream without creating or updating it,
// never republishes into it and never ingests from it, and opens Pebble
// with its ReadOnly option (nothing written, no WAL replayed to disk, no
// compaction). Append and Submit fail with ErrReadOnly. With the embedded
// server, nats-server itself starts over the data directory and may
// rewrite its own state files (index.db); it writes no message block.
//
// A stream that does not exist is not an error here: Stream reports
// ErrNoStream, and readers of the log decide what that means.
func OpenReadOnly(ctx context.Context, cfg Config) (*Store, error) {
	cfg.NATSListen = "" // nobody else reaches an inspection's server
	s := newStore(cfg)
	s.readOnly = true
	if err := s.openReadOnly(ctx); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Store) openReadOnly(ctx context.Context) error {
	if err := s.connect(); err != nil {
		return err
	}
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
	case err != nil:
		return fmt.Errorf("eventstore: stream %s: %w", s.cfg.Stream, err)
	default:
		s.stream = st
	}
	if err := s.openPebble(); err != nil {
		return err
	}
	if err := s.bindAppliers(); err != nil {
		return err
	}
	cp, err := s.loadCheckpoint()
	if err != nil {
		return err
	}
	s.applied.set(cp)
	s.durable.set(cp)
	close(s.ready)
	return nil
}

// ReadOnly reports whether the store was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Stream returns the bound JetStream stream, or ErrNoStream when a store
// opened read-only found none.
func (s *Store) Stream() (jetstream.Stream, error) {
	if s.stream == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoStream, s.cfg.Stream)
	}
	return s.stream, nil
}
