// Package node wires one ledger node: the event store (embedded or
// external NATS, Pebble), the appliers that ingest feeds (read models, the
// Merkle tree), the command path, and the background work (checkpoint
// signing). The command line, the HTTP server and the tests build it the
// same way.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/note"

	"ledger/app"
	"ledger/audit"
	"ledger/eventstore"
	"ledger/natsusers"
	"ledger/projections"
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
	// Replicas of the stream when this node creates it, or Restore does
	// (eventstore.Config.Replicas). Default 1 embedded, 3 with NATSURL.
	Replicas int
	// NATSListen opens the embedded server's client port (loopback unless a host is given).
	NATSListen string
	// MemoryStorage keeps the stream in memory (tests).
	MemoryStorage bool
	// CompressStream has nats-server compress the stream's full blocks
	// with S2 (eventstore.Config.Compress): about a third of the disk, for
	// more CPU at scale. Off by default.
	CompressStream bool
	// MaxStore is the embedded JetStream's storage limit in bytes
	// (eventstore.Config.MaxStore). Default: three quarters of the disk
	// space free at start.
	MaxStore int64
	// Logger for structured logs. Default: discard.
	Logger *slog.Logger
	// CacheSize bounds the command path's state cache.
	CacheSize int
	// Origin names the log in its signed checkpoints. Default "ledger".
	Origin string
	// CheckpointEvery and CheckpointInterval: a checkpoint is signed after
	// this many events or this long, whichever comes first. Defaults
	// 10,000 and 10s.
	CheckpointEvery    uint64
	CheckpointInterval time.Duration
	// ScrubPeriod is how long the scrub's rolling re-read of the stream
	// takes to cover the whole log (eventstore.ScrubConfig.Period).
	// Default 24h. ScrubTick is how often it wakes; default 1s.
	ScrubPeriod, ScrubTick time.Duration
	// Offline opens the node for inspection only: no checkpoints are
	// signed in the background (audit commands on a stopped node's data).
	Offline bool
	// Witnesses are asked to cosign every checkpoint (NAME+HASH+KEY+URL,
	// see audit.ParseWitnessEndpoint); none: checkpoints are not cosigned.
	Witnesses []string
	// WitnessQuorum is how many witnesses must cosign. Default: a majority.
	WitnessQuorum int
	// WitnessBackoff is the longest wait before asking a failed witness
	// again. Default 30s.
	WitnessBackoff time.Duration
	// AllowFutureOccurredAt accepts occurred-at times in the future (a
	// scenario recorded with simulated dates). Off by default.
	AllowFutureOccurredAt bool
	// Edge is the edge ledger this node is (app.Config.Node, see package
	// edge): it records only the stations delegated to it. Empty: a hub
	// or a node without edges.
	Edge string
	// ConfigureServer adjusts the embedded nats-server's options before
	// it starts (a JetStream domain, leaf node links: package edge).
	ConfigureServer func(*server.Options) error
}

// Node is one running ledger node.
type Node struct {
	Config       Config
	Store        *eventstore.Store
	Ledger       *app.Ledger
	Tree         *audit.Tree
	Projections  *projections.Set
	Signer       note.Signer
	Verifier     *audit.Verifier
	Checkpointer *audit.Checkpointer
	// Cosigner gathers witness cosignatures; nil without witnesses.
	Cosigner *audit.Cosigner

	stopCheckpoints func(context.Context) error
	stopCosigner    func(context.Context) error
	stopScrub       func(context.Context) error
	lock            *dirLock // the data directory's lock, held until Close
}

// Open starts a node. Close it to stop.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	lock, err := lockDir(cfg.DataDir, commandName())
	if err != nil {
		return nil, err
	}
	n, err := open(ctx, cfg)
	if err != nil {
		lock.release()
		return nil, err
	}
	n.lock = lock
	return n, nil
}

func open(ctx context.Context, cfg Config) (*Node, error) {
	signer, verifier, err := audit.LoadOrCreateKey(cfg.DataDir, cfg.Origin)
	if err != nil {
		return nil, err
	}
	tree, err := audit.NewTree(nil)
	if err != nil {
		return nil, err
	}
	views := projections.New(projections.Options{Logger: cfg.Logger})
	var serverOpts *server.Options
	natsOpts := cfg.NATSOptions
	if cfg.NATSURL == "" && cfg.NATSListen != "" {
		so, own, err := natsusers.EmbeddedAuth(cfg.DataDir) // the ledger's user (full rights) + read-only downstream users
		if err != nil {
			return nil, err
		}
		serverOpts, natsOpts = so, append(own, cfg.NATSOptions...)
	}
	if cfg.NATSURL == "" && cfg.ConfigureServer != nil {
		if serverOpts == nil {
			serverOpts = &server.Options{}
		}
		if err := cfg.ConfigureServer(serverOpts); err != nil {
			return nil, err
		}
	}
	s, err := eventstore.Open(ctx, eventstore.Config{
		Dir: cfg.DataDir, NATSURL: cfg.NATSURL, NATSOptions: natsOpts, NATSListen: cfg.NATSListen,
		ServerOptions: serverOpts, Replicas: cfg.Replicas, MemoryStorage: cfg.MemoryStorage, Compress: cfg.CompressStream, MaxStore: cfg.MaxStore, Logger: cfg.Logger,
		Appliers: append(views.Appliers(), tree),
	})
	if err != nil {
		return nil, err
	}
	n := &Node{Config: cfg, Store: s, Tree: tree, Projections: views, Signer: signer, Verifier: verifier}
	maxFuture := time.Duration(0)
	if cfg.AllowFutureOccurredAt {
		maxFuture = -1
	}
	n.Ledger = app.New(s, app.Config{CacheSize: cfg.CacheSize, MaxFuture: maxFuture, Node: cfg.Edge})
	if err := n.startCheckpoints(); err != nil {
		s.Close()
		return nil, err
	}
	return n, nil
}

func (cfg *Config) setDefaults() error {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Origin == "" {
		cfg.Origin = "ledger"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return dataDirError(cfg.DataDir, "cannot create the data directory", "无法创建数据目录", err)
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	cfg.DataDir = dir
	if err := privateDataDir(dir, cfg.Logger); err != nil {
		return err
	}
	return writable(dir)
}

// probeSize is how much writable writes and fsyncs in the data directory
// at start: enough to find a full disk before the stores open.
const probeSize = 64 << 10

// writable fails, saying why, when nothing can be written in dir (a
// read-only or full filesystem, a file size limit, no permission), before
// any store is opened: it writes probeSize bytes, fsyncs them and removes
// the file.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return dataDirError(dir, "cannot write in the data directory", "数据目录不可写", err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, err = f.Write(make([]byte, probeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return dataDirError(dir, "cannot write in the data directory", "数据目录不可写", err)
	}
	return nil
}

// dataDirError names the cause of a failure to create or write in the
// data directory in words an operator acts on, in Chinese and English.
func dataDirError(dir, en, zh string, err error) error {
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("node: the data directory %s is on a read-only filesystem (数据目录只读): %w", dir, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return fmt.Errorf("node: %s %s: the disk is full or a file size limit is reached (%s：磁盘已满或超出文件大小限制): %w", en, dir, zh, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("node: %s %s: permission denied to this user (%s：无权限): %w", en, dir, zh, err)
	}
	return fmt.Errorf("node: %s %s (%s): %w", en, dir, zh, err)
}

func (n *Node) startCheckpoints() error {
	n.stopCheckpoints = func(context.Context) error { return nil }
	n.stopCosigner = func(context.Context) error { return nil }
	n.stopScrub = func(context.Context) error { return nil }
	if n.Config.Offline {
		return nil
	}
	cp, err := audit.NewCheckpointer(audit.CheckpointerConfig{
		Tree: n.Tree, Signer: n.Signer, Conn: n.Store.Conn(), Hold: n.Store.Integrity,
		Every: n.Config.CheckpointEvery, Interval: n.Config.CheckpointInterval, Logger: n.Config.Logger,
		Durable: func() uint64 { _, pos := n.Store.Position(); return pos },
	})
	if err != nil {
		return err
	}
	n.Checkpointer = cp
	n.stopScrub = n.Store.StartScrub(eventstore.ScrubConfig{Period: n.Config.ScrubPeriod, Tick: n.Config.ScrubTick})
	n.stopCheckpoints = cp.Start(context.Background())
	return n.startCosigner()
}

// startCosigner starts asking the configured witnesses for cosignatures.
func (n *Node) startCosigner() error {
	if len(n.Config.Witnesses) == 0 {
		return nil
	}
	eps := make([]audit.WitnessEndpoint, 0, len(n.Config.Witnesses))
	for _, w := range n.Config.Witnesses {
		ep, err := audit.ParseWitnessEndpoint(w)
		if err != nil {
			return err
		}
		eps = append(eps, ep)
	}
	c, err := audit.NewCosigner(audit.CosignerConfig{Tree: n.Tree, Witnesses: eps, Quorum: n.Config.WitnessQuorum,
		Conn: n.Store.Conn(), MaxBackoff: n.Config.WitnessBackoff, Logger: n.Config.Logger})
	if err != nil {
		return err
	}
	n.Cosigner = c
	n.stopCosigner = c.Start(context.Background())
	return nil
}

// ReadyCheck is one named condition of a node's readiness (/readyz).
// Check returns nil when it holds, or an error that says why not.
type ReadyCheck struct {
	Name  string
	Check func() error
}

// ReadyChecks are the node's readiness checks: "append" (the stream's
// leader answers, so commands can be recorded), "ingest" (caught up with
// the log and keeping up, so acknowledgements come), "integrity" (the
// scrub found the stream and Pebble in agreement:
// eventstore.Store.Integrity), and "witness_quorum" when witnesses are
// configured (the latest checkpoint has or can still get its quorum of
// cosignatures).
func (n *Node) ReadyChecks() []ReadyCheck {
	checks := []ReadyCheck{
		{Name: "append", Check: n.Store.AppendCheck},
		{Name: "ingest", Check: n.Store.IngestCheck},
		{Name: "integrity", Check: n.Store.Integrity},
	}
	if n.Cosigner != nil {
		checks = append(checks, ReadyCheck{Name: "witness_quorum", Check: n.Cosigner.Ready})
	}
	return checks
}

// Close signs a last checkpoint covering everything durable, stops the
// node and waits for its work to end.
func (n *Node) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last error
	if n.Checkpointer != nil {
		_, last = n.Checkpointer.SignNow(ctx)
	}
	if errors.Is(last, audit.ErrHeld) {
		last = nil // the scrub has reported why
	}
	var cosigner, scrub error
	if n.stopCosigner != nil {
		cosigner = n.stopCosigner(ctx)
	}
	if n.stopScrub != nil {
		scrub = n.stopScrub(ctx)
	}
	return errors.Join(last, n.stopCheckpoints(ctx), cosigner, scrub, n.Store.Close(), n.lock.release())
}

// Serving records in the data directory's lock the address the node
// serves HTTP on, so that an offline command refused because the node
// holds the directory can say where to ask instead.
func (n *Node) Serving(url string) error {
	if n.lock == nil {
		return nil
	}
	n.lock.holder.HTTP = url
	return n.lock.write()
}
