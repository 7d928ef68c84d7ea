package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/cockroachdb/pebble/v2"
)

// cell is one cached read-model value: a vector of counters or a blob.
type cell struct {
	key    string
	vec    []int64 // counters, stored as 8-byte big-endian words
	blob   []byte  // a blob value (JSON or an ID); nil means absent
	isVec  bool
	dirty  bool
	stored bool // the key is in the database, or in a batch flush wrote
}

// cache is a projection's write-side cache: values are loaded from Pebble
// on first touch, changed in memory, and written into every batch by
// flush. It is used by the one goroutine that applies events; queries never
// read it. It holds at most about max cells in two generations: cells
// touched in the current one (m) and in the one before (old). When m
// reaches max/2 after a flush, it becomes old and the cells of the old
// one are dropped, so that what is no longer used (an election day's
// quarter hour that has passed) goes, and what is still used stays.
//
// A cache that watches its read model's key range also keeps a Bloom
// filter of the keys the database may hold there: a first touch of a key
// it has never written (a new quarter hour of an election day, a new
// candidate) then costs no read, where Pebble would look for it in every
// level. A key the filter may hold is read as before.
type cache struct {
	m, old map[string]*cell
	dirty  []*cell
	max    int

	src        pebble.Reader      // the database the filter describes
	lo, hi     []byte             // the read model's key range
	keys       *bloom.BloomFilter // keys src (with the batches flush wrote) may hold
	room, held uint               // keys the filter was sized for, keys added to it
}

// Bloom filter sizing: at least minKeyRoom keys, and four times the keys
// found when it is built, at 1% false positives (about 1.2 bytes a key).
const (
	minKeyRoom    = 1 << 16
	keyFalsePos   = 0.01
	keyRoomFactor = 4
)

func newCache(max int) *cache {
	return &cache{m: make(map[string]*cell, 1024), old: map[string]*cell{}, max: max}
}

// errBadValue means a stored read-model value has the wrong shape.
var errBadValue = errors.New("projections: malformed stored value")

// load returns the cell of key, reading it through r on a miss.
func (c *cache) load(r pebble.Reader, key []byte, isVec bool) (*cell, error) {
	if cl, ok := c.m[string(key)]; ok {
		return cl, nil
	}
	if cl, ok := c.old[string(key)]; ok {
		delete(c.old, cl.key)
		c.m[cl.key] = cl
		return cl, nil
	}
	cl := &cell{key: string(key), isVec: isVec}
	if c.keys != nil && r == c.src && !c.keys.Test(key) {
		c.m[cl.key] = cl
		return cl, nil
	}
	v, closer, err := r.Get(key)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("projections: read %q: %w", key, err)
	default:
		cl.stored = true
		err = cl.decode(v)
		closer.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %q", err, key)
		}
	}
	c.m[cl.key] = cl
	return cl, nil
}

func (cl *cell) decode(v []byte) error {
	if !cl.isVec {
		cl.blob = append(make([]byte, 0, len(v)), v...)
		return nil
	}
	if len(v)%8 != 0 {
		return errBadValue
	}
	cl.vec = make([]int64, len(v)/8)
	for i := range cl.vec {
		cl.vec[i] = int64(binary.BigEndian.Uint64(v[8*i:]))
	}
	return nil
}

func (c *cache) markDirty(cl *cell) {
	if !cl.dirty {
		cl.dirty = true
		c.dirty = append(c.dirty, cl)
	}
}

// flush writes every dirty cell into b, in key order: Pebble inserts a
// batch's keys into its memtable one by one, each search starting from
// where the previous key landed, so neighbours (the counters of one
// election, of one region and those above it) cost one search, not one
// each. buf is scratch space; it returns it for reuse.
func (c *cache) flush(b *pebble.Batch, buf []byte) ([]byte, error) {
	slices.SortFunc(c.dirty, func(x, y *cell) int { return strings.Compare(x.key, y.key) })
	for _, cl := range c.dirty {
		buf = buf[:0]
		if cl.isVec {
			for _, v := range cl.vec {
				buf = binary.BigEndian.AppendUint64(buf, uint64(v))
			}
		} else {
			buf = append(buf, cl.blob...)
		}
		if err := b.Set([]byte(cl.key), buf, nil); err != nil {
			return buf, err
		}
		if !cl.stored && c.keys != nil {
			c.keys.AddString(cl.key)
			c.held++
		}
		cl.stored, cl.dirty = true, false
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return buf, nil
}

// trim starts a new generation once the current one holds max/2 cells,
// dropping the cells not touched since the one before began, and sizes the
// key filter again once it holds more keys than it was sized for. Call it
// only after a flush, before the next batch: the database and the cache
// then hold every key written.
func (c *cache) trim() error {
	if c.keys != nil && c.held > c.room {
		if err := c.watch(c.src, c.lo, c.hi); err != nil {
			return err
		}
	}
	if len(c.m) < c.max/2 {
		return nil
	}
	c.old, c.m = c.m, c.old
	clear(c.m)
	return nil
}

// watch builds the key filter of [lo, hi) in src, the database the cache
// reads on a miss, and of the keys the cache has written.
func (c *cache) watch(src pebble.Reader, lo, hi []byte) error {
	scan := func(fn func(k []byte)) error {
		it, err := src.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return fmt.Errorf("projections: scan keys: %w", err)
		}
		for it.First(); it.Valid(); it.Next() {
			fn(it.Key())
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("projections: scan keys: %w", err)
		}
		return nil
	}
	n := uint(len(c.m) + len(c.old))
	if err := scan(func([]byte) { n++ }); err != nil {
		return err
	}
	c.src, c.lo, c.hi = src, lo, hi
	c.room = max(minKeyRoom, keyRoomFactor*n)
	c.keys, c.held = bloom.NewWithEstimates(c.room, keyFalsePos), n
	if err := scan(func(k []byte) { c.keys.Add(k) }); err != nil {
		return err
	}
	for _, gen := range []map[string]*cell{c.m, c.old} {
		for k, cl := range gen {
			if cl.stored {
				c.keys.AddString(k)
			}
		}
	}
	return nil
}
