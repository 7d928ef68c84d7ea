package audit

import (
	"context"
	"testing"

	"ledger/eventstore"
)

// BenchmarkTreeAppend measures the tree's share of ingest: checking each
// event's hash and chain and adding it as a leaf, in ingest-sized batches
// committed to an in-memory Pebble.
func BenchmarkTreeAppend(b *testing.B) {
	db := memDB(b)
	tree, err := NewTree(db)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	events := sealedEvents(b.N+batch, 500)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		group := events[i:min(i+batch, b.N)]
		if err := applyAll(b, tree, db, group); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkVerifyPebble measures the Pebble pass of Verify over a log
// written in the store's stored form (canonical bytes, hash, sequence)
// with its tree, on an in-memory Pebble.
func BenchmarkVerifyPebble(b *testing.B) {
	const n = 200_000
	db := memDB(b)
	tree, _ := NewTree(db)
	events := sealedEvents(n, 500)
	for i := 0; i < n; i += 4096 {
		ingest(b, db, tree, events[i:min(i+4096, n)])
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		r, err := Verify(context.Background(), VerifyOptions{DB: db})
		if err != nil || !r.Intact || r.Pebble.Events != n {
			b.Fatalf("%+v %v", r, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

func storedForm(e *eventstore.Envelope) []byte {
	v := e.AppendCanonical(nil)
	v = append(v, e.Hash[:]...)
	var seq [8]byte
	for i := range seq {
		seq[i] = byte(e.Seq >> (56 - 8*i))
	}
	return append(v, seq[:]...)
}
