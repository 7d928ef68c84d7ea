package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/internal/testkit"
	"ledger/node"
)

// natsCluster is three nats-server instances with JetStream, clustered on
// openClusterNode opens a ledger node against the cluster, retrying while
// the cluster elects its JetStream meta leader.
func openClusterNode(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	var err error
	for range 50 {
		var n *node.Node
		if n, err = node.Open(context.Background(), cfg); err == nil {
			t.Cleanup(func() { n.Close() })
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("open a ledger node on the cluster: %v", err)
	return nil
}

// execute records a command through a node's command path, retrying with
// the same command ID through failover for up to 30s.
func execute(n *node.Node, ct, occurred, id string, body any) error {
	b, _ := json.Marshal(body)
	cmd, err := domain.DecodeCommand(ct, b)
	if err != nil {
		return err
	}
	at, _ := time.Parse(time.RFC3339, occurred)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: id, Actor: "tester", OccurredAt: at})
		cancel()
		if _, refused := domain.AsError(err); err == nil || refused {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s %s did not complete in 60s: %w", ct, id, err)
}

// setupElectionOn records the election of setupElection through a node.
func setupElectionOn(t *testing.T, n *node.Node, stations, voters int) election {
	t.Helper()
	var cmds []struct {
		ct, at string
		body   map[string]any
	}
	e := electionCommands(stations, voters, func(ct, at string, body map[string]any) {
		cmds = append(cmds, struct {
			ct, at string
			body   map[string]any
		}{ct, at, body})
	})
	for _, c := range cmds {
		if err := execute(n, c.ct, c.at, ulid.Make().String(), c.body); err != nil {
			t.Fatalf("%s: %v", c.ct, err)
		}
	}
	return e
}

// TestClusterFailoverEndToEnd: two ledger nodes (node.Open with NATSURL)
// on a 3-node JetStream cluster, the stream at 3 replicas, both recording
// check-ins; the stream's leader is stopped under load. Writes resume
// (the longest pause is logged: a figure that depends on the machine's
// load, not asserted), no acknowledged command is lost or doubled, and
// both nodes converge to the same log and the same Merkle root.
func TestClusterFailoverEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster and two ledger nodes; skipped with -short")
	}
	c := testkit.StartCluster(t, nil)
	var nodes []*node.Node
	for i := range 2 {
		urls := c.URLsFrom(i)
		nodes = append(nodes, openClusterNode(t, node.Config{DataDir: t.TempDir(), NATSURL: urls, Offline: true}))
	}
	e := setupElectionOn(t, nodes[0], 8, 20000)
	var acked sync.Map
	var nAcked, lastOK, maxGap atomic.Int64
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := nodes[w%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				roll := int(next.Add(1))
				id := ulid.Make().String()
				if err := execute(n, "check_in", checkInAt, id, e.checkIn(roll)); err != nil {
					t.Error(err)
					return
				}
				acked.Store(id, roll)
				nAcked.Add(1)
				now := time.Now().UnixNano()
				if prev := lastOK.Swap(now); prev != 0 {
					gap := now - prev
					for old := maxGap.Load(); gap > old && !maxGap.CompareAndSwap(old, gap); old = maxGap.Load() {
					}
				}
			}
		}()
	}
	time.Sleep(time.Second)
	leader := testkit.StreamLeader(t, nodes[0].Store.JetStream(), nodes[0].Store.StreamName())
	c.Stop(leader)
	maxGap.Store(0)
	stoppedAt := nAcked.Load()
	time.Sleep(4 * time.Second)
	for i, n := range nodes {
		seq, pos := n.Store.Position()
		last, err := n.Store.StreamLastSeq(context.Background())
		t.Logf("node %d: durable seq %d position %d; stream last seq %d (%v); connected to %s", i, seq, pos, last, err, n.Store.Conn().ConnectedUrl())
	}
	close(stop)
	wg.Wait()
	gap := time.Duration(maxGap.Load())
	t.Logf("stopped the stream leader %s; longest pause between acknowledged writes after: %v; %d acknowledged before, %d after",
		leader, gap, stoppedAt, nAcked.Load()-stoppedAt)
	if nAcked.Load() == stoppedAt {
		t.Fatalf("no write was acknowledged after the stream leader stopped (%v since)", gap)
	}
	checkNodesConverged(t, nodes, &acked)
}

// checkNodesConverged waits for both nodes to ingest the whole stream and
// compares their logs and Merkle roots; every acknowledged command is
// there exactly once.
func checkNodesConverged(t *testing.T, nodes []*node.Node, acked *sync.Map) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last, err := nodes[0].Store.StreamLastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var roots [][]byte
	var logs []map[string]int
	var size uint64
	for i, n := range nodes {
		for seq, _ := n.Store.Position(); seq < last; seq, _ = n.Store.Position() {
			if ctx.Err() != nil {
				t.Fatalf("node %d did not catch up with the stream", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
		size = n.Tree.Size()
		root, err := n.Tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, root)
		count := map[string]int{}
		evs, err := n.Store.ReadLog(ctx, 1, int(size)+1)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			count[e.CommandID]++
		}
		logs = append(logs, count)
	}
	if string(roots[0]) != string(roots[1]) || nodes[0].Tree.Size() != nodes[1].Tree.Size() {
		t.Fatalf("nodes differ: sizes %d and %d, roots %x and %x", nodes[0].Tree.Size(), nodes[1].Tree.Size(), roots[0], roots[1])
	}
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		if logs[0][k.(string)] != 1 {
			t.Errorf("acknowledged command %s found %d times", k, logs[0][k.(string)])
		}
		return true
	})
	t.Logf("%d acknowledged commands found once; both nodes hold %d events with Merkle root %x", n, size, roots[0])
}
