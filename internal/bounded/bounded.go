// Package bounded is a concurrent map with a bound on its size: when a
// shard is full, an arbitrary entry leaves to make room. It backs the
// caches of aggregate heads and states, whose misses are always answered
// from the log, so losing an entry costs only a reload.
package bounded

import (
	"hash/maphash"
	"sync"
)

const shards = 64

// Map is a bounded map, safe for concurrent use. Its zero value is not
// usable; call New.
type Map[K comparable, V any] struct {
	shards [shards]shard[K, V]
	per    int
	seed   maphash.Seed
}

type shard[K comparable, V any] struct {
	sync.Mutex
	m map[K]V
}

// New returns a map that holds at most about size entries.
func New[K comparable, V any](size int) *Map[K, V] {
	c := &Map[K, V]{per: max(size/shards, 1), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[K]V)
	}
	return c
}

func (c *Map[K, V]) shard(k K) *shard[K, V] {
	return &c.shards[maphash.Comparable(c.seed, k)%shards]
}

// Get returns the value of k, if present.
func (c *Map[K, V]) Get(k K) (V, bool) {
	sh := c.shard(k)
	sh.Lock()
	defer sh.Unlock()
	v, ok := sh.m[k]
	return v, ok
}

// Put sets the value of k, evicting an arbitrary entry of its shard when
// the shard is full.
func (c *Map[K, V]) Put(k K, v V) {
	sh := c.shard(k)
	sh.Lock()
	defer sh.Unlock()
	if _, ok := sh.m[k]; !ok && len(sh.m) >= c.per {
		for old := range sh.m {
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = v
}

// Delete removes k.
func (c *Map[K, V]) Delete(k K) {
	sh := c.shard(k)
	sh.Lock()
	delete(sh.m, k)
	sh.Unlock()
}

// Len returns the number of entries.
func (c *Map[K, V]) Len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].Lock()
		n += len(c.shards[i].m)
		c.shards[i].Unlock()
	}
	return n
}
