package server

import (
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// diskGuard refuses writes while the data directory's filesystem is full
// or read-only, before anything is published, so that nothing is
// half-written; writes resume by themselves when space returns. It looks
// at the filesystem at most every quarter second.
type diskGuard struct {
	dir     string
	minFree uint64

	mu      sync.Mutex
	checked time.Time
	last    *Problem
}

const diskGuardEvery = 250 * time.Millisecond

// check returns the problem that refuses writes now, or nil.
func (g *diskGuard) check() *Problem {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.checked) < diskGuardEvery {
		return g.last
	}
	g.checked, g.last = time.Now(), g.measure()
	return g.last
}

func (g *diskGuard) measure() *Problem {
	var st syscall.Statfs_t
	if err := syscall.Statfs(g.dir, &st); err != nil {
		return nil // cannot tell: let the store answer
	}
	if st.Flags&stRdonly != 0 {
		p := newProblem(classNoStorage, "data_read_only", "数据目录为只读，暂不能记录；恢复可写后自动继续",
			"the data directory is read-only: nothing can be recorded until it is writable again")
		p.retry(5)
		return p
	}
	free := st.Bavail * uint64(st.Bsize)
	if free < g.minFree {
		p := newProblem(classNoStorage, "disk_full",
			fmt.Sprintf("数据目录所在磁盘剩余空间不足（%d MiB，至少需要 %d MiB），暂不能记录；释放空间后自动继续", free>>20, g.minFree>>20),
			fmt.Sprintf("the data directory's disk has %d MiB free, below the %d MiB needed: nothing is recorded until space returns", free>>20, g.minFree>>20))
		p.retry(5)
		return p
	}
	return nil
}

// stRdonly is ST_RDONLY of statfs(2).
const stRdonly = 0x1

// classNoStorage is a write refused for want of storage (507).
const classNoStorage class = "insufficient_storage"

func init() { statusOf[classNoStorage] = http.StatusInsufficientStorage }
