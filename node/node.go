// Package node wires one ledger node: the event store (embedded or
// external NATS, Pebble), the appliers that ingest feeds (read models, the
// Merkle tree), the command path, and the background work (checkpoint
// signing). The command line, the HTTP server and the tests build it the
// same way.
package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"ledger/app"
	"ledger/eventstore"
)

// Config configures a node; zero values mean defaults.
type Config struct {
	// DataDir holds JetStream's store (embedded), Pebble, keys and tokens.
	// Default "data" under the working directory.
	DataDir string
	// NATSURL uses an existing NATS server or cluster instead of the embedded one.
	NATSURL string
	// NATSOptions are extra connection options (credentials, TLS).
	NATSOptions []nats.Option
	// NATSListen opens the embedded server's client port (loopback unless a host is given).
	NATSListen string
	// MemoryStorage keeps the stream in memory (tests).
	MemoryStorage bool
	// Logger for structured logs. Default: discard.
	Logger *slog.Logger
	// CacheSize bounds the command path's state cache.
	CacheSize int
}

// Node is one running ledger node.
type Node struct {
	Config Config
	Store  *eventstore.Store
	Ledger *app.Ledger
}

// Open starts a node. Close it to stop.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = dir
	s, err := eventstore.Open(ctx, eventstore.Config{
		Dir: dir, NATSURL: cfg.NATSURL, NATSOptions: cfg.NATSOptions, NATSListen: cfg.NATSListen,
		MemoryStorage: cfg.MemoryStorage, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	n := &Node{Config: cfg, Store: s, Ledger: app.New(s, app.Config{CacheSize: cfg.CacheSize})}
	return n, nil
}

// Close stops the node and waits for its work to end.
func (n *Node) Close() error {
	return n.Store.Close()
}
