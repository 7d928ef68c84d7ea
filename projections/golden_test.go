package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the read models")

// goldenNow is the "now" of the overdue-task and rectification queries.
var goldenNow = time.Date(2026, 12, 31, 12, 0, 0, 0, chinaTime)

// readModels renders every read model the steps touched, as indented JSON.
func readModels(t testing.TB, db pebble.Reader, steps []step) []byte {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	regions := map[string]bool{}
	elections := map[string]bool{}
	stations := map[string]bool{}
	for _, s := range steps {
		for _, l := range s.ref.Region.Levels() {
			regions[string(l)] = true
		}
		switch s.ref.Kind {
		case domain.KindElection:
			elections[s.ref.ID] = true
		case domain.KindStation:
			stations[s.ref.ID] = true
		}
	}
	must := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = v
	}
	for _, r := range slices.Sorted(maps.Keys(regions)) {
		v, err := TurnoutOfRegion(ctx, db, r)
		must("turnout/region/"+r, v, err)
		s, err := CheckInSeries(ctx, db, "region", r)
		must("series/region/"+r, s, err)
		if len(r) < 12 {
			c, err := TurnoutOfChildren(ctx, db, r)
			must("turnout/children/"+r, c, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(elections)) {
		v, err := TurnoutOfElection(ctx, db, id)
		must("turnout/election/"+id, v, err)
		s, err := CheckInSeries(ctx, db, "election", id)
		must("series/election/"+id, s, err)
		r, err := ResultsOf(ctx, db, id)
		must("results/"+id, r, err)
		for round := 1; round <= len(r.Rounds); round++ {
			rc, err := ReconciliationOf(ctx, db, id, round)
			must("recon/"+id+"/"+itoa(round), rc, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(stations)) {
		v, err := TurnoutOfStation(ctx, db, id)
		must("turnout/station/"+id, v, err)
		b, err := ReconciliationOfBox(ctx, db, id)
		must("recon/box/"+id, b, err)
	}
	c, err := ConsultationsIn(ctx, db, "22", goldenNow)
	must("consultations/22", c, err)
	s, err := SupervisionIn(ctx, db, "22", goldenNow)
	must("supervision/22", s, err)
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// feed appends the steps to l, several commands per ingest group.
func feed(l *testLog, steps []step, perGroup int) {
	for i, s := range steps {
		for _, ev := range s.events {
			l.add(s.ref, s.now, "tester", ev)
		}
		if (i+1)%perGroup == 0 {
			l.flush()
		}
	}
	l.flush()
}

func scenarios(t *testing.T) []string {
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	return files
}

// TestGolden folds each scenario's events into the read models and compares
// them with testdata/<scenario>.golden.json (rewritten with -update). It
// then rebuilds every read model from the log and checks that the rebuilt
// keys and values are byte-identical to those built live.
func TestGolden(t *testing.T) {
	for _, file := range scenarios(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".jsonl")
		t.Run(name, func(t *testing.T) {
			steps := runScenario(t, file)
			l := newTestLog(t, New(Options{CacheEntries: 16}))
			feed(l, steps, 5)
			if n := l.set.Skipped(); n != 0 {
				t.Errorf("%d events skipped", n)
			}
			got := readModels(t, l.db, steps)
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("read models differ from %s; diff against a run with -update", golden)
			}
			checkRebuild(t, l.db)
		})
	}
}

// checkRebuild rebuilds all read models and compares every 'p' key/value.
func checkRebuild(t *testing.T, db *pebble.DB) {
	t.Helper()
	live := snapshot(t, db)
	var calls int
	if err := Rebuild(context.Background(), db, "all", func(done, total uint64) { calls++ }); err != nil {
		t.Fatal(err)
	}
	rebuilt := snapshot(t, db)
	if calls == 0 {
		t.Error("progress never called")
	}
	for k, v := range live {
		if rebuilt[k] != v {
			t.Errorf("key %q: live %x, rebuilt %x", k, v, rebuilt[k])
		}
	}
	for k := range rebuilt {
		if _, ok := live[k]; !ok {
			t.Errorf("key %q only after rebuild", k)
		}
	}
}
