package audit

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"ledger/witness"
)

// BenchmarkCosignQuorum measures the cost of one checkpoint's witnessing:
// from storing a newly signed checkpoint (100 events after the last one)
// to a quorum of three witnesses on loopback (httptest servers, state
// fsynced on the test's temporary directory) having cosigned it, each
// asked with a consistency proof from the size it holds. ns/op is the
// latency to the quorum; cpu-µs/op the process's CPU (user+system) in that
// time, the node's share and the three witnesses' together.
func BenchmarkCosignQuorum(b *testing.B) {
	for _, quorum := range []int{2, 3} {
		b.Run(fmt.Sprintf("quorum=%d_of_3", quorum), func(b *testing.B) { benchCosign(b, quorum) })
	}
}

func benchCosign(b *testing.B, quorum int) {
	const step = 100
	db := memDB(b)
	tree, err := NewTree(db)
	if err != nil {
		b.Fatal(err)
	}
	events := sealedEvents((b.N+1)*step, 50)
	ingest(b, db, tree, events[:step])
	skey, vkey, err := note.GenerateKey(rand.Reader, "ledger")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	var eps []WitnessEndpoint
	for i := range 3 {
		eps = append(eps, benchWitness(b, fmt.Sprintf("w.example/%d", i), vkey))
	}
	c, err := NewCosigner(CosignerConfig{Tree: tree, Witnesses: eps, Quorum: quorum, Poll: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	shutdown := c.Start(context.Background())
	defer shutdown(context.Background())
	var cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if i > 0 {
			ingest(b, db, tree, events[i*step:(i+1)*step])
		}
		before := cpuTime()
		b.StartTimer()
		cp, err := tree.Checkpoint(signer)
		if err == nil {
			err = tree.StoreCheckpoint(cp)
		}
		if err != nil {
			b.Fatal(err)
		}
		c.refresh()
		for c.quorumSize() < tree.Size() {
			time.Sleep(20 * time.Microsecond)
		}
		b.StopTimer()
		cpu += cpuTime() - before
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

func (c *Cosigner) quorumSize() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.quorum.size
}

func benchWitness(b *testing.B, name, logKey string) WitnessEndpoint {
	dir := b.TempDir()
	k, err := witness.LoadOrCreateKey(dir, name)
	if err != nil {
		b.Fatal(err)
	}
	w, err := witness.New(witness.Config{Dir: dir, Key: k, Logs: []string{logKey}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	b.Cleanup(srv.Close)
	ep, err := ParseWitnessEndpoint(k.VerifierKey + "+" + srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	return ep
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
