package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ledger/benchmark"
	"ledger/domain"
	"ledger/node"
	"ledger/projections"
	"ledger/scenario"
)

// demoOptions are the demo's own flags.
type demoOptions struct {
	scale     float64
	seed      uint64
	recorders int
	batch     int
	json      bool
	temp      bool // the data directory is temporary
	cpuProf   string
	memProf   string
}

// demoReport is the demo's JSON output.
type demoReport struct {
	Scale     float64 `json:"scale"`
	Seed      uint64  `json:"seed"`
	Recorders int     `json:"recorders"`
	Batch     int     `json:"batch"`
	DataDir   string  `json:"data_dir,omitempty"`
	*scenario.Summary
	Turnout        float64 `json:"turnout"`
	TurnoutSource  string  `json:"turnout_source"`
	ElapsedS       float64 `json:"elapsed_s"`
	EventsPerS     float64 `json:"events_per_s"`
	CheckpointRoot string  `json:"checkpoint_root,omitempty"` // base64 RFC 6962 root of the Merkle tree, as in a checkpoint
	CheckpointSize uint64  `json:"checkpoint_size,omitempty"`
	// TurnoutQueries are the reads of the turnout read model (the province
	// and the first unit's village or community) made every 5 ms while
	// the province was being recorded, as a dashboard polling would.
	TurnoutQueries *benchmark.QueryStats `json:"turnout_queries_during_load,omitempty"`
	PeakRSSBytes   int64                 `json:"peak_rss_bytes"`
}

// demoQueryEvery is how often the demo reads turnout while it records.
const demoQueryEvery = 5 * time.Millisecond

// readModelTurnout takes the turnout from the projections' read model
// when the node maintains it (its province total is not empty); else the
// report keeps the turnout counted from the recorded commands.
func readModelTurnout(ctx context.Context, n *node.Node, rep *demoReport) error {
	prov, err := projections.TurnoutOfRegion(ctx, n.Store.DB(), scenario.ProvinceCode)
	if err != nil || prov.Registered == 0 {
		return nil // no read model on this node
	}
	cities, err := projections.TurnoutOfChildren(ctx, n.Store.DB(), scenario.ProvinceCode)
	if err != nil {
		return err
	}
	rep.Turnout, rep.TurnoutSource = float64(prov.Voted)/float64(prov.Registered), "projections turnout read model"
	rep.RegisteredVoters, rep.CheckedIn = prov.Registered, prov.Voted
	for _, c := range cities {
		for i := range rep.Cities {
			if string(rep.Cities[i].Code) == c.Region {
				rep.Cities[i].Registered, rep.Cities[i].CheckedIn = c.Registered, c.Voted
			}
		}
	}
	return nil
}

func newDemoCmd(g *globals) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Record a generated province (Jilin-shaped, at --scale) through the command path and print its turnout and results",
		Long: `demo generates a province shaped like Jilin (9 prefectures, 60 counties, 1,451 communities,
9,340 villages, about 21 million voters at --scale 1) deterministically from --seed, records it
command by command through the ledger (decide, append to JetStream, ingest into Pebble) with
--recorders commands in flight, and prints the province's turnout and results.

Stations' devices upload check-ins --batch at a time (check_ins) and counters enter
ballots a tally sheet at a time (record_ballots); every check-in and every ballot is
still its own event. --batch 1 records each with its own command instead.

Without --data it records into a fresh temporary directory and removes it afterwards. With
--data it records there and keeps it; commands carry deterministic IDs, so running the same
seed again into the same directory records nothing twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.scale, "scale", scenario.DefaultScale, "share of the province's communities and villages, (0, 1]")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the generated province")
	f.IntVar(&o.recorders, "recorders", 0, "units recorded at once and commands in flight (a province's polling stations record side by side); 0: 64 with batches, 512 with --batch 1")
	f.IntVar(&o.batch, "batch", scenario.DeviceBatch, fmt.Sprintf("check-ins, and ballots of a count, per command: 1 records each with its own command; up to %d uploads them in batches (check_ins, record_ballots), as stations' devices do", domain.MaxStationBatch))
	f.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of the recording to this file")
	_ = f.MarkHidden("cpuprofile")
	f.StringVar(&o.memProf, "memprofile", "", "write a heap profile to this file once the province is recorded")
	_ = f.MarkHidden("memprofile")
	return cmd
}

func runDemo(cmd *cobra.Command, g *globals, o *demoOptions) error {
	if o.scale <= 0 || o.scale > 1 || o.recorders < 0 || o.batch < 1 || o.batch > domain.MaxStationBatch {
		return usageError{fmt.Errorf("--scale must be in (0, 1], --recorders not negative and --batch in [1, %d]", domain.MaxStationBatch)}
	}
	if o.recorders == 0 {
		// With one command per check-in, many in flight keep Pebble's group
		// commit full. With batches fewer do, and fewer stations recording
		// at once keep each aggregate's last message in JetStream's recent
		// blocks, which its expected-last-sequence check then reads from
		// memory rather than from disk (scale 0.1: 30.0k events/s with 64,
		// 16.7k with 512).
		o.recorders = 64
		if o.batch == 1 {
			o.recorders = 512
		}
	}
	ctx := cmd.Context()
	if !cmd.Flags().Changed("log-level") {
		g.logLevel = "warn" // no line per signed checkpoint under the progress bar
	}
	cfg := g.nodeConfig()
	cfg.AllowFutureOccurredAt = true // the scenario's dates are simulated
	if !cmd.Flags().Changed("data") {
		dir, err := os.MkdirTemp("", "ledger-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir, o.temp = dir, true
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	select {
	case <-n.Store.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, pos := n.Store.Position(); pos > 0 {
		return usageError{fmt.Errorf("demo: %s already holds %d events; the demo records a new province into an empty ledger (omit --data for a temporary one)", n.Config.DataDir, pos)}
	}
	sc := scenario.New(scenario.Config{Scale: o.scale, Seed: o.seed, Recorders: o.recorders, Batch: o.batch, LiveIDs: true})
	bar := demoBar(cmd.ErrOrStderr(), sc, o.json)
	stopProfile, err := startCPUProfile(o.cpuProf)
	if err != nil {
		return err
	}
	stopProbe := func() (benchmark.QueryStats, error) { return benchmark.QueryStats{}, nil }
	if units := sc.Units(); n.Projections != nil && len(units) > 0 {
		regions := []string{scenario.ProvinceCode, string(units[0].Region)}
		stopProbe = benchmark.StartTurnoutProbe(ctx, n.Store.DB(), regions, demoQueryEvery)
	}
	start := time.Now()
	sum, err := sc.Record(ctx, n.Ledger, func(int) { _ = bar.Add(1) })
	elapsed := time.Since(start)
	queries, qerr := stopProbe()
	stopProfile()
	if err == nil {
		err = writeHeapProfile(o.memProf)
	}
	_ = bar.Finish()
	if err == nil {
		err = qerr
	}
	if err != nil {
		return err
	}
	rep := demoReport{Scale: sc.Config().Scale, Seed: o.seed, Recorders: o.recorders, Batch: sc.Config().Batch,
		Summary: sum, Turnout: sum.Turnout(), TurnoutSource: "recorded check-ins and declared rolls",
		ElapsedS: elapsed.Seconds(), EventsPerS: float64(sum.Events) / elapsed.Seconds()}
	if queries.Queries > 0 {
		rep.TurnoutQueries = &queries
	}
	if !o.temp {
		rep.DataDir = n.Config.DataDir
	}
	if err := readModelTurnout(ctx, n, &rep); err != nil {
		return err
	}
	if n.Tree != nil {
		size := n.Tree.Size()
		root, err := n.Tree.Root(size)
		if err != nil {
			return err
		}
		rep.CheckpointRoot, rep.CheckpointSize = base64.StdEncoding.EncodeToString(root), size
	}
	rep.PeakRSSBytes = benchmark.PeakRSS()
	if o.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = printDemo(cmd.OutOrStdout(), rep)
	}
	if err == nil && sum.Unexpected > 0 {
		err = fmt.Errorf("demo: %d commands had an unexpected outcome, e.g. %v", sum.Unexpected, sum.UnexpectedSamples)
	}
	return err
}

// demoBar is the demo's progress bar on w (see barOptions); --json keeps a
// terminal free of it.
func demoBar(w io.Writer, sc *scenario.Scenario, quietOnTerminal bool) *progressbar.ProgressBar {
	opts := append(barOptions(w, quietOnTerminal), progressbar.OptionSetDescription("recording"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("cmd"))
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		opts = append(opts, progressbar.OptionFullWidth(), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	return progressbar.NewOptions(sc.Estimate(), opts...)
}

// writeHeapProfile writes the live heap into path ("" for none).
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile starts a CPU profile into path ("" for none) and
// returns the function that stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func printDemo(w io.Writer, r demoReport) error {
	s := r.Summary
	fmt.Fprintf(w, "Jilin-shaped province, scale %g, seed %d: %d committee elections\n\n", r.Scale, r.Seed, s.Elections)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "code\telections\tregistered\tchecked in\tturnout\t\tcity\t")
	for _, c := range s.Cities {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\t\t%s\t\n", c.Code, c.Elections, c.Registered, c.CheckedIn, 100*c.Turnout(), c.Name)
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\t\t%s\t\n", scenario.ProvinceCode, s.Elections, s.RegisteredVoters, s.CheckedIn, 100*r.Turnout, "吉林省 (province)")
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nturnout: first-round ballots issued over the rolls (from the %s)\n", r.TurnoutSource)
	fmt.Fprintf(w, "ballots counted %d; members elected %d; first rounds under the threshold %d; second rounds %d;\n",
		s.BallotsCounted, s.MembersElected, s.InvalidElections, s.SecondRounds)
	fmt.Fprintf(w, "boxes with more ballots than issued %d; members recalled %d; results voided %d; consultations %d; inspections %d\n",
		s.InvalidBoxes, s.Recalls, s.VoidedElections, s.Consultations, s.Inspections)
	_, err := fmt.Fprintf(w, "\nrecorded %d events (%d commands, %d refused on purpose) in %.1f s: %.0f events/s with %d recorders\n",
		s.Events, s.Commands, s.Refused, r.ElapsedS, r.EventsPerS, r.Recorders)
	if q := r.TurnoutQueries; err == nil && q != nil {
		_, err = fmt.Fprintf(w, "turnout read while recording (%s), every %v: %d reads, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
			strings.Join(q.Regions, ", "), demoQueryEvery, q.Queries, q.P50ms, q.P99ms, q.Maxms)
	}
	if err == nil && r.PeakRSSBytes > 0 {
		_, err = fmt.Fprintf(w, "peak resident memory: %d MiB\n", r.PeakRSSBytes>>20)
	}
	if err == nil && r.CheckpointRoot != "" {
		_, err = fmt.Fprintf(w, "Merkle tree: %d events, root %s\n", r.CheckpointSize, r.CheckpointRoot)
	}
	if err == nil && r.DataDir != "" {
		_, err = fmt.Fprintf(w, "data: %s\n", r.DataDir)
	}
	return err
}
