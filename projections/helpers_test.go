package projections

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"ledger/domain"
	"ledger/eventstore"
)

// testLog plays the event store's ingest for unit tests: it binds the
// Appliers to the database, writes events and the store's index keys into
// one write-only batch per group and runs the Appliers on that batch, as
// eventstore does (see eventstore/ingest.go).
type testLog struct {
	t     testing.TB
	db    *pebble.DB
	set   *Set
	pos   uint64
	heads map[string]eventstore.Envelope
	group []eventstore.Envelope
	clock time.Time
}

func newTestLog(t testing.TB, set *Set) *testLog {
	t.Helper()
	return newTestLogAt(t, set, vfs.NewMem(), "")
}

// newTestLogAt is newTestLog with Pebble in dir of fs (benchmarks use the disk).
func newTestLogAt(t testing.TB, set *Set, fs vfs.FS, dir string) *testLog {
	t.Helper()
	opts := &pebble.Options{FS: fs, Logger: quiet{}, MemTableSize: 64 << 20}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10) // as eventstore opens Pebble
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := &testLog{t: t, db: db, heads: map[string]eventstore.Envelope{},
		clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if set != nil {
		l.use(set)
	}
	return l
}

// use binds set's Appliers to the database, as the event store does, and
// applies the groups flushed from now on to them.
func (l *testLog) use(set *Set) {
	for _, a := range set.Appliers() {
		if err := a.(eventstore.Binder).Bind(l.db); err != nil {
			l.t.Fatal(err)
		}
	}
	l.set = set
}

type quiet struct{}

func (quiet) Infof(string, ...any)         {}
func (quiet) Errorf(string, ...any)        {}
func (quiet) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// add queues one event of ref, occurred at now.
func (l *testLog) add(ref domain.AggregateRef, now time.Time, actor string, ev domain.Event) {
	payload, err := json.Marshal(ev)
	if err != nil {
		l.t.Fatal(err)
	}
	l.addRaw(ref, now, actor, ev.EventType(), payload)
}

func (l *testLog) addRaw(ref domain.AggregateRef, now time.Time, actor, typ string, payload []byte) {
	k := string(ref.Kind) + "/" + ref.ID
	prev := l.heads[k]
	l.pos++
	l.clock = l.clock.Add(time.Millisecond)
	e := eventstore.Envelope{EventID: fmt.Sprintf("ev%08d", l.pos), Type: typ, SchemaVersion: domain.SchemaVersion,
		AggregateKind: string(ref.Kind), AggregateID: ref.ID, Version: prev.Version + 1, Region: string(ref.Region),
		RecordedAt: l.clock, OccurredAt: now.UTC(), Actor: actor, CommandID: fmt.Sprintf("cmd%08d", l.pos),
		Payload: payload, PrevHash: prev.Hash, Position: l.pos, Seq: l.pos}
	e.Seal()
	l.heads[k] = e
	l.group = append(l.group, e)
}

// flush writes the queued group and applies it.
func (l *testLog) flush() {
	if len(l.group) == 0 {
		return
	}
	b := l.db.NewBatch()
	defer b.Close()
	for i := range l.group {
		writeStoreKeys(b, &l.group[i])
	}
	if l.set != nil {
		for _, a := range l.set.Appliers() {
			if err := a.Apply(b, l.group); err != nil {
				l.t.Fatal(err)
			}
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		l.t.Fatal(err)
	}
	l.group = l.group[:0]
}

// writeStoreKeys writes an event and its index entries the way eventstore does.
func writeStoreKeys(b *pebble.Batch, e *eventstore.Envelope) {
	v := e.AppendCanonical(nil)
	v = append(v, e.Hash[:]...)
	v = binary.BigEndian.AppendUint64(v, e.Seq)
	pos := binary.BigEndian.AppendUint64(nil, e.Position)
	_ = b.Set(eventKey(e.Position), v, nil)
	_ = b.Set(binary.BigEndian.AppendUint64(aggPrefix(e.AggregateKind, e.AggregateID), e.Version), pos, nil)
	_ = b.Set(binary.BigEndian.AppendUint64(append(append([]byte{'r'}, e.Region...), 0), e.Position), nil, nil)
	if e.Actor != "" {
		_ = b.Set(binary.BigEndian.AppendUint64(append(append([]byte{'u'}, e.Actor...), 0), e.Position), nil, nil)
	}
}

// scenarioLine is one line of a testdata/*.jsonl scenario (the domain's format).
type scenarioLine struct {
	CommandType string          `json:"command_type"`
	Now         time.Time       `json:"now"`
	Body        json.RawMessage `json:"body"`
	WantError   string          `json:"want_error,omitempty"`
	Actor       string          `json:"actor,omitempty"`
}

// step is one command that produced events.
type step struct {
	ref    domain.AggregateRef
	now    time.Time
	events []domain.Event
}

// runScenario drives a scenario through domain.Decide and Evolve and
// returns the events of each accepted command, in order.
func runScenario(t testing.TB, file string) []step {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	states := map[domain.AggregateRef]domain.State{}
	var out []step
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l scenarioLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		cmd, err := domain.DecodeCommand(l.CommandType, l.Body)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		cmds := []domain.Command{cmd}
		for len(cmds) > 0 { // the command, then its follow-ups, as the application records them
			c := cmds[0]
			cmds = cmds[1:]
			st, evs, ok := decide(states, c, l.Now, l.Actor)
			if !ok {
				continue // the scenario's expected rejections
			}
			states[c.Target()] = st
			out = append(out, step{ref: c.Target(), now: l.Now, events: evs})
			cmds = append(cmds, domain.FollowUps(c, evs, st)...)
		}
	}
	return out
}

// decide runs one command on states, returning the target's new state and the events.
func decide(states map[domain.AggregateRef]domain.State, cmd domain.Command, now time.Time, actor string) (domain.State, []domain.Event, bool) {
	env := domain.Env{Now: now, Actor: actor, Related: map[domain.AggregateRef]domain.State{}}
	for _, r := range cmd.Related() {
		if st, ok := states[r]; ok {
			env.Related[r] = st
		}
	}
	ref := cmd.Target()
	evs, err := domain.Decide(states[ref], cmd, env)
	if err != nil {
		return nil, nil, false
	}
	st := states[ref]
	if st == nil {
		st = domain.NewState(ref)
	}
	for _, ev := range evs {
		st = domain.Evolve(st, ev)
	}
	return st, evs, true
}

// snapshot returns every read-model key and value in db.
func snapshot(t testing.TB, db pebble.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := scan(context.Background(), db, []byte("p"), func(k, v []byte) error {
		out["p"+string(k)] = string(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eventKey and aggPrefix copy eventstore's key layout (eventstore/keys.go)
// so that tests can write a log without JetStream, and corrupt it.
func eventKey(pos uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{'e'}, pos)
}

func aggPrefix(kind, id string) []byte {
	k := append([]byte{'a'}, kind...)
	k = append(k, 0)
	k = append(k, id...)
	return append(k, 0)
}
