package reliability

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"ledger/node"
)

var failovers = flag.Int("failovers", 0, "stream leaders TestFailover kills in a row (default 1, or 10 with LEDGER_LONG=1)")

// maxWriteGap is the longest a ledger node may go without acknowledging
// a write after the stream leader's server is killed.
const maxWriteGap = 10 * time.Second

// TestFailover: three nats-server processes clustered on loopback, the
// ledger stream at 3 replicas, two ledger nodes each taking writes from
// 16 clients (check-ins, retried with the same command ID); the server
// that leads the stream is killed with SIGKILL. Each node's longest gap
// between acknowledged writes from the kill on is logged as "failover:
// node N longest write gap X.Xs"; in the long variant (-failovers N, or
// LEDGER_LONG=1) it must stay within 10 s on every failover, and on every
// run each node must acknowledge a write within 10 s of the new leader's
// election. The killed
// server is started again before the next failover (-failovers N, or 10
// with LEDGER_LONG=1). At the end every acknowledged command is in the log
// exactly once and both nodes hold the same log under the same Merkle root.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes and two ledger nodes; skipped with -short")
	}
	rounds := *failovers
	strict := rounds > 0 || long()
	if rounds == 0 {
		rounds = 1
		if long() {
			rounds = 10
		}
	}
	c := startProcCluster(t)
	var nodes []*node.Node
	for i := range 2 {
		nodes = append(nodes, openClusterNode(t, node.Config{DataDir: t.TempDir(), NATSURL: c.urlsFrom(i), Offline: true}))
	}
	e := setupElectionOn(t, nodes[0], 8, 100_000*rounds)
	w := newWriters(e, nodes)
	w.start(32)
	mon := monitor(t, c.urlsFrom(2))
	var worst [2]time.Duration
	for round := range rounds {
		time.Sleep(2 * time.Second)
		leader := streamLeader(t, mon, nodes[0].Store.StreamName(), "")
		killed := c.index(leader)
		w.resetGaps()
		at := time.Now()
		r := watchReadiness(nodes)
		c.kill(killed)
		newLeader := streamLeader(t, mon, nodes[0].Store.StreamName(), leader)
		elected := time.Since(at)
		w.waitBothAcked(at.Add(elected), 30*time.Second)
		time.Sleep(time.Second)
		t.Logf("failover %d: killed %s (stream leader), %s elected after %.1fs", round+1, leader, newLeader, elected.Seconds())
		r.check(t, elected)
		for i := range nodes {
			gap, afterElection := w.gaps(i, at, at.Add(elected))
			worst[i] = max(worst[i], gap)
			t.Logf("failover: node %d longest write gap %.1fs (first write %.1fs after the election)", i, gap.Seconds(), afterElection.Seconds())
			// The gap from the kill includes nats-server's own election
			// (4.5 to 9.2 s measured here, not configurable), so one run
			// in CI asserts what the ledger controls: writes resume within
			// 10 s of the new leader. The long variant asserts the whole
			// target, 10 s from the kill, on every failover.
			if strict && gap > maxWriteGap {
				t.Errorf("failover %d: node %d acknowledged no write for %.1fs (at most %v)", round+1, i, gap.Seconds(), maxWriteGap)
			}
			if afterElection > maxWriteGap {
				t.Errorf("failover %d: node %d acknowledged no write for %.1fs after the new leader was elected (at most %v)", round+1, i, afterElection.Seconds(), maxWriteGap)
			}
		}
		c.start(killed)
		waitReplicasCurrent(t, mon, nodes[0].Store.StreamName())
	}
	w.halt()
	t.Logf("over %d failovers: longest write gap node 0 %.1fs, node 1 %.1fs", rounds, worst[0].Seconds(), worst[1].Seconds())
	checkNodesConverged(t, nodes, &w.acked)
}

// writers record check-ins through two nodes, half the clients on each,
// and note when each node acknowledged.
type writers struct {
	e     election
	nodes []*node.Node
	acked sync.Map // command ID -> roll
	next  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	acks [2][]time.Time // acknowledgements since the last resetGaps
}

func newWriters(e election, nodes []*node.Node) *writers {
	return &writers{e: e, nodes: nodes, stop: make(chan struct{})}
}

func (w *writers) start(clients int) {
	for i := range clients {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-w.stop:
					return
				default:
				}
				w.write(i % 2)
			}
		}()
	}
}

// write records one check-in through node i, retrying with the same
// command ID until it is acknowledged or refused.
func (w *writers) write(i int) {
	roll := int(w.next.Add(1))
	id := ulid.Make().String()
	if err := execute(w.nodes[i], "check_in", checkInAt, id, w.e.checkIn(roll)); err != nil {
		return // not acknowledged: it may or may not be recorded
	}
	w.acked.Store(id, roll)
	w.mu.Lock()
	w.acks[i] = append(w.acks[i], time.Now())
	w.mu.Unlock()
}

func (w *writers) halt() {
	close(w.stop)
	w.wg.Wait()
}

func (w *writers) resetGaps() {
	w.mu.Lock()
	w.acks = [2][]time.Time{}
	w.mu.Unlock()
}

// waitBothAcked waits until both nodes acknowledged a write after since,
// or for at most d.
func (w *writers) waitBothAcked(since time.Time, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		ok := true
		for _, a := range w.acks {
			ok = ok && len(a) > 0 && a[len(a)-1].After(since)
		}
		w.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gaps returns node i's longest time without an acknowledgement between
// from and now, and how long after elected its first one came.
func (w *writers) gaps(i int, from, elected time.Time) (longest, afterElection time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	prev := from
	afterElection = -1
	for _, a := range w.acks[i] {
		longest = max(longest, a.Sub(prev))
		if afterElection < 0 && a.After(elected) {
			afterElection = a.Sub(elected)
		}
		prev = a
	}
	longest = max(longest, time.Since(prev))
	if afterElection < 0 {
		afterElection = time.Since(elected)
	}
	return longest, afterElection
}

// readiness samples each node's readiness checks (what /readyz answers)
// from the kill on.
type readiness struct {
	nodes    []*node.Node
	stop     chan struct{}
	done     chan struct{}
	notReady []string // per node, the first reason given, if any
}

func watchReadiness(nodes []*node.Node) *readiness {
	r := &readiness{nodes: nodes, stop: make(chan struct{}), done: make(chan struct{}), notReady: make([]string, len(nodes))}
	go func() {
		defer close(r.done)
		for {
			for i, n := range nodes {
				if reason := notReady(n); reason != "" && r.notReady[i] == "" {
					r.notReady[i] = reason
				}
			}
			select {
			case <-r.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return r
}

// notReady returns why node n is not ready, or "".
func notReady(n *node.Node) string {
	var why []string
	for _, c := range n.ReadyChecks() {
		if err := c.Check(); err != nil {
			why = append(why, c.Name+": "+err.Error())
		}
	}
	return strings.Join(why, "; ")
}

// check stops sampling. A node must have said it was not ready while the
// stream had no leader, when that lasted long enough for its probe to
// notice (appends stale after 3 s, probes every second), and must say it
// is ready again once writes resumed.
func (r *readiness) check(t *testing.T, elected time.Duration) {
	t.Helper()
	close(r.stop)
	<-r.done
	for i, n := range r.nodes {
		if r.notReady[i] == "" && elected > 5*time.Second {
			t.Errorf("node %d said it was ready throughout the %.1fs without a stream leader", i, elected.Seconds())
		} else if r.notReady[i] != "" {
			t.Logf("node %d not ready during the failover: %s", i, r.notReady[i])
		}
		why := notReady(n)
		for deadline := time.Now().Add(10 * time.Second); why != "" && time.Now().Before(deadline); why = notReady(n) {
			time.Sleep(100 * time.Millisecond)
		}
		if why != "" {
			t.Errorf("node %d still not ready 10s after writes resumed: %s", i, why)
		}
	}
}

// monitor connects to the cluster to watch the stream from outside.
func monitor(t *testing.T, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamLeader waits for the stream to have a leader other than not and
// returns its server's name.
func streamLeader(t *testing.T, js jetstream.JetStream, stream, not string) string {
	t.Helper()
	var last error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		info, err := streamInfo(js, stream)
		if err != nil {
			last = err
			continue
		}
		if l := info.Cluster.Leader; l != "" && l != not {
			return l
		}
	}
	t.Fatalf("stream %s has no leader after 60s (other than %q): %v", stream, not, last)
	return ""
}

// waitReplicasCurrent waits until each of the stream's replicas is online
// and current, so that the next failover starts from a whole cluster.
func waitReplicasCurrent(t *testing.T, js jetstream.JetStream, stream string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		info, err := streamInfo(js, stream)
		if err != nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
			continue
		}
		ok := true
		for _, r := range info.Cluster.Replicas {
			ok = ok && r.Current && !r.Offline
		}
		if ok {
			return
		}
	}
	t.Fatalf("stream %s's replicas are not all current after 60s", stream)
}

func streamInfo(js jetstream.JetStream, stream string) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err == nil && info.Cluster == nil {
		err = fmt.Errorf("stream %s is not clustered", stream)
	}
	return info, err
}

// checkNodesConverged waits for both nodes to ingest the whole stream and
// compares their logs and Merkle roots; every acknowledged command is
// there exactly once.
func checkNodesConverged(t *testing.T, nodes []*node.Node, acked *sync.Map) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last uint64
	var err error
	for last, err = nodes[0].Store.StreamLastSeq(ctx); err != nil; last, err = nodes[0].Store.StreamLastSeq(ctx) {
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	var roots [][]byte
	var counts []map[string]int
	for i, n := range nodes {
		for seq, _ := n.Store.Position(); seq < last; seq, _ = n.Store.Position() {
			if ctx.Err() != nil {
				t.Fatalf("node %d did not catch up with the stream", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		size := n.Tree.Size()
		root, err := n.Tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, root)
		evs, err := n.Store.ReadLog(ctx, 1, int(size)+1)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range evs {
			count[e.CommandID]++
		}
		counts = append(counts, count)
	}
	var ackedN, found, lost, dup int
	acked.Range(func(k, _ any) bool {
		ackedN++
		switch counts[0][k.(string)] {
		case 0:
			lost++
		case 1:
			found++
		default:
			dup++
		}
		return true
	})
	same := string(roots[0]) == string(roots[1]) && nodes[0].Tree.Size() == nodes[1].Tree.Size()
	t.Logf("failover: %d commands acknowledged, %d found, %d lost, %d duplicated; checkpoints agree: %v (both nodes %d events, Merkle root %x)",
		ackedN, found, lost, dup, same, nodes[0].Tree.Size(), roots[0])
	if !same {
		t.Errorf("nodes differ: sizes %d and %d, roots %x and %x", nodes[0].Tree.Size(), nodes[1].Tree.Size(), roots[0], roots[1])
	}
	if lost > 0 || dup > 0 {
		t.Errorf("%d acknowledged commands lost, %d duplicated", lost, dup)
	}
}
