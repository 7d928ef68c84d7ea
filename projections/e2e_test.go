package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/history"
)

// TestEndToEnd records the village election scenario through the real
// event store (embedded NATS, Pebble on disk) with the read models
// registered as Appliers, and checks that they equal the golden read models
// built by the unit-test ingest, that the audit trail and time travel work
// on the store's indexes, and that a rebuild is byte-identical.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded NATS server")
	}
	ctx := context.Background()
	set := New(Options{})
	store, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir(), Appliers: set.Appliers(), MemoryStorage: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	steps := runScenario(t, "testdata/village_election.jsonl")
	versions := map[string]uint64{}
	var mid eventstore.Result
	for i, s := range steps {
		var data []eventstore.EventData
		for _, ev := range s.events {
			p, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, eventstore.EventData{Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Payload: p})
		}
		agg := eventstore.Aggregate{Kind: string(s.ref.Kind), ID: s.ref.ID, Region: string(s.ref.Region)}
		res, err := store.Append(ctx, agg, versions[agg.String()], eventstore.Meta{CommandID: ulid.Make().String(),
			Actor: "secretary-" + string(rune('a'+i%3)), OccurredAt: s.now}, data...)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		versions[agg.String()] = res.Version
		if i == len(steps)/2 {
			mid = res
		}
	}
	db := store.DB()
	if n := set.Skipped(); n != 0 {
		t.Errorf("%d events skipped", n)
	}
	got := readModels(t, db, steps)
	want, err := os.ReadFile("testdata/village_election.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("read models through the real store differ from testdata/village_election.golden.json")
	}
	checkAuditAndStateAt(t, db, mid, steps)
	lags, err := set.Lags(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lags {
		if l.Behind != 0 || l.Checkpoint == 0 {
			t.Errorf("lag %+v, want caught up", l)
		}
	}
	checkRebuild(t, db)
}

func checkAuditAndStateAt(t *testing.T, db pebble.Reader, mid eventstore.Result, steps []step) {
	t.Helper()
	ctx := context.Background()
	log := eventstore.LogOf(db)
	e := mid.Events[len(mid.Events)-1]
	ref := domain.AggregateRef{Kind: domain.AggregateKind(e.AggregateKind), ID: e.AggregateID, Region: domain.Region(e.Region)}
	page, err := history.Trail(ctx, log, history.Query{Kind: e.AggregateKind, ID: e.AggregateID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 || page.Entries[0].CommandID == "" || page.Entries[0].RecordedAt.IsZero() {
		t.Fatalf("aggregate audit: %+v", page)
	}
	_, v, err := history.StateAt(ctx, log, ref, history.AsOf{Position: e.Position})
	if err != nil || v != e.Version {
		t.Errorf("StateAt position %d: version %d, %v; want %d", e.Position, v, err, e.Version)
	}
	_, v, err = history.StateAt(ctx, log, ref, history.AsOf{Time: e.RecordedAt})
	if err != nil || v != e.Version {
		t.Errorf("StateAt time: version %d, %v; want %d", v, err, e.Version)
	}
	_, _, err = history.StateAt(ctx, log, ref, history.AsOf{Time: time.Unix(1, 0)})
	if !errors.Is(err, history.ErrNotFound) {
		t.Errorf("StateAt before the first event: %v, want ErrNotFound", err)
	}
	byTime, err := history.Trail(ctx, log, history.Query{From: e.RecordedAt, Limit: 3})
	if err != nil || len(byTime.Entries) == 0 || byTime.Entries[0].Position != e.Position {
		t.Errorf("audit from %v: %+v, %v; want position %d first", e.RecordedAt, byTime, err, e.Position)
	}
	city, err := history.Trail(ctx, log, history.Query{Region: "2201", Limit: 10_000})
	total := 0
	for _, s := range steps {
		total += len(s.events)
	}
	if err != nil || len(city.Entries) != total {
		t.Errorf("city audit: %d entries, %v; want all %d", len(city.Entries), err, total)
	}
	actor, err := history.Trail(ctx, log, history.Query{Actor: "secretary-a", Limit: 5})
	if err != nil || len(actor.Entries) != 5 || actor.Next == 0 {
		t.Errorf("actor audit: %d entries, next %d, %v", len(actor.Entries), actor.Next, err)
	}
	for _, en := range actor.Entries {
		if en.Actor != "secretary-a" {
			t.Errorf("actor audit returned %q", en.Actor)
		}
	}
}
