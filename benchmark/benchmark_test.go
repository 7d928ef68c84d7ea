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
	rep, err := Run(context.Background(), Config{Node: node.Config{DataDir: t.TempDir(), MemoryStorage: true}, Writers: 4, Events: 400})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LedgerN.Count != 400 || !rep.AuditIntact {
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
	if len(rep.Targets) != 5 {
		t.Fatalf("targets %+v, want the five the benchmark measures", rep.Targets)
	}
	for _, tg := range rep.Targets {
		if tg.Name == "peak_rss_bytes" && (tg.Measured != float64(rep.PeakRSSBytes) || tg.Met != (rep.PeakRSSBytes > 0 && rep.PeakRSSBytes <= 1<<30)) {
			t.Errorf("memory target %+v for a peak of %d bytes", tg, rep.PeakRSSBytes)
		}
		if tg.Name == "ledger_n_to_async_ratio" && (tg.Measured != rep.RatioToAsync || tg.Met != (rep.RatioToAsync >= 0.5)) {
			t.Errorf("ratio target %+v for a ratio of %v", tg, rep.RatioToAsync)
		}
		if tg.Name == "ledger_n_to_async_ratio" && tg.Bound != rep.SyncPublish.PerS/rep.AsyncPublish.PerS {
			t.Errorf("ratio target's bound %v, want JetStream's sync over async publish %v", tg.Bound, rep.SyncPublish.PerS/rep.AsyncPublish.PerS)
		}
		if tg.Name == "audit_verify_per_s" && (tg.Bound != rep.AuditReadCopies.PerS || (tg.Bound > 0) != (tg.BoundFrom != "")) {
			t.Errorf("verify target %+v, want bounded by reading both copies (%v events/s)", tg, rep.AuditReadCopies.PerS)
		}
	}
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(out, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"turnout_queries", "turnout_query_p50_ms", "turnout_query_p99_ms", "turnout_query_max_ms",
		"turnout_query_regions", "ledger_n_recorders", "ledger_n_recorders_batched", "ingest_lag_max_msgs", "projection_lag_max_events", "targets"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON report has no %q: %s", k, out)
		}
	}
}
