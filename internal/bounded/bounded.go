// Package bounded is a concurrent map with a bound on its size: when a
// shard is full, the least recently used of a few sampled entries leaves
// to make room (sampled LRU: nearly as good as exact LRU, at no cost per
// read beyond a counter). It backs the caches of aggregate heads and
// states, whose misses are always answered from the log, so losing an
// entry costs only a reload, but a hot one lost is reloaded again soon.
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
	m    map[K]item[V]
	tick uint64 // advances at every use
}

type item[V any] struct {
	v    V
	used uint64 // the shard's tick at the last use
}

// sample is how many entries an eviction looks at.
const sample = 8

// New returns a map that holds at most about size entries.
func New[K comparable, V any](size int) *Map[K, V] {
	c := &Map[K, V]{per: max(size/shards, 1), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[K]item[V])
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
	it, ok := sh.m[k]
	if ok {
		sh.tick++
		it.used = sh.tick
		sh.m[k] = it
	}
	return it.v, ok
}

// Put sets the value of k. When k is new and its shard is full, the least
// recently used of sample entries (Go's map iteration starts at a random
// place) leaves first.
func (c *Map[K, V]) Put(k K, v V) {
	sh := c.shard(k)
	sh.Lock()
	defer sh.Unlock()
	if _, ok := sh.m[k]; !ok && len(sh.m) >= c.per {
		var victim K
		oldest, n := ^uint64(0), 0
		for key, it := range sh.m {
			if it.used < oldest {
				victim, oldest = key, it.used
			}
			if n++; n == sample {
				break
			}
		}
		delete(sh.m, victim)
	}
	sh.tick++
	sh.m[k] = item[V]{v: v, used: sh.tick}
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
