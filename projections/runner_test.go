package projections

import (
	"context"
	"encoding/json"

	"ledger/eventstore"
	"testing"
	"time"
)

// TestCatchUpAndSkip adds a read model to a log that already holds events:
// the first Apply fills the gap from the log, and events at or below the
// checkpoint (redelivered) are not applied twice.
func TestCatchUpAndSkip(t *testing.T) {
	steps := runScenario(t, "testdata/village_election.jsonl")
	ref := newTestLog(t, New(Options{}))
	feed(ref, steps, 3)
	want := readModels(t, ref.db, steps)

	l := newTestLog(t, nil)
	half := len(steps) / 2
	feed(l, steps[:half], 3)
	l.use(New(Options{CacheEntries: 8}))
	feed(l, steps[half:], 3)
	if got := readModels(t, l.db, steps); string(got) != string(want) {
		t.Fatal("read models after catch-up differ from those built from the start")
	}
	// Redeliver the last group: nothing changes.
	before := snapshot(t, l.db)
	b := l.db.NewIndexedBatch()
	defer b.Close()
	for _, a := range l.set.Appliers() {
		if err := a.Apply(b, lastEvents(l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, l.db)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("redelivery changed %q", k)
		}
	}
}

func lastEvents(l *testLog) []eventstore.Envelope {
	var out []eventstore.Envelope
	for _, e := range l.heads {
		out = append(out, e)
	}
	return out
}

func TestLagBehind(t *testing.T) {
	steps := runScenario(t, "testdata/consultation.jsonl")
	l := newTestLog(t, nil)
	feed(l, steps, 4)
	lags, err := New(Options{}).Lags(context.Background(), l.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, lg := range lags {
		if lg.Behind != l.pos || lg.Checkpoint != 0 || lg.SecondsBehind <= 0 {
			t.Errorf("lag %+v, want %d behind", lg, l.pos)
		}
	}
}

func TestParseHotPayloads(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 7, 3, 5, time.FixedZone("", 8*3600))
	p, _ := json.Marshal(map[string]any{"round": 2, "roll_no": 7, "mode": "proxy", "proxy_holder_roll_no": 9, "at": at})
	var c checkIn
	if !c.parse(p) || c.round != 2 || string(c.mode) != "proxy" || c.at != at.Unix() {
		t.Errorf("check-in %s: %+v", p, c)
	}
	var bl ballot
	if !bl.parse([]byte(`{"round":1,"candidates":["c1","c\"2"],"write_ins":["王<五>"],"blank":false,"invalid":true}`)) || !bl.invalid || bl.round != 1 {
		t.Errorf("ballot: %+v", bl)
	}
	var got []string
	eachString(bl.candidates, func(s []byte) { got = append(got, string(s)) })
	if len(got) != 2 || got[1] != `c"2` {
		t.Errorf("candidates %q", got)
	}
	for _, bad := range []string{``, `{`, `{"round":}`, `{"round":1,}`, `[1]`, `{"round":"x"}`} {
		if c.parse([]byte(bad)) {
			t.Errorf("parsed %q", bad)
		}
	}
}

// FuzzCheckInPayload: the payload scanner never panics, and whatever it
// accepts encoding/json reads the same round and mode from.
func FuzzCheckInPayload(f *testing.F) {
	f.Add([]byte(`{"round":1,"roll_no":5,"mode":"in_person","at":"2026-05-01T09:00:00+08:00"}`))
	f.Add([]byte(`{"round":1,"mode":"mo\u0062ile_box","at":"2026-05-01T01:00:00.5Z"}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		var c checkIn
		if !c.parse(p) {
			return
		}
		var ref struct {
			Round *int   `json:"round"`
			Mode  string `json:"mode"`
		}
		if json.Unmarshal(p, &ref) != nil {
			return // the scanner is more lenient about some malformed input; it never misreads good input
		}
		if ref.Round != nil && *ref.Round != c.round || ref.Mode != string(c.mode) {
			t.Errorf("%q: scanner %d %q, encoding/json %v %q", p, c.round, c.mode, ref.Round, ref.Mode)
		}
	})
}
