package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ledger/benchmark"
	"ledger/domain"
	"ledger/scenario"
)

type benchOptions struct {
	writers int
	window  int
	events  int
	batch   int
	seed    uint64
	json    bool
	http    bool
}

func newBenchCmd(g *globals) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure this machine: JetStream baselines, the ledger's command path at 1 and --writers recorders, lag, rebuilds, audit verify, memory",
		Long: `bench measures, in one run on one data disk (a fresh temporary directory, or one created
under --data and removed afterwards):

  - raw JetStream publishing of the ledger's message size on the same embedded server (file
    storage): asynchronous with a window of pending acks, and synchronous from --writers goroutines;
  - the ledger's full command path (decide, append, ingest into Pebble with the Merkle tree,
    fsync, acknowledge) with the scenario's check-ins, at 1 and --writers concurrent recorders:
    events/s and p50, p99, p99.9 latency; the ingest lag under that load; the latency of turnout
    queries (the province and a village being recorded) made during the --writers run;
  - the same with --batch check-ins a command (check_ins), as stations' devices upload them:
    check-ins/s, and latency per command;
  - with --http, the same check-ins as the concurrent run through the node's real HTTP server on
    a loopback port, from --writers clients in this process, one check-in a request;
  - rebuilding Pebble from JetStream, and its bound: reading the stream as ingest does, decoding,
    writing nothing; rebuilding the read models; audit verification, and its bound: reading both
    copies with no checks;
  - peak resident memory.

It ends with the performance issue's table: each row as a ratio to its bound measured in the same
run, with the bound's name, beside the absolute figures. It exits 0 whether the targets are met or
not; --json prints the same rows under "targets".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.writers, "writers", 64, "concurrent recorders and synchronous publishers")
	f.IntVar(&o.window, "window", 1, "commands each recorder keeps in flight (pipelined: the next is submitted once the log holds the previous; each counts only once durable)")
	f.IntVar(&o.events, "events", 100_000, "check-ins recorded by the concurrent run, and messages per baseline")
	f.IntVar(&o.batch, "batch", scenario.DeviceBatch, "check-ins a command in the batched run (1 leaves it out)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the scenario the check-ins come from")
	f.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	f.BoolVar(&o.http, "http", false, "also record --events check-ins through the node's HTTP API on a loopback port, from --writers clients in this process, one check-in a request, each with its own Idempotency-Key")
	return cmd
}

func runBench(cmd *cobra.Command, g *globals, o *benchOptions) error {
	if o.writers < 1 || o.events < 1 || o.batch < 1 || o.batch > domain.MaxStationBatch {
		return usageError{fmt.Errorf("--writers and --events must be positive, --batch in [1, %d]", domain.MaxStationBatch)}
	}
	if !cmd.Flags().Changed("log-level") {
		g.logLevel = "warn"
	}
	cfg := benchmark.Config{Node: g.nodeConfig(), Writers: o.writers, Events: o.events, Seed: o.seed, Window: o.window, Batch: o.batch, HTTP: o.http}
	cfg.Node.DataDir = ""
	if cmd.Flags().Changed("data") {
		if err := os.MkdirAll(g.dataDir, 0o700); err != nil {
			return err
		}
		dir, err := os.MkdirTemp(g.dataDir, "ledger-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Node.DataDir = dir
	}
	if !o.json {
		cfg.Log = func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), "bench:", s) }
	}
	rep, err := benchmark.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printBench(cmd.OutOrStdout(), rep)
}

func printBench(w io.Writer, r *benchmark.Report) error {
	fmt.Fprintf(w, "%d events, %d writers, %d-byte messages, %s storage\n\n", r.Events, r.Writers, r.PayloadBytes, r.Storage)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "what\tcount\tseconds\tper s\tp50 ms\tp99 ms\tp99.9 ms\t")
	row := func(name string, t benchmark.Throughput) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t\n", name, t.Count, t.Seconds, t.PerS, ms(t.P50ms), ms(t.P99ms), ms(t.P999ms))
	}
	row("JetStream publish, async", r.AsyncPublish)
	row(fmt.Sprintf("JetStream publish, sync x%d", r.Writers), r.SyncPublish)
	row("ledger, 1 recorder", r.Ledger1)
	label := fmt.Sprintf("ledger, %d recorders", r.Writers)
	if r.Window > 1 {
		label += fmt.Sprintf(", %d in flight each", r.Window)
	}
	row(label, r.LedgerN)
	if r.LedgerBatched.Count > 0 {
		row(fmt.Sprintf("ledger, %d recorders, %d check-ins a command", r.Writers, r.Batch), r.LedgerBatched)
	}
	if r.HTTPRecorders.Count > 0 {
		row(fmt.Sprintf("ledger over HTTP, %d clients", r.Writers), r.HTTPRecorders)
	}
	row("rebuild Pebble from JetStream", r.RebuildFromJetStream)
	row("  reading the stream, decoding, no writes", r.ReplayStream)
	row("rebuild read models", r.RebuildReadModels)
	row("audit verify", r.AuditVerify)
	row("  reading both copies, no checks", r.AuditReadCopies)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ningest lag under load: max %d, mean %.1f messages (%d samples); read models behind Pebble's log: max %d events\n(%s)\n",
		r.IngestLagMaxMsgs, r.IngestLagMeanMsgs, r.LagSamples, r.ProjectionLagMaxEvents, r.ProjectionLagNote)
	fmt.Fprintf(w, "turnout queries under load (%s): %d, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		strings.Join(r.TurnoutQueryRegions, ", "), r.TurnoutQueries, r.TurnoutQueryP50ms, r.TurnoutQueryP99ms, r.TurnoutQueryMaxms)
	fmt.Fprintf(w, "audit intact: %v; peak resident memory: %.0f MiB; ledger/async ratio: %.3f; total %.1f s\n",
		r.AuditIntact, float64(r.PeakRSSBytes)/(1<<20), r.RatioToAsync, r.ElapsedS)
	if err := printTargets(w, r.Targets); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

// printTargets prints the table: each row's absolute figure,
// its bound measured in the same run and the ratio, against the target.
func printTargets(w io.Writer, ts []benchmark.Target) error {
	fmt.Fprintln(w, "\ntargets (2 cores; the province row is measured by ledger demo --scale 1):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  part\tmeasured\tbound in this run\tratio\twant\t")
	for _, t := range ts {
		got, bound, ratio := num(t.Measured)+" "+t.Unit, "-", "-"
		if t.P99ms > 0 && t.Unit != "ms" {
			got += fmt.Sprintf(" (p50 %.1f, p99 %.1f ms)", t.P50ms, t.P99ms)
		}
		if t.Bound > 0 {
			bound, ratio = fmt.Sprintf("%s: %s", t.BoundName, num(t.Bound)), fmt.Sprintf("%.2f", t.Ratio)
		}
		cmp, verdict := ">=", "not met"
		if t.AtMost {
			cmp = "<="
		}
		if t.Met {
			verdict = "met"
		}
		if t.Skipped != "" {
			got, verdict = "-", "not measured: "+t.Skipped
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s %s %s\t\n", t.Name, got, bound, ratio, cmp, num(t.Want), verdict)
	}
	return tw.Flush()
}

// num prints a rate or a size without decimals and a ratio or a latency with three.
func num(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func ms(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
