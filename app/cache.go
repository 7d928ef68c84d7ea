package app

import (
	"time"

	"ledger/domain"
	"ledger/internal/bounded"
)

// entry is a cached aggregate state and the version it reflects. A state
// is mutated only under its aggregate's write lock.
type entry struct {
	state   domain.State
	version uint64
	last    time.Time // when its latest event occurred
}

// cache is the bounded map of states; a miss is answered from the log.
type cache = bounded.Map[domain.AggregateRef, entry]
