package history

import (
	"context"
	"slices"
	"testing"

	"github.com/oklog/ulid/v2"

	"ledger/eventstore"
)

// TestTrailPagesThroughRuns: the event store writes a command's events as
// one index entry; the audit trail by aggregate, actor and region still
// lists each event once, in order, also when a page ends inside a run.
func TestTrailPagesThroughRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded NATS server")
	}
	ctx := context.Background()
	store, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir(), MemoryStorage: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := eventstore.Aggregate{Kind: "station", ID: "A", Region: "220102001001"}
	b := eventstore.Aggregate{Kind: "station", ID: "B", Region: "220203001001"}
	ev := eventstore.EventData{Type: "station.voter_checked_in", SchemaVersion: 1, Payload: []byte(`{"roll_no":1}`)}
	want := map[string][]uint64{}
	versions := map[string]uint64{}
	for i, c := range []struct {
		agg   eventstore.Aggregate
		actor string
		n     int
	}{{a, "clerk-a", 7}, {b, "clerk-b", 3}, {a, "clerk-a", 5}, {a, "clerk-b", 2}, {b, "clerk-b", 4}} {
		r, err := store.Append(ctx, c.agg, versions[c.agg.ID], eventstore.Meta{CommandID: ulid.Make().String(), Actor: c.actor},
			slices.Repeat([]eventstore.EventData{ev}, c.n)...)
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		versions[c.agg.ID] = r.Version
		for p := r.FirstPosition; p <= r.LastPosition; p++ {
			for _, k := range []string{"agg " + c.agg.ID, "actor " + c.actor, "region " + c.agg.Region[:6], "region 22"} {
				want[k] = append(want[k], p)
			}
		}
	}
	for key, q := range map[string]Query{
		"agg A": {Kind: "station", ID: "A"}, "agg B": {Kind: "station", ID: "B"},
		"actor clerk-a": {Actor: "clerk-a"}, "actor clerk-b": {Actor: "clerk-b"},
		"region 220203": {Region: "220203"}, "region 22": {Region: "22"},
	} {
		q.Limit = 3
		var got []uint64
		for pages := 0; pages < 20; pages++ {
			page, err := Trail(ctx, store.Log(), q)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			for _, e := range page.Entries {
				got = append(got, e.Position)
			}
			if page.Next == 0 {
				break
			}
			q.After = page.Next
		}
		if !slices.Equal(got, want[key]) {
			t.Errorf("%s: positions %v, want %v", key, got, want[key])
		}
	}
}
