package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"ledger/audit"
	"ledger/eventstore"
	"ledger/projections"
)

// OpenReadOnly opens a data directory for inspection (verify, proof,
// replay, export) and writes nothing of the log: the event store is opened
// with eventstore.OpenReadOnly (no stream created, updated or repaired,
// no ingest, Pebble read-only), no key is created, no checkpoint signed.
// The node has no Ledger and no Signer. Verifier is nil when the data
// directory holds no verifier key. Close it to stop.
func OpenReadOnly(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir, cfg.Offline = dir, true
	var lock *dirLock
	if _, err := os.Stat(dir); err == nil {
		if lock, err = lockDir(dir, commandName()); err != nil {
			return nil, err
		}
	}
	n, err := openReadOnly(ctx, cfg)
	if err != nil {
		lock.release()
		return nil, err
	}
	n.lock = lock
	return n, nil
}

func openReadOnly(ctx context.Context, cfg Config) (*Node, error) {
	dir := cfg.DataDir
	v, err := loadVerifier(dir)
	if err != nil {
		return nil, err
	}
	tree, err := audit.NewTree(nil)
	if err != nil {
		return nil, err
	}
	views := projections.New(projections.Options{Logger: cfg.Logger})
	s, err := eventstore.OpenReadOnly(ctx, eventstore.Config{
		Dir: dir, NATSURL: cfg.NATSURL, NATSOptions: cfg.NATSOptions, MemoryStorage: cfg.MemoryStorage,
		Logger: cfg.Logger, Appliers: append(views.Appliers(), tree),
	})
	if err != nil {
		return nil, err
	}
	n := &Node{Config: cfg, Store: s, Tree: tree, Projections: views, Verifier: v}
	n.stopCheckpoints = func(context.Context) error { return nil }
	n.stopScrub = func(context.Context) error { return nil }
	n.stopCosigner = func(context.Context) error { return nil }
	return n, nil
}

// loadVerifier reads the checkpoint verifier key of dir; nil without one.
func loadVerifier(dir string) (*audit.Verifier, error) {
	b, err := os.ReadFile(filepath.Join(dir, audit.VerifierKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: checkpoint verifier key: %w", err)
	}
	return audit.NewVerifier(string(b))
}
