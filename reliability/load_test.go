package reliability

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/node"
)

// target is the serve child the recorders send to; nil while it is down.
type target struct{ url, token string }

// recorders are clients recording check-ins over HTTP: each takes the
// next roll number, sends its check-in with a fresh Idempotency-Key and
// retries with the same key on every error, 503 and 409 in-progress,
// until it is acknowledged (201, or 200 for a replay).
type recorders struct {
	e        election
	to       atomic.Pointer[target]
	next     atomic.Int64 // the last roll number taken
	acked    sync.Map     // command ID -> roll number
	nAcked   atomic.Int64
	refused  atomic.Int64 // 503 answers
	noRetry  atomic.Int64 // 503 answers without Retry-After
	replays  atomic.Int64 // 200 Idempotent-Replayed
	failures atomic.Int64
	errs     atomic.Int64 // transport errors (the child down or killed)
	lastErr  atomic.Value
	firstBad atomic.Value // the first unexpected answer
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newRecorders(e election) *recorders { return &recorders{e: e, stop: make(chan struct{})} }

// start runs n recorders until halt.
func (rs *recorders) start(n int) {
	for range n {
		rs.wg.Add(1)
		go rs.run()
	}
}

func (rs *recorders) halt() {
	close(rs.stop)
	rs.wg.Wait()
}

func (rs *recorders) stopped() bool {
	select {
	case <-rs.stop:
		return true
	default:
		return false
	}
}

func (rs *recorders) run() {
	defer rs.wg.Done()
	for !rs.stopped() {
		roll := int(rs.next.Add(1))
		if roll > rs.e.Voters {
			return
		}
		rs.record(roll)
	}
}

// record sends one check-in until it is acknowledged or the recorders stop.
func (rs *recorders) record(roll int) {
	key := ulid.Make().String()
	for !rs.stopped() {
		to := rs.to.Load()
		if to == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := post(ctx, to.url, to.token, "check_in", key, checkInAt, rs.e.checkIn(roll))
		cancel()
		switch {
		case err != nil:
			rs.errs.Add(1)
			rs.lastErr.Store(err.Error())
			time.Sleep(20 * time.Millisecond)
		case r.status == http.StatusCreated || r.status == http.StatusOK:
			if r.status == http.StatusOK {
				rs.replays.Add(1)
			}
			rs.acked.Store(key, roll)
			rs.nAcked.Add(1)
			return
		case r.status == http.StatusServiceUnavailable || r.status == http.StatusTooManyRequests ||
			r.status == http.StatusConflict && r.problemCode() == "command_in_progress":
			rs.refused.Add(1)
			if r.header.Get("Retry-After") == "" {
				rs.noRetry.Add(1)
			}
			time.Sleep(time.Duration(10+roll%20) * time.Millisecond)
		default:
			rs.failures.Add(1)
			rs.firstBad.CompareAndSwap(nil, string(r.body))
			return
		}
	}
}

// checkAcked opens a stopped node's data directory, lets it catch up, and
// checks that every acknowledged command is in its log exactly once and
// that no command ID is there twice. It returns the number of events.
func checkAcked(t *testing.T, data string, acked *sync.Map) int {
	t.Helper()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: data, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	<-n.Store.Ready()
	count := map[string]int{}
	events := 0
	for from := uint64(1); ; {
		evs, err := n.Store.ReadLog(ctx, from, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			count[e.CommandID]++
		}
		events += len(evs)
		from = evs[len(evs)-1].Position + 1
	}
	for id, c := range count {
		if c > 1 {
			t.Errorf("command %s recorded %d times", id, c)
		}
	}
	acked.Range(func(k, _ any) bool {
		if count[k.(string)] != 1 {
			t.Errorf("acknowledged command %s found %d times", k, count[k.(string)])
		}
		return true
	})
	return events
}
