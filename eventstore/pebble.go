package eventstore

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// PebbleDir is the name of the directory, under a node's data directory
// (and in a backup), that holds its Pebble copy.
const PebbleDir = "pebble"

// PebblePath returns the Pebble copy's directory under dataDir.
func PebblePath(dataDir string) string { return filepath.Join(dataDir, PebbleDir) }

// OpenPebble opens the Pebble copy at dir with the options the store uses
// (block cache, bloom filters, compaction shape), for tools that work on a
// stopped node's copy: rebuilding read models, backups, benchmarks. With
// readOnly nothing is written; otherwise dir must exist, so that a
// mistyped data directory is an error rather than a new empty copy. The
// caller closes the DB; Pebble's lock keeps a running node out.
func OpenPebble(dir string, readOnly bool) (*pebble.DB, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("eventstore: no Pebble copy at %s: %w", dir, err)
	}
	db, err := openPebble(dir, nil, readOnly)
	if err != nil {
		return nil, fmt.Errorf("eventstore: open pebble at %s: %w", dir, err)
	}
	return db, nil
}

// openPebble opens Pebble with the store's tuned options; fs nil is the
// disk.
func openPebble(dir string, fs vfs.FS, readOnly bool) (*pebble.DB, error) {
	// A 64 MiB block cache (Pebble's default is 8 MiB) keeps the read
	// models' and indexes' hot blocks in memory while ingest flushes and
	// compacts, so queries rarely wait on a read.
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	opts := &pebble.Options{FS: fs, Logger: quietLogger{}, MemTableSize: 32 << 20, Cache: cache, ReadOnly: readOnly}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10) // most index lookups miss (new command IDs)
	}
	// Most of Pebble's bytes are the events, which arrive in position
	// order, yet every flushed table also holds index entries and read
	// models, so it overlaps the whole base level and compactions rewrite
	// the events on their way down (docs/performance.md). A larger base
	// level and L0 compactions that wait for more sublevels rewrite them
	// fewer times; writes stop well above that.
	opts.LBaseMaxBytes = 256 << 20
	opts.L0CompactionThreshold = 8
	opts.L0StopWritesThreshold = 24
	// Without a DataCorruption listener Pebble calls Logger.Fatalf on a
	// checksum mismatch; with it the read returns the corruption error,
	// which callers report as corrupt_store (AsStoreDamage).
	opts.EventListener = &pebble.EventListener{DataCorruption: func(pebble.DataCorruptionInfo) {}}
	opts.EnsureDefaults()
	return pebble.Open(dir, opts)
}
