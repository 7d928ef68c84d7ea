package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ledger/audit"
	"ledger/domain"
	"ledger/envelope"
	"ledger/eventstore"
	"ledger/history"
	"ledger/node"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Prove the log: public key, receipts, verification, replay, bundles",
		Long: `audit works on a node's data directory (--data; stop "ledger serve" first, or use a copy
or a backup) and, for verify, on the JetStream stream too (--nats-url for a cluster).
verify-bundle needs neither: it checks an exported bundle on its own.`,
	}
	cmd.PersistentFlags().BoolVar(&g.jsonOut, "json", false, "print JSON for scripts")
	cmd.AddCommand(auditKeyCmd(g), auditProofCmd(g), auditVerifyCmd(g), auditReplayCmd(g),
		auditExportCmd(g), auditVerifyBundleCmd(g), auditCheckpointCmd(g), auditVerifyReceiptCmd(g), auditWitnessesCmd(g))
	return cmd
}

// openOffline opens the data directory for inspection (no background signing).
func openOffline(cmd *cobra.Command, g *globals) (*node.Node, error) {
	cfg := g.nodeConfig()
	cfg.Offline = true
	return node.Open(cmd.Context(), cfg)
}

// openReadOnly opens the data directory for an inspection that writes
// nothing of the log (node.OpenReadOnly): verify, proof, replay, export.
func openReadOnly(cmd *cobra.Command, g *globals) (*node.Node, error) {
	return node.OpenReadOnly(cmd.Context(), g.nodeConfig())
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func auditKeyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "key",
		Short: "Print the public key that verifies this ledger's signed checkpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, v, err := audit.LoadOrCreateKey(g.dataDir, "ledger")
			if err != nil {
				return err
			}
			if g.jsonOut {
				return printJSON(cmd.OutOrStdout(), map[string]string{"origin": v.Name(), "verifier_key": v.Key})
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), v.Key)
			return err
		},
	}
}

func auditCheckpointCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the log now and print it (C2SP tlog-checkpoint, signed note)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openOffline(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			cp, err := signLatest(cmd, n)
			if err != nil {
				return err
			}
			if g.jsonOut {
				return printJSON(cmd.OutOrStdout(), map[string]string{"checkpoint": string(cp)})
			}
			_, err = cmd.OutOrStdout().Write(cp)
			return err
		},
	}
}

// signLatest waits for ingest to catch up, then signs and stores a
// checkpoint of the whole log.
func signLatest(cmd *cobra.Command, n *node.Node) ([]byte, error) {
	select {
	case <-n.Store.Ready():
	case <-cmd.Context().Done():
		return nil, cmd.Context().Err()
	}
	cp, err := n.Tree.Checkpoint(n.Signer)
	if err != nil {
		return nil, err
	}
	return cp, n.Tree.StoreCheckpoint(cp)
}

func auditProofCmd(g *globals) *cobra.Command {
	var q quorumFlags
	cmd := &cobra.Command{
		Use:   "proof EVENT_ID",
		Short: "Print a receipt: the event, a signed checkpoint and the inclusion proof of the event in it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := q.policy(); err != nil {
				return err
			}
			n, err := openReadOnly(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			if n.Verifier == nil {
				return errNoVerifierKey
			}
			r, err := n.Tree.Receipt(n.Store, args[0])
			if errors.Is(err, audit.ErrNoCheckpoint) {
				return fmt.Errorf("%w (run \"ledger audit checkpoint\" first, or start the node: proof writes nothing)", err)
			}
			if err != nil {
				return err
			}
			cp, err := audit.VerifyReceipt(r, n.Verifier)
			if err != nil {
				return fmt.Errorf("the receipt does not verify: %w", err)
			}
			if g.jsonOut {
				// Not indented: indenting would rewrite the event's payload
				// and the receipt would no longer verify.
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				if _, err := cmd.OutOrStdout().Write(append(b, '\n')); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "event      %s  %s  %s/%s v%d\n", r.Event.EventID, r.Event.Type, r.Event.AggregateKind, r.Event.AggregateID, r.Event.Version)
				fmt.Fprintf(w, "position   %d (leaf %d)\nhash       %s\n", r.Event.Position, r.LeafIndex, r.Event.Hash)
				fmt.Fprintf(w, "proof      %d hashes, verified against the checkpoint below\n\n%s", len(r.InclusionProof), r.Checkpoint)
			}
			return q.check(cmd.ErrOrStderr(), false, fmt.Sprintf("the receipt's checkpoint of size %d", cp.Size), []byte(r.Checkpoint))
		},
	}
	q.add(cmd.Flags())
	return cmd
}

func auditVerifyCmd(g *globals) *cobra.Command {
	var witness []string
	var readOnly, deep bool
	var q quorumFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute hash chains and the Merkle tree from JetStream and from Pebble; check every checkpoint",
		Long: `verify reads the whole log twice, independently (from the JetStream stream and from
Pebble), recomputes every event hash, every aggregate's hash chain and the Merkle tree,
compares both with each other and with the stored tree, and checks every stored
checkpoint's signature and that all checkpoints are consistent with each other and
with the log. It opens both copies read-only and writes nothing: no stream is created,
updated or repaired (a stream shorter than Pebble is reported, with the positions it
lacks). Exit 0 when intact; exit 1 naming the first bad position otherwise.

--deep first reads every block of every Pebble table and checks its checksum, and
that every table the manifest lists is there; damage is reported as corrupt_store
with the file (exit 1). Damage met by plain verify is reported the same way,
never as a crash.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			defer func() {
				if r := recover(); r != nil { // Pebble met damage it did not expect
					err = exitError{code: 1, msg: fmt.Sprintf("corrupt_store: %s: reading it failed: %v; run ledger audit verify --deep to name the file, then ledger rebuild --from-jetstream", eventstore.PebblePath(g.dataDir), r)}
				}
			}()
			defer func() { err = eventstore.AsStoreDamage(err, g.dataDir) }()
			if _, _, err := q.policy(); err != nil {
				return err
			}
			if deep {
				if err := checkFiles(cmd, g); err != nil {
					return err
				}
			}
			n, err := openReadOnly(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			opts := audit.VerifyOptions{Store: n.Store}
			if n.Verifier != nil {
				opts.Verifier = n.Verifier
			}
			for _, f := range witness {
				b, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				opts.Checkpoints = append(opts.Checkpoints, b)
			}
			if readOnly {
				return reportReadOnly(cmd, g, opts)
			}
			bar := newBar(g, int64(n.Tree.Size()*2), "verifying")
			opts.Progress = progressTo(bar)
			start := time.Now()
			rep, err := audit.Verify(cmd.Context(), opts)
			_ = bar.Finish()
			if err != nil {
				return err
			}
			if err := reportVerify(cmd.OutOrStdout(), g.jsonOut, rep, time.Since(start)); err != nil {
				return err
			}
			return checkLatestQuorum(cmd, g, n, &q)
		},
	}
	q.add(cmd.Flags())
	cmd.Flags().StringSliceVar(&witness, "checkpoint", nil, "more checkpoint notes to check (files, e.g. from witnesses)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "read both copies as verify does and check nothing: how long reading alone takes, to tell a slow disk from slow checks")
	cmd.Flags().BoolVar(&deep, "deep", false, "also check the checksum of every block of every Pebble table, and that the manifest's tables are all there")
	return cmd
}

// checkFiles runs verify --deep's check of the Pebble copy's files: exit 1
// naming each damaged file as corrupt_store.
func checkFiles(cmd *cobra.Command, g *globals) error {
	start := time.Now()
	damage, err := eventstore.CheckFiles(cmd.Context(), g.dataDir)
	if err != nil {
		return err
	}
	for _, d := range damage {
		fmt.Fprintln(cmd.OutOrStdout(), "problem:", d.Error())
	}
	if len(damage) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("the Pebble copy is damaged (corrupt_store): %d files, first %s", len(damage), damage[0].File)}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Pebble files: every block's checksum good, %.2fs\n", time.Since(start).Seconds())
	return nil
}

// checkLatestQuorum checks the witnesses' cosignatures on the latest
// stored checkpoint, the one a verification of the whole log relies on.
func checkLatestQuorum(cmd *cobra.Command, g *globals, n *node.Node, q *quorumFlags) error {
	if len(q.keys) == 0 {
		return nil
	}
	latest, err := n.Tree.LatestCheckpoint()
	if err != nil {
		return exitError{code: 1, msg: "no checkpoint to check the witnesses' cosignatures on: " + err.Error()}
	}
	size := "?"
	if n.Verifier != nil {
		if cp, err := audit.ParseCheckpoint(latest, n.Verifier); err == nil {
			size = fmt.Sprint(cp.Size)
		}
	}
	return q.check(cmd.OutOrStdout(), g.jsonOut, "the latest checkpoint (size "+size+")", latest)
}

// reportReadOnly reads both copies of the log (audit.ReadCopies) and
// prints what it read and how fast: the most verify could reach here.
func reportReadOnly(cmd *cobra.Command, g *globals, opts audit.VerifyOptions) error {
	start := time.Now()
	r, err := audit.ReadCopies(cmd.Context(), opts)
	if err != nil {
		return err
	}
	took := time.Since(start)
	out := struct {
		audit.Reading
		ElapsedS   float64 `json:"elapsed_s"`
		EventsPerS float64 `json:"events_per_s"`
	}{r, took.Seconds(), float64(r.PebbleEvents) / took.Seconds()}
	if g.jsonOut {
		return printJSON(cmd.OutOrStdout(), out)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "read %d events (%d bytes) from Pebble and %d messages (%d bytes) from JetStream in %.2fs: %.0f events/s, nothing checked\n",
		r.PebbleEvents, r.PebbleBytes, r.JetStreamMessages, r.JetStreamBytes, out.ElapsedS, out.EventsPerS)
	return nil
}

// progressTo feeds a bar from Verify's per-source progress.
func progressTo(bar *progressbar.ProgressBar) func(audit.Progress) {
	done := map[string]uint64{}
	return func(p audit.Progress) {
		done[p.Source] = p.Done
		var sum uint64
		for _, d := range done {
			sum += d
		}
		_ = bar.Set64(int64(sum))
	}
}

func reportVerify(w io.Writer, asJSON bool, rep audit.Report, took time.Duration) error {
	if asJSON {
		if err := printJSON(w, struct {
			audit.Report
			ElapsedS float64 `json:"elapsed_s"`
		}{rep, took.Seconds()}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "events %d, tree size %d, checkpoints verified %d, %.2fs\n", rep.Events, rep.TreeSize, rep.Checkpoints, took.Seconds())
		fmt.Fprintf(w, "root %x\n", rep.Root)
		for _, r := range rep.Repairs {
			fmt.Fprintln(w, "repaired:", r.String())
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(w, "problem:", p.String())
		}
		if len(rep.Complete) > 0 {
			fmt.Fprintf(w, "complete: %d aggregates (%s), every event from version 1 to the head at size %d\n", len(rep.Complete), rep.Selection, rep.TreeSize)
		}
	}
	if !rep.Intact {
		msg := "the log is not intact"
		if rep.FirstBad != nil {
			msg += ": first bad: " + rep.FirstBad.String()
		}
		return exitError{code: 1, msg: msg}
	}
	if !asJSON {
		fmt.Fprintln(w, "intact")
	}
	return nil
}

func auditReplayCmd(g *globals) *cobra.Command {
	var at, clock string
	cmd := &cobra.Command{
		Use:   "replay KIND/ID [--at TIME|POSITION] [--clock occurred|recorded]",
		Short: "An aggregate's state and history as of a time or a log position",
		Long: `An aggregate's state and history as of a time or a log position, each event's
hash and the aggregate's hash chain checked. A time is read on the occurred clock by
default (when the acts happened, as entered with --occurred-at: the state of the world
then); --clock recorded reads it on the ledger's own clock (what the ledger held then).`,
		Example: `  ledger audit replay election/01J00000000000000000000001 --at 2026-05-01T12:00
  ledger audit replay consultation/01J00000000000000000000201 --at 2026-11-06 --clock recorded
  ledger audit replay station/01J00000000000000000000101 --at 1500`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, id, ok := strings.Cut(args[0], "/")
			if !ok {
				return usageError{errors.New("name the aggregate as KIND/ID, for example election/01J")}
			}
			moment, err := parseAt(at, clock)
			if err != nil {
				return usageError{err}
			}
			n, err := openReadOnly(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			agg, err := n.Store.Locate(kind, id)
			if err != nil {
				return err
			}
			events, err := history.Replay(cmd.Context(), n.Store, agg, moment)
			if err != nil {
				return err
			}
			state, err := history.Fold(history.RefOf(agg), events)
			if err != nil {
				return err
			}
			return printReplay(cmd.OutOrStdout(), g.jsonOut, agg, events, state)
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "a time (RFC 3339, or without offset in China time) or a log position; default now")
	cmd.Flags().StringVar(&clock, "clock", "occurred", "the clock --at's time is read on: occurred (when the acts happened) or recorded (when the ledger recorded them)")
	return cmd
}

// parseAt reads --at (a position or a time) and --clock.
func parseAt(s, clock string) (history.AsOf, error) {
	c, err := history.ParseClock(clock, history.Occurred)
	if err != nil {
		return history.AsOf{}, fmt.Errorf("--clock: %w", err)
	}
	if s == "" {
		return history.AsOf{Clock: c}, nil
	}
	if pos, err := strconv.ParseUint(s, 10, 64); err == nil {
		return history.AsOf{Position: pos, Clock: c}, nil
	}
	t, err := domain.ParseTime(s, domain.ChinaTime())
	if err != nil {
		return history.AsOf{}, fmt.Errorf("--at %q is neither a position nor a time (RFC 3339, or 2026-05-01T08:00 in China time)", s)
	}
	return history.AsOf{Time: t, Clock: c}, nil
}

func printReplay(w io.Writer, asJSON bool, agg eventstore.Aggregate, events []eventstore.Envelope, state domain.State) error {
	if asJSON {
		wire := make([]envelope.Event, len(events))
		for i := range events {
			wire[i] = envelope.EventOf(&events[i])
		}
		return printJSON(w, map[string]any{"aggregate": agg, "events": wire, "state": state})
	}
	fmt.Fprintf(w, "%s in region %s: %d events\n", agg, agg.Region, len(events))
	fmt.Fprintf(w, "%-8s %-3s %-35s %-25s %-25s %s\n", "POSITION", "V", "TYPE", "RECORDED AT", "OCCURRED AT", "ACTOR")
	for _, e := range events {
		fmt.Fprintf(w, "%-8d %-3d %-35s %-25s %-25s %s\n", e.Position, e.Version, e.Type,
			e.RecordedAt.Format(time.RFC3339), fmtTime(e.OccurredAt), e.Actor)
	}
	fmt.Fprintln(w, "\nstate:")
	return printJSON(w, state)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func auditExportCmd(g *globals) *cobra.Command {
	var election, out string
	cmd := &cobra.Command{
		Use:   "export --election ID --out FILE",
		Short: "Write a self-contained, complete bundle of an election (events, checkpoint, proofs, signed heads, public key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openReadOnly(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			if n.Verifier == nil {
				return errNoVerifierKey
			}
			signer, err := audit.LoadKey(n.Config.DataDir)
			if err != nil {
				return err
			}
			b, err := audit.Export(cmd.Context(), n.Store, n.Tree, audit.ExportOptions{
				Filter: electionFilter(election), Verifier: n.Verifier,
				HeadsSigner: signer, Selection: "election " + election + " and its stations",
			})
			if err != nil {
				return err
			}
			if len(b.Events) == 0 {
				return fmt.Errorf("no events of election %s", election)
			}
			data, err := b.Marshal()
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d events of election %s to %s\n", len(b.Events), election, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&election, "election", "", "the election's ID")
	cmd.Flags().StringVar(&out, "out", "", "the bundle file to write")
	_ = cmd.MarkFlagRequired("election")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// electionFilter selects an election's events and those of its stations
// (which the log names in their station.established events, before any
// other event of the station).
func electionFilter(id string) func(eventstore.Envelope) bool {
	stations := map[string]bool{}
	return func(e eventstore.Envelope) bool {
		switch e.AggregateKind {
		case string(domain.KindElection):
			return e.AggregateID == id
		case string(domain.KindStation):
			if e.Type == (domain.StationEstablished{}).EventType() {
				var p domain.StationEstablished
				if json.Unmarshal(e.Payload, &p) == nil && p.ElectionID == id {
					stations[e.AggregateID] = true
				}
			}
			return stations[e.AggregateID]
		}
		return false
	}
}

// errNoVerifierKey: the data directory holds no checkpoint verifier key, so
// no checkpoint was ever signed there.
var errNoVerifierKey = errors.New("no checkpoint verifier key in the data directory: no checkpoint was signed there (run \"ledger audit checkpoint\" first)")

func auditVerifyBundleCmd(g *globals) *cobra.Command {
	var key string
	var q quorumFlags
	cmd := &cobra.Command{
		Use:   "verify-bundle FILE",
		Short: "Check an exported bundle with no server and no data directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var opts []audit.BundleOption
			if key != "" {
				opts = append(opts, audit.PinKey(key))
			}
			if _, _, err := q.policy(); err != nil {
				return err
			}
			rep, err := audit.VerifyBundle(data, opts...)
			if err != nil {
				return exitError{code: 1, msg: "the bundle does not verify: " + err.Error()}
			}
			if err := reportVerify(cmd.OutOrStdout(), g.jsonOut, rep, 0); err != nil {
				return err
			}
			b, err := audit.ParseBundle(data)
			if err != nil {
				return err
			}
			return q.check(cmd.OutOrStdout(), g.jsonOut, fmt.Sprintf("the bundle's checkpoint of size %d", rep.TreeSize), []byte(b.Checkpoint))
		},
	}
	q.add(cmd.Flags())
	cmd.Flags().StringVar(&key, "key", "", "require this verifier key (from \"ledger audit key\" of the ledger you trust)")
	return cmd
}
