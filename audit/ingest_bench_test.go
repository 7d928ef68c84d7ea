package audit

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// BenchmarkIngestTreeShare measures what the Merkle tree adds to ingest:
// the same stream (b.N events of about 300 bytes from 64 writers) is
// ingested into a fresh Pebble five times without the tree and five times
// with it, alternating, and the medians are compared. It reports ingest
// events/s and CPU µs per event for both, the tree's share (the extra
// ingest time and CPU as a percentage of ingest without it), and, from
// the runs with the tree, the time spent inside the tree's Apply as a
// percentage of their ingest time (tree-apply-%), which run-to-run noise
// does not blur.
//
//	go test ./audit -run '^$' -bench IngestTreeShare -benchtime 100000x
func BenchmarkIngestTreeShare(b *testing.B) {
	dir := b.TempDir()
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	storetest.Fill(b, s, b.N)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	runs := map[bool][]ingestRun{}
	for range 5 {
		for _, withTree := range []bool{false, true} {
			runs[withTree] = append(runs[withTree], ingestOnce(b, dir, b.N, withTree))
		}
	}
	b.StopTimer()
	plain, tree := median(runs[false]), median(runs[true])
	var applyShare []float64
	for _, r := range runs[true] {
		applyShare = append(applyShare, 100*r.apply.Seconds()/r.wall.Seconds())
	}
	slices.Sort(applyShare)
	b.ReportMetric(applyShare[len(applyShare)/2], "tree-apply-%")
	b.ReportMetric(float64(b.N)/plain.wall.Seconds(), "plain-events/s")
	b.ReportMetric(float64(b.N)/tree.wall.Seconds(), "tree-events/s")
	b.ReportMetric(float64(plain.cpu.Microseconds())/float64(b.N), "plain-cpu-µs/event")
	b.ReportMetric(float64(tree.cpu.Microseconds())/float64(b.N), "tree-cpu-µs/event")
	b.ReportMetric(100*(tree.wall.Seconds()/plain.wall.Seconds()-1), "tree-time-%")
	b.ReportMetric(100*(tree.cpu.Seconds()/plain.cpu.Seconds()-1), "tree-cpu-%")
}

type ingestRun struct{ wall, cpu, apply time.Duration }

// median takes the median wall time and, separately, the median CPU time.
func median(rs []ingestRun) ingestRun {
	walls, cpus := make([]time.Duration, len(rs)), make([]time.Duration, len(rs))
	for i, r := range rs {
		walls[i], cpus[i] = r.wall, r.cpu
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return ingestRun{wall: walls[len(rs)/2], cpu: cpus[len(rs)/2]}
}

// timedTree is the tree as an applier that keeps the time spent in Apply.
type timedTree struct {
	*Tree
	spent time.Duration
}

func (t *timedTree) Apply(b *pebble.Batch, events []eventstore.Envelope) error {
	start := time.Now()
	err := t.Tree.Apply(b, events)
	t.spent += time.Since(start)
	return err
}

// ingestOnce removes Pebble and reopens the store over the same stream,
// with or without the tree, and times ingest until it holds n events.
func ingestOnce(b *testing.B, dir string, n int, withTree bool) ingestRun {
	b.Helper()
	if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
		b.Fatal(err)
	}
	start, cpu0 := time.Now(), storetest.CPUTime()
	cfg := eventstore.Config{Dir: dir}
	var tt *timedTree
	if withTree {
		tree, _ := NewTree(nil)
		tt = &timedTree{Tree: tree}
		cfg.Appliers = []eventstore.Applier{tt}
	}
	s, err := eventstore.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.WaitFor(context.Background(), uint64(n)); err != nil {
		b.Fatal(err)
	}
	r := ingestRun{wall: time.Since(start), cpu: storetest.CPUTime() - cpu0}
	if tt != nil {
		r.apply = tt.spent
		if got := tt.Size(); got != uint64(n) {
			b.Fatalf("tree holds %d leaves after ingesting %d events", got, n)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return r
}
