package projections

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// cell is one cached read-model value: a vector of counters or a blob.
type cell struct {
	key   string
	vec   []int64 // counters, stored as 8-byte big-endian words
	blob  []byte  // a blob value (JSON or an ID); nil means absent
	isVec bool
	dirty bool
}

// cache is a projection's write-side cache: values are loaded from Pebble
// on first touch, changed in memory, and written into every batch by
// flush. It is used by the one goroutine that applies events; queries never
// read it. Its size is bounded: after a flush, clean entries beyond max
// are evicted.
type cache struct {
	m     map[string]*cell
	dirty []*cell
	max   int
}

func newCache(max int) *cache { return &cache{m: make(map[string]*cell, 1024), max: max} }

// errBadValue means a stored read-model value has the wrong shape.
var errBadValue = errors.New("projections: malformed stored value")

// load returns the cell of key, reading it through r on a miss.
func (c *cache) load(r pebble.Reader, key []byte, isVec bool) (*cell, error) {
	if cl, ok := c.m[string(key)]; ok {
		return cl, nil
	}
	cl := &cell{key: string(key), isVec: isVec}
	v, closer, err := r.Get(key)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("projections: read %q: %w", key, err)
	default:
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

// flush writes every dirty cell into b. buf is scratch space; it returns it
// for reuse.
func (c *cache) flush(b *pebble.Batch, buf []byte) ([]byte, error) {
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
		cl.dirty = false
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	return buf, nil
}

// trim evicts clean entries while the cache holds more than max. Call it
// only when nothing is dirty.
func (c *cache) trim() {
	if len(c.m) <= c.max {
		return
	}
	for k, cl := range c.m {
		if len(c.m) <= c.max/2 {
			break
		}
		if !cl.dirty {
			delete(c.m, k)
		}
	}
}

// reset forgets everything.
func (c *cache) reset() {
	clear(c.m)
	c.dirty = c.dirty[:0]
}
