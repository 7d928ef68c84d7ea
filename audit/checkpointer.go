package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/note"

	"ledger/verifier"
)

// DefaultCheckpointSubject is where checkpoints are published.
const DefaultCheckpointSubject = "ledger.checkpoint"

// CheckpointerConfig configures a Checkpointer. The zero value of every
// optional field means its default.
type CheckpointerConfig struct {
	Tree   *Tree       // required
	Signer note.Signer // required; its name is the checkpoint origin
	// Conn publishes each new checkpoint on Subject; nil: not published.
	Conn *nats.Conn
	// Subject defaults to DefaultCheckpointSubject.
	Subject string
	// Every signs after this many new events. Default 10,000.
	Every uint64
	// Interval signs new events at least this often. Default 10s.
	Interval time.Duration
	// Durable returns the last durable log position; checkpoints never
	// cover more. Default: the tree's committed size. Wire it to
	// eventstore.Store.Position so checkpoints only cover fsynced events.
	Durable func() uint64
	// Hold, when set, is asked before each signature: a non-nil error
	// (the node's two copies of the log disagree) means no checkpoint is
	// signed; SignNow returns ErrHeld wrapping it.
	Hold func() error
	// Poll is how often the event count is looked at. Default 100ms.
	Poll   time.Duration
	Logger *slog.Logger
}

// ErrHeld means a checkpoint was not signed because Hold said the log is
// not in a state to sign.
var ErrHeld = errors.New("audit: checkpoint held: the log's copies disagree")

// Checkpointer signs, stores and publishes checkpoints of a Tree every
// Every events or Interval, whichever comes first, and on demand.
// Its methods are safe for concurrent use.
type Checkpointer struct {
	cfg CheckpointerConfig

	mu     sync.Mutex // serializes signing
	signed uint64     // size of the last checkpoint signed
	at     time.Time
}

// NewCheckpointer returns a Checkpointer; start it with Run or Start.
func NewCheckpointer(cfg CheckpointerConfig) (*Checkpointer, error) {
	if cfg.Tree == nil || cfg.Signer == nil {
		return nil, errors.New("audit: checkpointer needs a tree and a signer")
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultCheckpointSubject
	}
	if cfg.Every == 0 {
		cfg.Every = 10_000
	}
	if cfg.Interval == 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.Durable == nil {
		cfg.Durable = cfg.Tree.Size
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checkpointer{cfg: cfg, at: time.Now()}
	if latest, err := cfg.Tree.LatestCheckpoint(); err == nil {
		if size, _, ok := verifier.ParseUnverified(latest); ok {
			c.signed = size
		}
	}
	return c, nil
}

// Run signs checkpoints until ctx ends, then returns ctx's error. A
// signing or storing error is logged and retried at the next tick.
func (c *Checkpointer) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if c.due() {
			if _, err := c.SignNow(ctx); err != nil {
				c.cfg.Logger.Error("checkpoint failed", "err", err)
			}
		}
	}
}

// Start runs the Checkpointer in a goroutine. The returned shutdown stops
// it and waits for it to end (or for its ctx to end).
func (c *Checkpointer) Start(ctx context.Context) (shutdown func(context.Context) error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	return func(wait context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-wait.Done():
			return wait.Err()
		}
	}
}

func (c *Checkpointer) due() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := c.size()
	if size <= c.signed {
		return false
	}
	return size-c.signed >= c.cfg.Every || time.Since(c.at) >= c.cfg.Interval
}

func (c *Checkpointer) size() uint64 { return min(c.cfg.Durable(), c.cfg.Tree.Size()) }

// SignNow signs a checkpoint of the current durable size, stores it
// durably and publishes it; it returns the signed note. When nothing new
// was recorded since the last checkpoint it returns that one again
// without publishing.
func (c *Checkpointer) SignNow(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg.Hold != nil {
		if err := c.cfg.Hold(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrHeld, err)
		}
	}
	size := c.size()
	if size == c.signed && size > 0 {
		if latest, err := c.cfg.Tree.LatestCheckpoint(); err == nil {
			return latest, nil
		}
	}
	n, err := c.cfg.Tree.CheckpointAt(c.cfg.Signer, size)
	if err != nil {
		return nil, err
	}
	if err := c.cfg.Tree.StoreCheckpoint(n); err != nil {
		return nil, err
	}
	c.signed, c.at = size, time.Now()
	if c.cfg.Conn != nil {
		if err := c.cfg.Conn.Publish(c.cfg.Subject, n); err != nil {
			return n, fmt.Errorf("audit: publish checkpoint: %w", err)
		}
	}
	c.cfg.Logger.Info("checkpoint signed", "size", size)
	return n, nil
}
