package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"ledger/eventstore"
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

// TestCacheGenerations: the write-side cache keeps the cells touched in
// the current generation and the one before, and drops the others once
// the current one is full.
func TestCacheGenerations(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Set([]byte("hot"), []byte{0, 0, 0, 0, 0, 0, 0, 7}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	c := newCache(8)
	touch := func(keys ...string) {
		for _, k := range keys {
			if _, err := c.load(db, []byte(k), true); err != nil {
				t.Fatal(err)
			}
		}
	}
	cached := func(k string) bool {
		_, in := c.m[k]
		_, old := c.old[k]
		return in || old
	}
	bump := func() { // as a batch does: change hot, flush into a batch that is not committed
		hot, _ := c.load(db, []byte("hot"), true)
		hot.vec[0]++
		c.markDirty(hot)
		if _, err := c.flush(db.NewBatch(), nil); err != nil {
			t.Fatal(err)
		}
	}
	bump()
	touch("a", "b")
	c.trim() // 3 < 4: nothing happens
	if !cached("a") || len(c.old) != 0 {
		t.Fatal("trimmed before the generation was full")
	}
	touch("c") // 4: a new generation starts
	c.trim()
	bump() // from the old generation, not from Pebble
	touch("d", "e", "f")
	c.trim()
	for _, k := range []string{"a", "b", "c"} {
		if cached(k) {
			t.Errorf("%q still cached two generations after its last use", k)
		}
	}
	if cl, ok := c.old["hot"]; !ok || cl.vec[0] != 9 {
		t.Errorf("the hot cell was lost or reloaded: %+v", cl)
	}
}

// TestCacheKeyFilter: a cache that watches its key range reads every key
// the database holds, skips the read of a key nobody wrote, and still finds
// every key it wrote itself after its filter has grown.
func TestCacheKeyFilter(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vec := func(n int64) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, byte(n)} }
	if err := db.Set([]byte("pto/s/old"), vec(5), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	lo, hi := prefixBounds(shortTurnout)
	c := newCache(1 << 20)
	if err := c.watch(db, lo, hi); err != nil {
		t.Fatal(err)
	}
	if cl, err := c.load(db, []byte("pto/s/old"), true); err != nil || len(cl.vec) != 1 || cl.vec[0] != 5 {
		t.Fatalf("a stored key read back as %+v, %v", cl, err)
	}
	// Written behind the cache's back (nothing does this): the filter says
	// the key is new, so load does not read it.
	if err := db.Set([]byte("pto/s/foreign"), vec(9), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if cl, _ := c.load(db, []byte("pto/s/foreign"), true); len(cl.vec) != 0 {
		t.Errorf("a key the filter does not hold was read: %+v", cl)
	}

	// Write more keys than the filter was sized for, a batch at a time.
	for batch := range 3 {
		b := db.NewBatch()
		for i := range minKeyRoom * 2 / 3 {
			cl, err := c.load(db, fmt.Appendf(nil, "pto/g/%d/%d", batch, i), true)
			if err != nil {
				t.Fatal(err)
			}
			cl.vec = append(cl.vec, int64(i))
			c.markDirty(cl)
		}
		if _, err := c.flush(b, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.trim(); err != nil { // before the commit, as the store does
			t.Fatal(err)
		}
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if c.room <= minKeyRoom {
		t.Fatalf("the filter was not sized again: room %d for %d keys", c.room, c.held)
	}
	fresh := newCache(16) // nothing cached: every key comes from the database
	fresh.keys, fresh.src, fresh.room = c.keys, db, c.room
	for batch := range 3 {
		for _, i := range []int{0, 1, minKeyRoom/2 + 7} {
			cl, err := fresh.load(db, fmt.Appendf(nil, "pto/g/%d/%d", batch, i), true)
			if err != nil || len(cl.vec) != 1 || cl.vec[0] != int64(i) {
				t.Fatalf("key %d of batch %d read back as %+v, %v", i, batch, cl, err)
			}
		}
	}
}
