package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"ledger/audit"
	"ledger/eventstore"
	"ledger/node"
	"ledger/projections"
)

var readModels = []string{projections.Turnout, projections.Results, projections.Recon, projections.Consultations, projections.Supervision, projections.Regions}

func newRebuildCmd(g *globals) *cobra.Command {
	var name string
	var fromJetStream, keepPartial bool
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild read models from the Pebble log, or the whole Pebble copy from JetStream",
		Long: `rebuild drops a read model (or all of them) and replays the event log into it from
position 1; the result is byte-identical to the read model built live. With
--from-jetstream it moves the node's whole Pebble copy aside (to pebble.bad-<time>) and
ingests the JetStream stream into a new one: the way back from a corrupt Pebble copy.
Any error (an event that does not follow its chain, a message that does not decode,
a read that fails) ends either kind with exit 1 naming the position and the cause, and
puts the original Pebble copy back in place, unless --keep-partial is given.
Stop "ledger serve" first: the data directory is locked while it runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromJetStream {
				return rebuildPebble(cmd, g, keepPartial)
			}
			if name != "all" && !slices.Contains(readModels, name) {
				return usageError{fmt.Errorf("--projection %q: one of %v or all", name, readModels)}
			}
			return rebuildReadModels(cmd, g, name, keepPartial)
		},
	}
	cmd.Flags().StringVar(&name, "projection", "all", fmt.Sprintf("the read model to rebuild: %v or all", readModels))
	cmd.Flags().BoolVar(&fromJetStream, "from-jetstream", false, "rebuild the node's whole Pebble copy from the JetStream stream")
	cmd.Flags().BoolVar(&keepPartial, "keep-partial", false, "when the rebuild fails, leave its partial copy in place (the original is kept beside it) instead of putting the original back")
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print JSON for scripts")
	return cmd
}

func rebuildReadModels(cmd *cobra.Command, g *globals, name string, keepPartial bool) error {
	dir := eventstore.PebblePath(g.dataDir)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no ledger data in %s: %w", g.dataDir, err)
	}
	release, err := node.LockDataDir(g.dataDir)
	if err != nil {
		return err
	}
	defer release()
	db, err := eventstore.OpenPebble(dir, false)
	if err != nil {
		return fmt.Errorf("open %s (is \"ledger serve\" running?): %w", dir, err)
	}
	// A Pebble checkpoint (hard links) keeps the original to put back if
	// the rebuild fails.
	original := dir + ".before-rebuild-" + time.Now().UTC().Format("20060102T150405")
	if err := db.Checkpoint(original); err != nil {
		db.Close()
		return fmt.Errorf("keep the original Pebble copy before the rebuild: %w", err)
	}
	bar := newBar(g, -1, "rebuilding "+name)
	start := time.Now()
	var events uint64
	err = projections.Rebuild(cmd.Context(), db, name, func(done, total uint64) {
		if events == 0 {
			bar.ChangeMax64(int64(total))
		}
		events = done
		_ = bar.Set64(int64(done))
	})
	_ = bar.Finish()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rebuildFailed(cmd, nil, err, undo{from: original, to: dir, keepPartial: keepPartial})
	}
	if err := os.RemoveAll(original); err != nil {
		return err
	}
	return reportRebuild(cmd, g, name, events, time.Since(start))
}

func reportRebuild(cmd *cobra.Command, g *globals, what string, events uint64, took time.Duration) error {
	rate := float64(events) / max(took.Seconds(), 1e-9)
	if g.jsonOut {
		return printJSON(cmd.OutOrStdout(), map[string]any{"rebuilt": what, "events": events, "elapsed_s": took.Seconds(), "events_per_s": rate})
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %s from %d events in %.2fs (%.0f events/s)\n", what, events, took.Seconds(), rate)
	return err
}

// rebuildPebble moves the Pebble copy aside and lets ingest rebuild it
// from JetStream, the log of record. Any error of ingest ends it: the
// original copy goes back in place, unless keepPartial.
func rebuildPebble(cmd *cobra.Command, g *globals, keepPartial bool) error {
	dir := eventstore.PebblePath(g.dataDir)
	aside := dir + ".bad-" + time.Now().UTC().Format("20060102T150405")
	release, err := node.LockDataDir(g.dataDir) // nothing is moved while a node holds the directory
	if err != nil {
		return err
	}
	if err := release(); err != nil { // node.Open below takes it again
		return err
	}
	if err := os.Rename(dir, aside); err != nil {
		return fmt.Errorf("move the Pebble copy aside: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "moved %s to %s; ingesting from JetStream\n", dir, aside)
	cfg := g.nodeConfig()
	cfg.Offline = true
	start := time.Now()
	n, err := node.Open(cmd.Context(), cfg)
	if err == nil {
		err = waitIngested(cmd.Context(), n)
	}
	if err != nil {
		return rebuildFailed(cmd, n, err, undo{from: aside, to: dir, keepPartial: keepPartial})
	}
	_, events := n.Store.Position()
	took := time.Since(start)
	keepCheckpoints(cmd, n, aside)
	if err := n.Close(); err != nil {
		return err
	}
	return reportRebuild(cmd, g, eventstore.PebbleDir, events, took)
}

// waitIngested waits until ingest has caught up with the stream, and
// returns the error that stopped it first, if any.
func waitIngested(ctx context.Context, n *node.Node) error {
	select {
	case <-n.Store.Ready():
		return n.Store.Err()
	case <-n.Store.Halted():
		return n.Store.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// undo says how to put the Pebble copy back after a rebuild that failed:
// the original, moved to from, goes back to to, and the partial copy there
// is removed, unless keepPartial (then the original stays at from).
type undo struct {
	from, to    string
	keepPartial bool
}

// rebuildFailed stops the node (if it opened), puts the original copy back
// as u says, and returns err for exit 1 with where each copy now is.
func rebuildFailed(cmd *cobra.Command, n *node.Node, err error, u undo) error {
	if n != nil {
		_ = n.Close() // returns err again
	}
	msg := "rebuild stopped: " + err.Error()
	if u.keepPartial {
		return exitError{code: 1, msg: fmt.Sprintf("%s\nthe partial copy stays in %s (--keep-partial); the original is in %s", msg, u.to, u.from)}
	}
	partial := u.to + ".partial-" + time.Now().UTC().Format("20060102T150405")
	if rerr := os.Rename(u.to, partial); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		return exitError{code: 1, msg: fmt.Sprintf("%s\nand the partial copy in %s could not be moved: %v; the original is in %s", msg, u.to, rerr, u.from)}
	}
	if rerr := os.Rename(u.from, u.to); rerr != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s\nand the original copy could not be put back from %s: %v", msg, u.from, rerr)}
	}
	_ = os.RemoveAll(partial)
	fmt.Fprintf(cmd.ErrOrStderr(), "the original Pebble copy is back in %s\n", u.to)
	return exitError{code: 1, msg: msg + "; the original Pebble copy is back in place"}
}

// keepCheckpoints copies the checkpoints the node signed, which only its
// Pebble copy held, from the copy moved aside into the rebuilt one. A copy
// too damaged to open loses them (witnesses and receipts still hold those
// handed out); the rebuild stands either way.
func keepCheckpoints(cmd *cobra.Command, n *node.Node, aside string) {
	out := cmd.ErrOrStderr()
	old, err := eventstore.OpenPebble(aside, true)
	if err != nil {
		fmt.Fprintf(out, "the checkpoints signed before stay in %s, which does not open: %v\n", aside, err)
		return
	}
	defer old.Close()
	kept, left, err := audit.CopyCheckpoints(cmd.Context(), old, n.Store.DB(), n.Verifier)
	if err != nil {
		fmt.Fprintf(out, "the checkpoints signed before stay in %s: %v\n", aside, err)
		return
	}
	fmt.Fprintf(out, "kept %d checkpoints signed by this node", kept)
	if left > 0 {
		fmt.Fprintf(out, "; %d more in %s are malformed or not signed by its key", left, aside)
	}
	fmt.Fprintln(out)
}
