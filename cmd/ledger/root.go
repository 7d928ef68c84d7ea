package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/node"
)

// globals are the flags every subcommand shares.
type globals struct {
	dataDir     string
	natsURL     string
	natsListen  string
	compress    bool
	natsCreds   string
	logLevel    string
	jsonOut     bool
	memLimit    int // MiB; 0 leaves the runtime's default (or GOMEMLIMIT)
	maxStoreGiB int // the embedded JetStream's storage limit; 0: nats-server's default
}

// defaultMemoryLimitMiB is the soft memory limit a node runs under unless
// told otherwise: the garbage collector works harder as the heap nears it,
// so that the caches of NATS, Pebble and the command path, which all give
// memory back when collected, stay within about 1 GiB of resident memory.
const defaultMemoryLimitMiB = 768

// subcommands lists every command of ledger, in one place; each lives in
// a file of its own. Help lists them sorted by name.
func subcommands() []func(*globals) *cobra.Command {
	return []func(*globals) *cobra.Command{
		newServeCmd,
		newDemoCmd,
		newElectionCmd,
		newRegionsCmd,
		newConsultationCmd,
		newSupervisionCmd,
		newRawCmd,
		newQueryCmd,
		newTailCmd,
		newAuditCmd,
		newWitnessCmd,
		newTokenCmd,
		newNATSUserCmd,
		newBackupCmd,
		newRestoreCmd,
		newRebuildCmd,
		newBenchCmd,
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "ledger",
		Short: "Election and consultation ledger: committee elections, consultations and supervision, recorded as immutable events",
		Long: `ledger records committee elections (villagers' and residents' committees), community
consultations and supervision actions as immutable events on NATS JetStream, keeps a
durable indexed copy in Pebble, projects turnout, results and audit trails, and proves
with a Merkle tree and signed checkpoints that nothing was altered.

Start with:  ledger serve          (embedded NATS and Pebble under ./data)
             ledger demo           (records a generated province and prints its turnout)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data", envOr("LEDGER_DATA", "data"), "data directory (env LEDGER_DATA)")
	pf.StringVar(&g.natsURL, "nats-url", os.Getenv("LEDGER_NATS_URL"), "use an existing NATS server or cluster instead of the embedded one (env LEDGER_NATS_URL)")
	pf.StringVar(&g.natsCreds, "nats-creds", os.Getenv("LEDGER_NATS_CREDS"), "credentials file for --nats-url")
	pf.StringVar(&g.natsListen, "nats-listen", "", "open the embedded NATS client port at this address (127.0.0.1 unless a host is given); off by default")
	pf.BoolVar(&g.compress, "compress-stream", os.Getenv("LEDGER_COMPRESS_STREAM") == "1",
		"compress the JetStream stream's full blocks with S2: about a third of the disk, more CPU at scale (env LEDGER_COMPRESS_STREAM=1)")
	pf.IntVar(&g.maxStoreGiB, "jetstream-max-store-gib", 0,
		"the embedded JetStream's storage limit in GiB, counted before compression (0: three quarters of the disk space free at start)")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.IntVar(&g.memLimit, "memory-limit-mib", defaultMemoryLimitMiB,
		"soft memory limit of the process in MiB (the garbage collector's target; 0 for none; GOMEMLIMIT, when set, wins)")
	for _, sub := range subcommands() {
		root.AddCommand(sub(g))
	}
	root.SetErrPrefix("ledger:")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.memLimit < 0 {
			return usageError{errors.New("--memory-limit-mib must not be negative")}
		}
		if g.maxStoreGiB < 0 {
			return usageError{errors.New("--jetstream-max-store-gib must not be negative")}
		}
		if g.memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(int64(g.memLimit) << 20)
		}
		return nil
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// logger returns the structured logger the flags ask for, writing to stderr.
func (g *globals) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(g.logLevel)) // an unknown level means info
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// nodeConfig is the node configuration the flags describe.
func (g *globals) nodeConfig() node.Config {
	cfg := node.Config{DataDir: g.dataDir, NATSURL: g.natsURL, NATSListen: g.natsListen, CompressStream: g.compress,
		MaxStore: int64(g.maxStoreGiB) << 30, Logger: g.logger()}
	if g.natsCreds != "" {
		cfg.NATSOptions = append(cfg.NATSOptions, natsCreds(g.natsCreds))
	}
	return cfg
}

// usageError marks a command line the user got wrong (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode prints err and maps it to the process's exit code: 2 for
// usage, 3 for a refused command (a rule of the law, bad input, or a state
// that does not allow it), 4 for a concurrency conflict a retry can fix,
// 1 otherwise. The HTTP client commands map the server's answers the same
// way (see cli_api.go).
func exitCode(err error) int {
	fmt.Fprintln(os.Stderr, "ledger:", err)
	if errors.Is(err, eventstore.ErrStorageLimit) {
		fmt.Fprintln(os.Stderr, "ledger: JetStream 存储已达上限（按压缩前的大小计，默认为启动时磁盘剩余空间的四分之三）。"+
			"请释放磁盘空间后重试，或用 --jetstream-max-store-gib 调高上限。\n"+
			"ledger: JetStream's storage limit is reached (counted before compression; by default three quarters of the disk space free at start). "+
			"Free disk space and run again, or raise the limit with --jetstream-max-store-gib.")
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	if _, ok := domain.AsError(err); ok {
		return 3
	}
	if errors.Is(err, eventstore.ErrConflict) {
		return 4
	}
	if errors.Is(err, node.ErrInUse) {
		return 7
	}
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	return 1
}

// exitError asks for a specific exit code (for example 1 from audit verify
// when the log is not intact).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
