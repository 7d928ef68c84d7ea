package edge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/edge"
	"ledger/node"
)

const leafPassword = "test-leaf-password"

// link is a TCP relay between an edge and the hub's leaf port that a
// test can cut and restore, as a village's mobile link goes down and up.
type link struct {
	t      *testing.T
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  []net.Conn
}

func newLink(t *testing.T, target string) *link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{t: t, ln: ln, target: target, up: true}
	t.Cleanup(func() { ln.Close(); l.cut() })
	go l.accept()
	return l
}

func (l *link) url() string {
	return "nats://" + edge.LeafUser + ":" + leafPassword + "@" + l.ln.Addr().String()
}

func (l *link) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if !l.up {
			l.mu.Unlock()
			c.Close()
			continue
		}
		d, err := net.Dial("tcp", l.target)
		if err != nil {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns = append(l.conns, c, d)
		l.mu.Unlock()
		go func() { io.Copy(d, c); d.Close() }()
		go func() { io.Copy(c, d); c.Close() }()
	}
}

// cut closes every connection and refuses new ones until restore.
func (l *link) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = false
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

func (l *link) restore() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = true
}

// openHub opens a hub node with a leaf port on a random loopback port and
// returns it with the port's address.
func openHub(t *testing.T) (*node.Node, string) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: t.TempDir(), Origin: "hub",
		ConfigureServer: edge.HubServer("127.0.0.1:0", leafPassword, "")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	vz, err := n.Store.Server().Varz(nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, fmt.Sprintf("127.0.0.1:%d", vz.LeafNode.Port)
}

// openEdge opens edge id on dir, linked to the hub through hubURL, and
// starts it for station. The function it returns stops the edge; the
// test's cleanup calls it too.
func openEdge(t *testing.T, dir, id, hubURL, station string) (*node.Node, func()) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Origin: "edge-" + id, Edge: id,
		CheckpointInterval: time.Hour, ConfigureServer: edge.EdgeServer(id, hubURL, 100*time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, stop, err := edge.Start(ctx, n, edge.Config{ID: id, Station: station, Retry: 200 * time.Millisecond})
	if err != nil {
		n.Close()
		t.Fatalf("start edge %s: %v", id, err)
	}
	var once sync.Once
	closeEdge := func() { once.Do(func() { stop(context.Background()); n.Close() }) }
	t.Cleanup(closeEdge)
	return n, closeEdge
}

// election is the election the tests record: stations A and B, voters
// 1..a at A and a+1..a+b at B.
type election struct {
	ID, Region string
	A, B       string
}

func newElection() election {
	return election{ID: ulid.Make().String(), Region: "220102001001", A: ulid.Make().String(), B: ulid.Make().String()}
}

// do records a command through n's command path, failing the test on an error.
func do(t *testing.T, n *node.Node, ct, at string, body map[string]any) app.Outcome {
	t.Helper()
	out, err := try(n, ct, at, body)
	if err != nil {
		t.Fatalf("%s: %v", ct, err)
	}
	return out
}

func try(n *node.Node, ct, at string, body map[string]any) (app.Outcome, error) {
	b, _ := json.Marshal(body)
	cmd, err := domain.DecodeCommand(ct, b)
	if err != nil {
		return app.Outcome{}, err
	}
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return app.Outcome{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: ulid.Make().String(), Actor: "tester", OccurredAt: when})
}

func (e election) addr(m map[string]any) map[string]any {
	m["election_id"], m["region"] = e.ID, e.Region
	return m
}

func (e election) at(station string, m map[string]any) map[string]any {
	m["station_id"] = station
	return e.addr(m)
}

// setup records the election up to its stations at the hub: voters 1..a
// at station A, a+1..a+b at B.
func (e election) setup(t *testing.T, hub *node.Node, a, b int) {
	t.Helper()
	do(t, hub, "call_election", "2026-04-01T09:00:00+08:00", e.addr(map[string]any{"committee": "villagers", "seats": 5,
		"election_day": "2026-05-01", "election_committee": []string{"主任 王建国", "委员 李秀英", "委员 张伟"}, "rules": map[string]any{}}))
	for first := 1; first <= a+b; first += domain.MaxVoterBatch {
		var batch []map[string]any
		for roll := first; roll < first+domain.MaxVoterBatch && roll <= a+b; roll++ {
			st := e.A
			if roll > a {
				st = e.B
			}
			batch = append(batch, map[string]any{"roll_no": roll, "station_id": st})
		}
		do(t, hub, "register_voters", "2026-04-01T09:00:00+08:00", e.addr(map[string]any{"voters": batch}))
	}
	do(t, hub, "publish_roll", "2026-04-11T09:00:00+08:00", e.addr(map[string]any{}))
	for i, name := range []string{"刘一", "陈二", "张三", "李四", "王五", "赵六", "孙七"} {
		do(t, hub, "nominate_candidate", "2026-04-11T09:00:00+08:00", e.addr(map[string]any{
			"candidate_id": fmt.Sprintf("c%d", i+1), "name": name, "nominated_by": "villagers_joint"}))
	}
	do(t, hub, "publish_candidates", "2026-04-12T09:00:00+08:00", e.addr(map[string]any{}))
	for i, s := range []string{e.A, e.B} {
		do(t, hub, "establish_station", "2026-04-12T09:00:00+08:00", e.at(s, map[string]any{
			"mobile": false, "approved": false, "place": fmt.Sprintf("第%d投票站", i+1), "scrutineers": []string{"监票人甲", "监票人乙"}}))
	}
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last error: %v)", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
