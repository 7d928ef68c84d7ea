package benchmark

import (
	"context"
	"encoding/json"
	"testing"

	"ledger/node"
)

// TestRunTurnoutQueries runs the whole benchmark at a small scale on a
// real node and checks that the turnout reads made during the concurrent
// run are reported, in the Go report and in its JSON.
func TestRunTurnoutQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark on a real node")
	}
	rep, err := Run(context.Background(), Config{Node: node.Config{DataDir: t.TempDir()}, Writers: 4, Events: 400, HTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LedgerN.Count != 400 || !rep.AuditIntact || rep.HTTPRecorders.Count != 400 || rep.HTTPRecorders.P99ms <= 0 {
		t.Fatalf("report %+v", rep)
	}
	// The baselines publish messages of a single check-in's size, not of a batch's.
	if rep.PayloadBytes <= 0 || rep.PayloadBytes > 4096 {
		t.Errorf("baseline message size %d bytes, want a single check-in's", rep.PayloadBytes)
	}
	// Batches of 50 from stations of unequal size: at least 400 check-ins,
	// fewer than one more batch per station.
	if b := rep.LedgerBatched; b.Count < 400 || b.Count > 400+50*4 || b.PerS <= 0 || b.P99ms <= 0 {
		t.Errorf("batched run %+v, want about 400 check-ins in batches of 50", b)
	}
	if len(rep.TurnoutQueryRegions) != 2 || len(rep.TurnoutQueryRegions[0]) != 2 || len(rep.TurnoutQueryRegions[1]) != 12 ||
		rep.TurnoutQueryRegions[1][:2] != rep.TurnoutQueryRegions[0] {
		t.Errorf("turnout regions %q, want a province and one of its villages", rep.TurnoutQueryRegions)
	}
	// Every tick reads both regions, and the first pair is read at once.
	if rep.TurnoutQueries < 2 || rep.TurnoutQueries%2 != 0 {
		t.Errorf("%d turnout queries, want pairs, at least one", rep.TurnoutQueries)
	}
	if rep.TurnoutQueryMaxms <= 0 || rep.TurnoutQueryP50ms > rep.TurnoutQueryP99ms || rep.TurnoutQueryP99ms > rep.TurnoutQueryMaxms {
		t.Errorf("turnout latencies p50 %v, p99 %v, max %v ms: not ordered", rep.TurnoutQueryP50ms, rep.TurnoutQueryP99ms, rep.TurnoutQueryMaxms)
	}
	checkTargets(t, rep)
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(out, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"turnout_queries", "turnout_query_p50_ms", "turnout_query_p99_ms", "turnout_query_max_ms",
		"turnout_query_regions", "ledger_n_recorders", "ledger_n_recorders_batched", "http_n_clients", "jetstream_replay_decode", "ingest_lag_max_msgs", "projection_lag_max_events", "targets"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON report has no %q: %s", k, out)
		}
	}
}

// checkTargets checks the rows: each rate with a bound measured in
// the same run is reported as its ratio to that bound, named.
func checkTargets(t *testing.T, rep *Report) {
	t.Helper()
	if len(rep.Targets) != 10 {
		t.Fatalf("targets %+v, want the ten rows the benchmark measures", rep.Targets)
	}
	bounds := map[string]Throughput{
		"4 recorders, one check-in a command, durable": rep.SyncPublish,
		"4 recorders, 50 check-ins a command":          rep.AsyncPublish,
		"rebuild Pebble from JetStream":                rep.ReplayStream,
		"audit verify":                                 rep.AuditReadCopies,
		"4 HTTP clients, one check-in a request":       rep.LedgerN,
	}
	for _, tg := range rep.Targets {
		if tg.Skipped != "" {
			t.Errorf("row %q not measured: %s", tg.Name, tg.Skipped)
		}
		b, bounded := bounds[tg.Name]
		delete(bounds, tg.Name)
		switch {
		case bounded && (b.PerS <= 0 || tg.Bound != b.PerS || tg.BoundName == "" || tg.Ratio != tg.Measured/b.PerS || tg.Met != (tg.Ratio >= tg.Want)):
			t.Errorf("row %+v, want the ratio to %v/s", tg, b.PerS)
		case !bounded && (tg.Bound != 0 || tg.Ratio != 0):
			t.Errorf("row %+v has a bound; want none", tg)
		case tg.Name == "peak resident memory" && (tg.Measured != float64(rep.PeakRSSBytes) || tg.Met != (rep.PeakRSSBytes > 0 && rep.PeakRSSBytes <= 1<<30)):
			t.Errorf("memory row %+v for a peak of %d bytes", tg, rep.PeakRSSBytes)
		}
	}
	if len(bounds) > 0 {
		t.Errorf("rows missing: %v", bounds)
	}
}

// TestTargetWithoutItsBound checks that a row whose bound was not
// measured is said to be not measured, not met against its ratio.
func TestTargetWithoutItsBound(t *testing.T) {
	r := &Report{Writers: 64, Batch: 50, LedgerN: Throughput{PerS: 14_000, P99ms: 12}, LedgerBatched: Throughput{Count: 1, PerS: 120_000}}
	ts := r.targets()
	if got := ts[0]; got.Met || got.Skipped == "" || got.Ratio != 0 {
		t.Errorf("row without JetStream's sync publish: %+v, want not measured", got)
	}
	if got := ts[1]; !got.Met || got.Measured != 12 {
		t.Errorf("p99 row %+v, want 12 ms met", got)
	}
	if got := ts[6]; got.Met || got.Skipped != "no --http" {
		t.Errorf("HTTP row %+v, want skipped without --http", got)
	}
}
