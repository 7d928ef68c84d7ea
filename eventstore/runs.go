package eventstore

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// The aggregate, region and actor indexes hold runs, not single events.
// Consecutive positions in one ingest batch that share an aggregate (with
// consecutive versions), a region or an actor are written as one entry:
// the key names the run's first event, the value says how many follow. A
// command's events always form a run, and a station's device or a
// counter recording back to back forms longer ones, so a batch of 50
// check-ins costs three index entries instead of 150. Pebble's work
// (memtable inserts, flushes, compactions) is per key, and at province
// scale its compactions were the largest cost of recording.
//
// Values, kept compatible with entries written one per event:
//
//	'a' kind 0 id 0 version -> position (8 bytes), [count (4 bytes) when more than 1]
//	'r' region 0 pos        -> empty when 1, else count (4 bytes)
//	'u' actor 0 pos         -> the same

// indexRun is an index entry being extended while a batch is built.
type indexRun struct {
	name    string // aggregate key, region or actor
	first   uint64 // first position
	version uint64 // first version ('a' only)
	count   uint64
}

// next reports whether the event at pos extends the run.
func (r *indexRun) next(name string, pos uint64) bool {
	return r.count > 0 && r.name == name && pos == r.first+r.count
}

// indexRuns gathers one batch's index entries into runs.
type indexRuns struct {
	agg, region, actor indexRun
	kind, id           string // of agg
}

// add adds e's index entries, writing out each run e does not extend.
func (x *indexRuns) add(b *pebble.Batch, e *Envelope, aggKey string) {
	if x.agg.next(aggKey, e.Position) && e.Version == x.agg.version+x.agg.count {
		x.agg.count++
	} else {
		x.flushAgg(b)
		x.agg = indexRun{name: aggKey, first: e.Position, version: e.Version, count: 1}
		x.kind, x.id = e.AggregateKind, e.AggregateID
	}
	x.region = x.extend(b, prefixRegion, x.region, e.Region, e.Position)
	if e.Actor != "" {
		x.actor = x.extend(b, prefixActor, x.actor, e.Actor, e.Position)
	}
}

// extend extends a position run of 'r' or 'u', or writes it out and
// starts another.
func (x *indexRuns) extend(b *pebble.Batch, prefix byte, r indexRun, name string, pos uint64) indexRun {
	if r.next(name, pos) {
		r.count++
		return r
	}
	x.flushPositions(b, prefix, r)
	return indexRun{name: name, first: pos, count: 1}
}

// flush writes out every open run; the batch is then complete.
func (x *indexRuns) flush(b *pebble.Batch) {
	x.flushAgg(b)
	x.flushPositions(b, prefixRegion, x.region)
	x.flushPositions(b, prefixActor, x.actor)
	x.reset()
}

func (x *indexRuns) reset() { *x = indexRuns{} }

func (x *indexRuns) flushAgg(b *pebble.Batch) {
	r := x.agg
	if r.count == 0 {
		return
	}
	var v [12]byte
	binary.BigEndian.PutUint64(v[:], r.first)
	n := 8
	if r.count > 1 {
		binary.BigEndian.PutUint32(v[8:], uint32(r.count))
		n = 12
	}
	_ = b.Set(aggEventKey(x.kind, x.id, r.version), v[:n], nil) // a batch's Set fails only when closed
	x.agg.count = 0
}

func (x *indexRuns) flushPositions(b *pebble.Batch, prefix byte, r indexRun) {
	if r.count == 0 {
		return
	}
	var v [4]byte
	n := 0
	if r.count > 1 {
		binary.BigEndian.PutUint32(v[:], uint32(r.count))
		n = 4
	}
	_ = b.Set(indexKey(prefix, r.name, r.first), v[:n], nil)
}

// AggregateRun decodes the value of an 'a' index entry: the position of
// the entry's first event and how many consecutive events (versions and
// positions both consecutive) it stands for.
func AggregateRun(v []byte) (first uint64, count uint64, ok bool) {
	switch len(v) {
	case 8:
		return binary.BigEndian.Uint64(v), 1, true
	case 12:
		n := uint64(binary.BigEndian.Uint32(v[8:]))
		return binary.BigEndian.Uint64(v), n, n > 0
	}
	return 0, 0, false
}

// PositionRun decodes the value of an 'r' or 'u' index entry: how many
// consecutive positions, from the one in its key, it stands for.
func PositionRun(v []byte) (count uint64, ok bool) {
	switch len(v) {
	case 0:
		return 1, true
	case 4:
		n := uint64(binary.BigEndian.Uint32(v))
		return n, n > 0
	}
	return 0, false
}
