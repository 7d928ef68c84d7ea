package app

import (
	"hash/maphash"
	"sync"

	"ledger/domain"
)

// entry is a cached aggregate state and the version it reflects. A state
// is mutated only under its aggregate's write lock.
type entry struct {
	state   domain.State
	version uint64
}

// cache is a bounded map of states; when a shard is full an arbitrary
// entry leaves.
type cache struct {
	shards [32]struct {
		sync.Mutex
		m map[domain.AggregateRef]entry
	}
	per  int
	seed maphash.Seed
}

func (c *cache) init(size int) {
	c.per = max(size/len(c.shards), 1)
	c.seed = maphash.MakeSeed()
	for i := range c.shards {
		c.shards[i].m = map[domain.AggregateRef]entry{}
	}
}

func (c *cache) shard(ref domain.AggregateRef) *struct {
	sync.Mutex
	m map[domain.AggregateRef]entry
} {
	return &c.shards[maphash.String(c.seed, ref.ID)%uint64(len(c.shards))]
}

func (c *cache) get(ref domain.AggregateRef) (entry, bool) {
	sh := c.shard(ref)
	sh.Lock()
	defer sh.Unlock()
	e, ok := sh.m[ref]
	return e, ok
}

func (c *cache) put(ref domain.AggregateRef, e entry) {
	sh := c.shard(ref)
	sh.Lock()
	defer sh.Unlock()
	if _, ok := sh.m[ref]; !ok && len(sh.m) >= c.per {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[ref] = e
}

func (c *cache) drop(ref domain.AggregateRef) {
	sh := c.shard(ref)
	sh.Lock()
	delete(sh.m, ref)
	sh.Unlock()
}
