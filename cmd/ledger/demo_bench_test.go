package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

// runDemoBench runs the ledger command line with args and returns its stdout.
func runDemoBench(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("ledger %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}

func TestBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark on a real node")
	}
	var rep struct {
		Writers      int     `json:"writers"`
		Events       int     `json:"events"`
		PayloadBytes int     `json:"payload_bytes"`
		RatioToAsync float64 `json:"ledger_n_to_async_ratio"`
		PeakRSS      int64   `json:"peak_rss_bytes"`
		AuditIntact  bool    `json:"audit_intact"`
		Parts        map[string]json.RawMessage
		Targets      []struct {
			Name      string  `json:"name"`
			Bound     float64 `json:"bound"`
			BoundName string  `json:"bound_name"`
			Ratio     float64 `json:"ratio"`
		} `json:"targets"`
	}
	out := runDemoBench(t, "bench", "--events", "400", "--writers", "4", "--json")
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(out, &parts); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"jetstream_async_publish", "jetstream_sync_publish", "ledger_1_recorder", "ledger_n_recorders",
		"rebuild_from_jetstream", "jetstream_replay_decode", "rebuild_read_models", "audit_verify", "audit_read_both_copies"} {
		var tp struct {
			Count int     `json:"count"`
			PerS  float64 `json:"per_s"`
		}
		if err := json.Unmarshal(parts[name], &tp); err != nil || tp.Count == 0 || tp.PerS <= 0 {
			t.Errorf("%s: %s (%v)", name, parts[name], err)
		}
	}
	// Without --http, four rows are ratios to a bound this run measured:
	// one check-in and 50 a command, the rebuild from JetStream, verify.
	bounded := 0
	for _, tg := range rep.Targets {
		if tg.Bound > 0 && tg.BoundName != "" && tg.Ratio > 0 {
			bounded++
		}
	}
	if bounded != 4 {
		t.Errorf("targets %+v: want four rows as ratios to their bounds measured in this run", rep.Targets)
	}
	if rep.Writers != 4 || rep.Events != 400 || rep.PayloadBytes == 0 || rep.RatioToAsync <= 0 || rep.PeakRSS <= 0 || !rep.AuditIntact {
		t.Errorf("report %s", out)
	}
}

func TestDemoJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("records a small province on a real node")
	}
	var rep struct {
		Elections        int     `json:"elections"`
		RegisteredVoters int64   `json:"registered_voters"`
		CheckedIn        int64   `json:"checked_in"`
		Turnout          float64 `json:"turnout"`
		BallotsCounted   int64   `json:"ballots_counted"`
		InvalidElections *int    `json:"invalid_elections"`
		Events           int64   `json:"events"`
		ElapsedS         float64 `json:"elapsed_s"`
		EventsPerS       float64 `json:"events_per_s"`
		Unexpected       int64   `json:"unexpected"`
		PeakRSSBytes     int64   `json:"peak_rss_bytes"`
		Queries          *struct {
			Regions []string `json:"regions"`
			Queries int      `json:"queries"`
			P50ms   float64  `json:"p50_ms"`
			P99ms   float64  `json:"p99_ms"`
			Maxms   float64  `json:"max_ms"`
		} `json:"turnout_queries_during_load"`
	}
	out := runDemoBench(t, "demo", "--scale", "0.0002", "--seed", "5", "--json")
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Elections != 2 || rep.RegisteredVoters == 0 || rep.CheckedIn == 0 || rep.CheckedIn > rep.RegisteredVoters ||
		rep.Turnout <= 0 || rep.Turnout > 1 || rep.BallotsCounted == 0 || rep.InvalidElections == nil ||
		rep.Events == 0 || rep.EventsPerS <= 0 || rep.Unexpected != 0 || rep.PeakRSSBytes <= 0 {
		t.Errorf("report %s", out)
	}
	// The probe reads once at start, so there is always a first pair.
	if q := rep.Queries; q == nil || q.Queries < 2 || len(q.Regions) != 2 || q.Regions[0] != "22" ||
		q.P50ms > q.P99ms || q.P99ms > q.Maxms {
		t.Errorf("turnout queries during the load: %s", out)
	}
}
