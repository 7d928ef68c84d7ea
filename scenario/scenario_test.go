package scenario

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"sync"
	"testing"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
)

// world is an in-memory executor: the pure domain, with states by ref.
type world struct {
	mu     sync.Mutex
	states map[domain.AggregateRef]domain.State
	seen   map[string]bool
}

func newWorld() *world {
	return &world{states: map[domain.AggregateRef]domain.State{}, seen: map[string]bool{}}
}

func (w *world) Execute(_ context.Context, cmd domain.Command, meta app.Meta) (app.Outcome, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	env := domain.Env{Now: meta.OccurredAt, Related: map[domain.AggregateRef]domain.State{}}
	for _, r := range cmd.Related() {
		if st, ok := w.states[r]; ok {
			env.Related[r] = st
		}
	}
	ref := cmd.Target()
	st := w.states[ref]
	events, err := domain.Decide(st, cmd, env)
	if err != nil {
		return app.Outcome{}, err
	}
	if st == nil {
		st = domain.NewState(ref)
	}
	var out app.Outcome
	for _, ev := range events {
		st = domain.Evolve(st, ev)
		b, _ := json.Marshal(ev)
		out.Events = append(out.Events, envelope(ev.EventType(), b))
	}
	w.states[ref] = st
	return out, nil
}

func TestStepsThroughDomain(t *testing.T) {
	cfg := Config{Scale: 0.002, Seed: 7, Recorders: 8}
	sum, err := Record(context.Background(), newWorld(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unexpected != 0 {
		t.Fatalf("%d unexpected outcomes: %v", sum.Unexpected, sum.UnexpectedSamples)
	}
	checkInvariants(t, sum)
	t.Logf("%+v", *sum)
}

// TestBatchedRecordsTheSameEvents records one scenario with a command per
// check-in and ballot, and again with batches: the events, and all the
// summary says of them, are the same; only the commands are fewer.
func TestBatchedRecordsTheSameEvents(t *testing.T) {
	record := func(batch int) (*Summary, map[domain.AggregateRef]domain.State) {
		w := newWorld()
		sum, err := Record(context.Background(), w, Config{Scale: 0.002, Seed: 7, Recorders: 8, Batch: batch}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Unexpected != 0 {
			t.Fatalf("batch %d: %d unexpected outcomes: %v", batch, sum.Unexpected, sum.UnexpectedSamples)
		}
		return sum, w.states
	}
	one, oneStates := record(1)
	many, manyStates := record(50)
	if many.Commands*3 > one.Commands {
		t.Errorf("batches of 50 took %d commands, singles %d: want far fewer", many.Commands, one.Commands)
	}
	one.Commands, many.Commands = 0, 0
	if !reflect.DeepEqual(one, many) {
		t.Errorf("summaries differ:\nsingles %+v\nbatched %+v", *one, *many)
	}
	if !reflect.DeepEqual(oneStates, manyStates) {
		t.Error("the aggregates' states differ")
	}
	checkInvariants(t, many)
}

func checkInvariants(t *testing.T, s *Summary) {
	t.Helper()
	if s.Elections == 0 || s.RegisteredVoters == 0 || s.CheckedIn == 0 {
		t.Fatalf("empty summary: %+v", *s)
	}
	if s.CheckedIn > s.RegisteredVoters {
		t.Errorf("checked in %d > registered %d", s.CheckedIn, s.RegisteredVoters)
	}
	if s.CheckedIn > s.CheckIns {
		t.Errorf("first-round check-ins %d > all check-ins %d", s.CheckedIn, s.CheckIns)
	}
	if s.Refused == 0 {
		t.Errorf("no deliberate refusals")
	}
	if s.Recalls == 0 || s.VoidedElections == 0 || s.Consultations == 0 || s.Inspections == 0 {
		t.Errorf("missing a recall, a voided result, a consultation or an inspection: %+v", *s)
	}
	var reg, in int64
	for _, c := range s.Cities {
		reg += c.Registered
		in += c.CheckedIn
		if c.CheckedIn > c.Registered {
			t.Errorf("city %s: checked in %d > registered %d", c.Code, c.CheckedIn, c.Registered)
		}
	}
	if reg != s.RegisteredVoters || in != s.CheckedIn {
		t.Errorf("cities sum to %d/%d, province %d/%d", reg, in, s.RegisteredVoters, s.CheckedIn)
	}
}

func TestDeterminism(t *testing.T) {
	digest := func(seed uint64) []string {
		var out []string
		for st := range New(Config{Scale: 0.0003, Seed: seed}).Steps() {
			b, err := json.Marshal(st.Cmd)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st.Meta.CommandID+" "+st.Meta.OccurredAt.String()+" "+string(b))
		}
		return out
	}
	a, b, c := digest(1), digest(1), digest(2)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d differs with the same seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	same := len(a) == len(c)
	for i := 0; same && i < len(a); i++ {
		same = a[i] == c[i]
	}
	if same {
		t.Fatal("seeds 1 and 2 give the same commands")
	}
}

func TestProvinceShape(t *testing.T) {
	got := ProvinceShape()
	if got.Cities != 9 || got.Counties != 60 || got.Communities != 1451 || got.Villages != 9340 {
		t.Errorf("shape %+v, want 9 cities, 60 counties, 1451 communities, 9340 villages", got)
	}
	if got.Townships < 800 || got.Townships > 1300 {
		t.Errorf("%d townships, want about 1,000", got.Townships)
	}
	if n := len(New(Config{Scale: 1}).Units()); n != 1451+9340 {
		t.Errorf("scale 1 selects %d units", n)
	}
	v := ProvinceVoters(1)
	if math.Abs(float64(v)-21e6)/21e6 > 0.04 {
		t.Errorf("%d voters at scale 1, want about 21 million", v)
	}
	seen := map[domain.Region]bool{}
	eachUnit(func(u Unit) bool {
		if u.Region.Level() != domain.LevelVillage || u.Township.Level() != domain.LevelTownship || seen[u.Region] {
			t.Fatalf("bad or duplicate unit code %s (%s)", u.Region, u.Township)
		}
		seen[u.Region] = true
		return true
	})
}

func TestScaleSelectsEveryCity(t *testing.T) {
	cities := map[int]bool{}
	units := New(Config{Scale: 0.002}).Units()
	for _, u := range units {
		cities[u.City] = true
	}
	if len(units) != 22 || len(cities) < 8 {
		t.Errorf("scale 0.002: %d units in %d cities", len(units), len(cities))
	}
}

func envelope(typ string, payload []byte) eventstore.Envelope {
	return eventstore.Envelope{Type: typ, Payload: payload}
}

// BenchmarkSteps measures generation alone: the cost per command that
// recording adds on top of the command path.
func BenchmarkSteps(b *testing.B) {
	sc := New(Config{Scale: 0.0005, Seed: 1})
	n := 0
	for b.Loop() {
		for range sc.Steps() {
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/command")
}

// TestEstimateCloseToCommands: the progress bar's estimate stays within
// 10% of the commands the scenario holds, with single commands and with
// the demo's batches (where it once ran a third over).
func TestEstimateCloseToCommands(t *testing.T) {
	for _, batch := range []int{1, DeviceBatch} {
		s := New(Config{Scale: 0.01, Seed: 1, Batch: batch})
		n := 0
		for range s.Steps() {
			n++
		}
		if est := s.Estimate(); est < n*9/10 || est > n*11/10 {
			t.Errorf("batch %d: estimate %d for %d commands", batch, est, n)
		}
	}
}
