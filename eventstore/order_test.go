package eventstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// orderProbe is an Applier that looks at what ingest put into the batch
// before it: the families of keys, in order.
type orderProbe struct {
	mu       sync.Mutex
	batches  int
	maxCmds  int // commands in the fullest batch
	problems []string
}

// family ranks the event store's key prefixes in the order ingest writes
// them: events, event IDs, commands, then the aggregate, region and actor
// index entries.
var family = map[byte]int{'e': 0, 'i': 1, 'c': 2, 'a': 3, 'r': 3, 'u': 3}

func (*orderProbe) Name() string { return "order-probe" }

func (p *orderProbe) Apply(b *pebble.Batch, _ []eventstore.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batches++
	r := b.Reader()
	last, cmds := 0, 0
	for {
		_, k, _, ok, err := r.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		f, known := family[k[0]]
		if !known {
			p.problems = append(p.problems, fmt.Sprintf("batch %d: key %q of no event store family", p.batches, k))
			continue
		}
		if f < last {
			p.problems = append(p.problems, fmt.Sprintf("batch %d: key %q after a key of a later family", p.batches, k))
		}
		last = f
		if k[0] == 'c' {
			cmds++
		}
	}
	p.maxCmds = max(p.maxCmds, cmds)
	return nil
}

// TestIngestWritesKeysByFamily: ingest fills its Pebble batch family by
// family (events, event IDs, commands, index entries), both live and when
// it rebuilds Pebble from the stream in batches of many commands, so that
// Pebble's memtable inserts each key next to the one before it.
func TestIngestWritesKeysByFamily(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(p *orderProbe) *eventstore.Store {
		s, err := eventstore.Open(ctx, eventstore.Config{Dir: dir, Appliers: []eventstore.Applier{p}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	live := &orderProbe{}
	s := open(live)
	versions := map[int]uint64{}
	for i := range 24 {
		a := i % 4
		meta := eventstore.Meta{CommandID: fmt.Sprintf("order-%d", i), Actor: fmt.Sprintf("recorder-%d", i%3)}
		r, err := s.Append(ctx, storetest.Agg(a), versions[a], meta, storetest.Event(3*i), storetest.Event(3*i+1), storetest.Event(3*i+2))
		if err != nil {
			t.Fatal(err)
		}
		versions[a] = r.Version
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
		t.Fatal(err)
	}
	rebuilt := &orderProbe{}
	s = open(rebuilt)
	defer s.Close()
	if err := s.WaitFor(ctx, 72); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*orderProbe{"live": live, "rebuild": rebuilt} {
		p.mu.Lock()
		if p.batches == 0 {
			t.Errorf("%s: the probe saw no batch", name)
		}
		for _, problem := range p.problems {
			t.Errorf("%s: %s", name, problem)
		}
		p.mu.Unlock()
	}
	if rebuilt.maxCmds < 2 {
		t.Errorf("the rebuild's fullest batch held %d commands; the test needs batches of several", rebuilt.maxCmds)
	}
	storetest.CheckLog(t, storetest.ReadAll(t, s))
}
