package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A node is fit to take writes only while it can append (JetStream's
// stream leader answers it) and its ingest moves (or has nothing to
// ingest): an append is acknowledged once ingest has made it durable. The
// store probes the stream every probeEvery and keeps what it learnt for
// the two checks a load balancer relies on (/readyz).
const (
	probeEvery = time.Second
	// appendStale: no answer from the stream's leader for this long means
	// appends would wait (two probes missed).
	appendStale = 3 * time.Second
	// ingestStale: ingest behind the stream and not moving for this long
	// is stuck (its consumer lost with a server, being re-created).
	ingestStale = 5 * time.Second
)

// health is what the probe learnt.
type health struct {
	mu         sync.Mutex
	answered   time.Time // the stream's leader last answered
	err        error     // why the last probe failed, nil when it did not
	streamLast uint64    // the stream's last sequence, as last seen
	durable    uint64    // ingest's durable sequence at the last probe
	moved      time.Time // ingest last moved, or was last found caught up
}

// probeLoop asks the stream's leader for the stream's state every
// probeEvery, each time with a deadline of its own, until ctx ends.
// startIngest probes once before it starts the loop.
func (s *Store) probeLoop(ctx context.Context) {
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.probe(ctx)
	}
}

func (s *Store) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, natsAttempt)
	info, err := s.stream.Info(pctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	durable := s.durable.get().Seq
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.answered, h.err = now, nil
		h.streamLast = max(h.streamLast, info.State.LastSeq)
	} else {
		h.err = err
	}
	if durable != h.durable || durable >= h.streamLast || h.moved.IsZero() {
		h.moved = now
	}
	h.durable = durable
}

// ErrNotReady is returned by AppendCheck and IngestCheck when the node is
// not fit to take writes; the error says why.
var ErrNotReady = errors.New("eventstore: not ready")

// AppendCheck returns nil while this node can append: ingest has not
// stopped, the connection to NATS is up and the stream's leader answered
// within the last 3 s. Otherwise it says why not (ErrNotReady).
func (s *Store) AppendCheck() error {
	if err := s.ingestErr(); err != nil {
		return fmt.Errorf("%w: ingest stopped, nothing is appended: %w", ErrNotReady, err)
	}
	if s.nc == nil || !s.nc.IsConnected() {
		return fmt.Errorf("%w: not connected to NATS (reconnecting)", ErrNotReady)
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if since := time.Since(h.answered); since > appendStale {
		if h.answered.IsZero() {
			return fmt.Errorf("%w: the stream's leader has not answered yet: %v", ErrNotReady, h.err)
		}
		return fmt.Errorf("%w: the stream's leader has not answered for %.0fs (%v): the stream may have no leader", ErrNotReady, since.Seconds(), h.err)
	}
	return nil
}

// IngestCheck returns nil while ingest has caught up with the stream as
// it was at Open and keeps up since: it has nothing left to ingest, or it
// moved within the last 5 s. Otherwise it says why not (ErrNotReady).
func (s *Store) IngestCheck() error {
	if err := s.ingestErr(); err != nil {
		return fmt.Errorf("%w: ingest stopped: %w", ErrNotReady, err)
	}
	durable := s.durable.get().Seq
	select {
	case <-s.ready:
	default:
		return fmt.Errorf("%w: catching up with the log (at message %d)", ErrNotReady, durable)
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if since := time.Since(h.moved); durable < h.streamLast && since > ingestStale {
		return fmt.Errorf("%w: ingest has not moved for %.0fs: at message %d, the stream holds %d", ErrNotReady, since.Seconds(), durable, h.streamLast)
	}
	return nil
}
