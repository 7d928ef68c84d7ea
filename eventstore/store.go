package eventstore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/internal/bounded"
)

// Config configures a Store. The zero value of every field means its default.
type Config struct {
	// Dir is the data directory: JetStream's store under Dir/jetstream (when
	// embedded) and Pebble under Dir/pebble.
	Dir string
	// NATSURL connects to an existing NATS server or cluster instead of
	// starting one in-process.
	NATSURL string
	// NATSOptions are extra options for the connection (credentials, TLS).
	NATSOptions []nats.Option
	// NATSListen is the client address of the embedded server, such as
	// "127.0.0.1:4222" or ":0" (loopback, random port). Empty: no client
	// port; only this process can reach the server.
	NATSListen string
	// ServerOptions, when set, are used as they are for the embedded server
	// (users, TLS); the store fills in JetStream and the store directory.
	ServerOptions *server.Options
	// Stream is the JetStream stream's name. Default "LEDGER".
	Stream string
	// SubjectPrefix starts every subject. Default "ledger.ev".
	SubjectPrefix string
	// Replicas of the stream. Default 1 embedded, 3 with NATSURL.
	Replicas int
	// DuplicateWindow is JetStream's deduplication window. Default 30s;
	// older retries are answered from Pebble's command index. The server
	// keeps every message ID of the window in its heap (about 160 bytes
	// each, with pointers the collector scans), so a longer window costs
	// memory and collector time in proportion to the write rate.
	DuplicateWindow time.Duration
	// MemoryStorage keeps the stream in memory (tests, benchmarks).
	MemoryStorage bool
	// Compress has nats-server compress each full block of the stream with
	// S2 (in the background, off the publish path): the headers and JSON
	// of a ledger's messages shrink to about a third on disk, and
	// consumers see the same messages. It costs CPU at scale: to check an
	// append's expected last subject sequence (on a shared stream, or for
	// a head read back) the server loads the aggregate's last message,
	// often from an older block, which it must first decompress. Off by
	// default.
	Compress bool
	// MaxStore is the embedded server's JetStream storage limit in bytes,
	// counted at the messages' size before compression. Default (0):
	// nats-server's, three quarters of the disk space free when it starts.
	// Past it appends fail with ErrStorageLimit.
	MaxStore int64
	// FS is Pebble's filesystem. Default: the disk. vfs.NewMem() in tests.
	FS vfs.FS
	// Appliers fold each ingested group of events into their own state in
	// the same Pebble batch.
	Appliers []Applier
	// Logger receives the store's structured logs. Default: discard.
	Logger *slog.Logger
	// HeadCache bounds how many aggregate heads are cached. Default 200,000.
	HeadCache int
	// Now is the clock for recorded-at. Default time.Now.
	Now func() time.Time
	// PublishTimeout bounds the wait for JetStream's acknowledgement of
	// one command (a server or leader lost mid-publish never answers).
	// After it the outcome is unknown: retry with the same command ID.
	// Default 10s.
	PublishTimeout time.Duration
	// SharedStream means other processes publish to the stream too (the
	// nodes of a cluster): ingest then reads every message from the
	// stream, this node's own included. Otherwise, once it has caught up,
	// ingest takes this node's own messages from their acknowledgements
	// and reads from the stream only what they skip over (see
	// Store.ingestOwn). Always true with NATSURL; with the embedded
	// server, false unless set.
	SharedStream bool
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = "LEDGER"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "ledger.ev"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if c.NATSURL != "" {
			c.Replicas = 3
		}
	}
	if c.NATSURL != "" {
		c.SharedStream = true
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HeadCache == 0 {
		c.HeadCache = 200_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 10 * time.Second
	}
}

// Applier folds newly ingested events into state it keeps in Pebble. Apply
// is called by the one ingest goroutine, in log order, with the batch that
// also holds the events themselves; its writes commit with them atomically.
// The batch is write-only (not indexed, so cheaper to fill): an Applier
// that reads its own state implements Binder and reads the database, which
// holds everything committed before this batch, and keeps what it wrote in
// this batch itself until the next Apply. An error stops ingest. The
// events slice is ingest's own and is reused: an Applier must not keep it,
// or pointers into it, after Apply returns (the strings and payloads the
// events refer to may be kept).
type Applier interface {
	Name() string
	Apply(b *pebble.Batch, events []Envelope) error
}

// Binder is an Applier that needs the node's database (to read its own
// state) before ingest starts. Open calls Bind once Pebble is open.
type Binder interface {
	Bind(db *pebble.DB) error
}

// Store is the event store: JetStream as the log of record, Pebble as the
// node's durable, indexed copy. Its methods are safe for concurrent use.
type Store struct {
	cfg    Config
	log    *slog.Logger
	ns     *server.Server // nil when connected to an external server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	db     *pebble.DB

	applied progress // what ingest has committed (not yet fsynced)
	durable progress // what is fsynced in Pebble
	ready   chan struct{}

	heads     *bounded.Map[string, head]      // appender side: the head each append follows
	chain     *bounded.Map[string, head]      // ingest side: the head each ingested event must follow
	group     map[string]head                 // ingest side: heads written in the batch being built
	runs      indexRuns                       // ingest side: index entries of the batch being built
	batch     *pebble.Batch                   // ingest side: the batch being built, reused from group to group
	idx       *pebble.Batch                   // ingest side: the batch's index entries, kept apart until the event IDs are in
	cmds      []command                       // ingest side: the batch's commands
	all       []Envelope                      // ingest side: the events of the batch being built
	recent    [1 << 14]atomic.Pointer[msgRef] // where recently ingested messages landed, by seq
	sent      sentMessages                    // published, not yet ingested: ingest need not decode them
	own       atomic.Bool                     // ingest takes this node's messages from their acknowledgements
	acked     chan decoded                    // those messages, from the publishers to ingest
	owning    chan struct{}                   // closed once own is set
	foreign   atomic.Bool                     // ingest met a message another process published
	stop      <-chan struct{}                 // closed by Close
	halted    chan struct{}                   // closed when ingest stops on an error
	readOnly  bool                            // opened by OpenReadOnly: nothing is written
	integrity atomic.Pointer[IntegrityError]  // the first disagreement the scrub found
	locks     [1024]sync.Mutex
	seed      maphash.Seed
	lastTime  atomic.Int64

	stats  Stats
	health health // what probeLoop learnt, for AppendCheck and IngestCheck
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error // the error that stopped ingest
}

// Stats are counters for metrics. Read them with Store.Stats.
type Stats struct {
	Appended    atomic.Uint64 // events appended by this node
	Conflicts   atomic.Uint64
	Duplicates  atomic.Uint64
	Ingested    atomic.Uint64 // events ingested
	Batches     atomic.Uint64 // ingest batches committed
	Syncs       atomic.Uint64 // fsyncs by the syncer
	SyncNanos   atomic.Uint64 // time the syncer's fsyncs took, in nanoseconds
	ChainBreaks atomic.Uint64 // events whose previous hash or version did not follow their aggregate's head
	BadMessages atomic.Uint64 // stream messages that did not decode
	// Undecoded counts events ingest took from this store's own
	// publishes, delivered back unchanged, instead of decoding them.
	Undecoded atomic.Uint64
	// FromAcks counts the events of those that ingest took from their
	// acknowledgements without reading the stream.
	FromAcks atomic.Uint64
	// Republished counts stream messages that repair put back from
	// Pebble's log at their positions, after the stream lost its tail (a
	// power loss, or its store files cut short): the history is whole
	// again, but an operator or an inspection team should know it happened.
	Republished atomic.Uint64
	// ScrubProblems counts disagreements the scrub found between the
	// stream and Pebble (at most one per start: the first is kept).
	ScrubProblems atomic.Uint64
	// Scrubbed counts events the scrub re-read from the stream and
	// compared with Pebble's.
	Scrubbed atomic.Uint64
}

// Open opens (or creates) the store, repairs a JetStream stream shorter
// than Pebble's log, and starts ingest. Close it to stop.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s := newStore(cfg)
	s.group = make(map[string]head, maxGroup)
	if err := s.open(ctx); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

// newStore sets up a Store's caches and positions for cfg (with its
// defaults); Open and OpenReadOnly then open its two copies.
func newStore(cfg Config) *Store {
	cfg.setDefaults()
	s := &Store{cfg: cfg, log: cfg.Logger, ready: make(chan struct{}), seed: maphash.MakeSeed()}
	s.heads = bounded.New[string, head](cfg.HeadCache)
	s.chain = bounded.New[string, head](cfg.HeadCache)
	s.applied.init()
	s.durable.init()
	return s
}

func (s *Store) open(ctx context.Context) error {
	if err := s.connect(); err != nil {
		return err
	}
	if err := s.ensureStream(ctx); err != nil {
		return err
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
	if err := s.repairStream(ctx, cp); err != nil {
		return err
	}
	return s.startIngest(cp)
}

func (s *Store) bindAppliers() error {
	for _, a := range s.cfg.Appliers {
		if b, ok := a.(Binder); ok {
			if err := b.Bind(s.db); err != nil {
				return fmt.Errorf("eventstore: bind %s: %w", a.Name(), err)
			}
		}
	}
	return nil
}

func (s *Store) connect() error {
	url := s.cfg.NATSURL
	// A server lost: try the others at once, and again every 250 ms
	// (nats.go's default waits 2 s between rounds).
	opts := append([]nats.Option{nats.Name("ledger"), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond), nats.ReconnectJitter(50*time.Millisecond, 50*time.Millisecond)},
		s.cfg.NATSOptions...)
	if url == "" {
		ns, err := startEmbedded(s.cfg)
		if err != nil {
			return err
		}
		s.ns = ns
		url = ns.ClientURL()
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("eventstore: connect to NATS: %w", err)
	}
	s.nc = nc
	s.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(16384), jetstream.WithPublishAsyncAckHandler(s.onAck),
		// An acknowledgement lost with a server is forgotten after this,
		// not kept pending for ever.
		jetstream.WithPublishAsyncTimeout(s.cfg.PublishTimeout))
	return err
}

func (s *Store) ensureStream(ctx context.Context) error {
	storage, compression := jetstream.FileStorage, jetstream.NoCompression
	if s.cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	} else if s.cfg.Compress {
		compression = jetstream.S2Compression
	}
	st, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        s.cfg.Stream,
		Description: "election and consultation ledger: the log of record",
		Subjects:    []string{s.cfg.SubjectPrefix + ".>"},
		Storage:     storage,
		Replicas:    s.cfg.Replicas,
		Retention:   jetstream.LimitsPolicy,
		// The log is immutable: JetStream refuses to delete or purge any
		// message, and refuses a later update that cancels either; no
		// roll-up header may purge a subject; no age or count limit
		// removes old messages, and a full store refuses new ones.
		Discard:           jetstream.DiscardNew,
		DenyDelete:        true,
		DenyPurge:         true,
		AllowRollup:       false,
		MaxAge:            0,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: -1,
		Duplicates:        s.cfg.DuplicateWindow,
		// No direct gets: on a replicated stream any replica answers them,
		// and one that lags would give a stale aggregate head. Head reads
		// go to the stream leader.
		AllowDirect: false,
		MaxMsgSize:  8 << 20,
		Compression: compression,
	})
	if hasAPICode(err, jsErrStreamInvalidConfig) {
		// An existing stream holds a setting JetStream will not switch
		// off (message TTLs, for one): it cannot be made immutable.
		return fmt.Errorf("eventstore: stream %s: %w: %w", s.cfg.Stream, ErrMutableStream, err)
	}
	if err != nil {
		return fmt.Errorf("eventstore: create stream %s: %w", s.cfg.Stream, err)
	}
	if err := CheckImmutable(st.CachedInfo().Config); err != nil {
		return fmt.Errorf("eventstore: stream %s: %w", s.cfg.Stream, err)
	}
	s.stream = st
	return nil
}

// jsErrStreamInvalidConfig is JetStream's code for a stream configuration
// it refuses, such as an update that would turn off a setting that cannot
// be turned off.
const jsErrStreamInvalidConfig jetstream.ErrorCode = 10052

// ErrMutableStream means the ledger's stream allows its messages to be
// removed or replaced, and JetStream refused to switch that off.
var ErrMutableStream = errors.New("eventstore: stream is not immutable")

// CheckImmutable returns ErrMutableStream, naming the first setting at
// fault, unless cfg describes a stream whose messages cannot be deleted,
// purged, rolled up, expired or discarded to make room.
func CheckImmutable(cfg jetstream.StreamConfig) error {
	checks := []struct {
		bad     bool
		setting string
	}{
		{!cfg.DenyDelete, "deny_delete must be true"},
		{!cfg.DenyPurge, "deny_purge must be true"},
		{cfg.AllowRollup, "allow_rollup_hdrs must be false"},
		{cfg.Discard != jetstream.DiscardNew, "discard must be new"},
		{cfg.MaxAge != 0, "max_age must be 0"},
		{cfg.MaxMsgs > 0, "max_msgs must be unlimited"},
		{cfg.MaxBytes > 0, "max_bytes must be unlimited"},
		{cfg.MaxMsgsPerSubject > 0, "max_msgs_per_subject must be unlimited"},
		{cfg.AllowMsgTTL, "allow_msg_ttl must be false"},
		{cfg.Retention != jetstream.LimitsPolicy, "retention must be limits"},
	}
	for _, c := range checks {
		if c.bad {
			return fmt.Errorf("%w: %s", ErrMutableStream, c.setting)
		}
	}
	return nil
}

func (s *Store) openPebble() error {
	db, err := openPebble(filepath.Join(s.cfg.Dir, PebbleDir), s.cfg.FS, s.readOnly)
	if err != nil {
		return fmt.Errorf("eventstore: open pebble: %w", err)
	}
	s.db = db
	if !s.readOnly {
		s.batch, s.idx = newIngestBatch(db), newIngestBatch(db)
	}
	return nil
}

func (s *Store) loadCheckpoint() (checkpoint, error) {
	v, closer, err := s.db.Get(keyIngest)
	if errors.Is(err, pebble.ErrNotFound) {
		return checkpoint{}, nil
	}
	if err != nil {
		return checkpoint{}, fmt.Errorf("eventstore: read checkpoint: %w", err)
	}
	defer closer.Close()
	return decodeCheckpoint(v), nil
}

// Close stops ingest, makes what was ingested durable, and closes Pebble,
// the connection and the embedded server. It returns the error that
// stopped ingest, if any.
func (s *Store) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.db != nil && !s.readOnly {
		_ = s.db.LogData(nil, pebble.Sync)
	}
	s.closeAll()
	return s.ingestErr()
}

func (s *Store) closeAll() {
	if s.idx != nil {
		_ = s.batch.Close()
		_ = s.idx.Close()
		s.batch, s.idx = nil, nil
	}
	if s.db != nil {
		_ = s.db.Close()
		s.db = nil
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
}

func (s *Store) ingestErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// DB returns the node's Pebble database, for read models and audit.
func (s *Store) DB() *pebble.DB { return s.db }

// JetStream returns the JetStream context the store uses.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Conn returns the store's NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// Server returns the embedded NATS server, or nil with an external one.
func (s *Store) Server() *server.Server { return s.ns }

// StreamName returns the JetStream stream's name.
func (s *Store) StreamName() string { return s.cfg.Stream }

// SubjectPrefix returns the prefix of every subject.
func (s *Store) SubjectPrefix() string { return s.cfg.SubjectPrefix }

// Stats returns the store's counters.
func (s *Store) Stats() *Stats { return &s.stats }

// Halted is closed when ingest stops on an error (Err returns it); nil
// for a store opened read-only, which never ingests.
func (s *Store) Halted() <-chan struct{} { return s.halted }

// Err returns the error that stopped ingest, or nil while it runs.
func (s *Store) Err() error { return s.ingestErr() }

// Ready is closed once ingest has caught up with the stream as it was at
// Open. Until then Append waits.
func (s *Store) Ready() <-chan struct{} { return s.ready }

// Position returns the last durable (fsynced) message sequence and event
// position.
func (s *Store) Position() (seq, position uint64) {
	cp := s.durable.get()
	return cp.Seq, cp.Position
}

// StreamLastSeq asks JetStream for the stream's last sequence.
func (s *Store) StreamLastSeq(ctx context.Context) (uint64, error) {
	if s.stream == nil {
		return 0, fmt.Errorf("%w: %s", ErrNoStream, s.cfg.Stream)
	}
	var info *jetstream.StreamInfo
	err := retry(ctx, natsAttempt, func(ctx context.Context) error {
		var err error
		info, err = s.stream.Info(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("eventstore: stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// CatchUp waits, at most max, until this node's Pebble holds every message
// the stream held when it was called. A lookup in Pebble's indexes made
// after it sees what JetStream had accepted by then.
func (s *Store) CatchUp(ctx context.Context, max time.Duration) error {
	last, err := s.StreamLastSeq(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	return s.waitSeq(ctx, last)
}

// WaitFor blocks until the event at position is durable in this node's
// Pebble (read-your-writes), or ctx ends.
func (s *Store) WaitFor(ctx context.Context, position uint64) error {
	return s.durable.wait(ctx, position, true, s.ingestErr)
}

func (s *Store) waitSeq(ctx context.Context, seq uint64) error {
	return s.durable.wait(ctx, seq, false, s.ingestErr)
}

// now returns recorded-at: the node's clock, made strictly increasing.
func (s *Store) now() time.Time {
	t := s.cfg.Now().UnixNano()
	for {
		last := s.lastTime.Load()
		if t <= last {
			t = last + 1
		}
		if s.lastTime.CompareAndSwap(last, t) {
			return time.Unix(0, t).UTC()
		}
	}
}

func (s *Store) lockFor(a Aggregate) *sync.Mutex {
	h := maphash.String(s.seed, a.Kind+"/"+a.ID)
	return &s.locks[h%uint64(len(s.locks))]
}

// quietLogger drops Pebble's informational logs but keeps fatal ones.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
