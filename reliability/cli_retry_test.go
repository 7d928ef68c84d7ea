package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
)

// TestCLIRetriesThroughElection: "ledger cmd" sent to a node on a
// three-server cluster whose stream has lost its quorum (the leader's
// server and one other killed) is answered 503 (retryable) once the node
// has waited its while; the client retries with the same command ID; a
// killed server is started again, the replicas elect a leader, and the
// retried command is recorded, once: the same command sent again
// afterwards is answered as a retry of it, at the same position.
func TestCLIRetriesThroughElection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes and a ledger node; skipped with -short")
	}
	c := startProcCluster(t)
	mon := monitor(t, c.urlsFrom(1))
	waitMetaLeader(t, mon)
	srv := startServe(t, t.TempDir(), "--nats-url", c.urlsFrom(0))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bodies := map[string]string{} // one election per command ID: sent again, the same body
	cli := func(id string, stderr *syncBuffer) *exec.Cmd {
		body, ok := bodies[id]
		if !ok {
			body = fmt.Sprintf(`{"election_id":%q,"region":"220102001001","committee":"villagers","seats":5,`+
				`"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`, ulid.Make().String())
			bodies[id] = body
		}
		cmd := exec.CommandContext(ctx, bin, "cmd", "call_election", "--body", body, "--command-id", id,
			"--occurred-at", "2026-04-01T09:00:00+08:00", "--server", srv.url, "--token", srv.token)
		cmd.Stderr = stderr
		return cmd
	}
	if out, err := cli(ulid.Make().String(), &syncBuffer{}).Output(); err != nil {
		t.Fatalf("ledger cmd before the failover: %v\n%s", err, out)
	}

	leader := streamLeader(t, mon, "LEDGER", "")
	other := (c.index(leader) + 1) % 3
	at := time.Now()
	c.kill(c.index(leader))
	c.kill(other)
	id := ulid.Make().String()
	errOut := &syncBuffer{}
	cmd := cli(id, errOut)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	retried := "retrying with the same command ID " + id
	var err error
	ended := false
	for !strings.Contains(errOut.String(), retried) && !ended {
		select {
		case err = <-done: // ended without a retry: reported below
			ended = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	restart := time.Since(at)
	c.start(other) // quorum again: the replicas elect a leader
	if !ended {
		err = <-done
	}
	took := time.Since(at)
	if err != nil {
		t.Fatalf("ledger cmd through the election: %v after %.1fs\n%s%s", err, took.Seconds(), out.String(), errOut.String())
	}
	newLeader := streamLeader(t, mon, "LEDGER", leader)
	retries := strings.Count(errOut.String(), retried)
	t.Logf("cli: killed %s (stream leader) and %s; first retry after %.1fs, then %s started again, %s elected; recorded %.1fs after the kill, after %d retries",
		leader, c.specs[other].Name, restart.Seconds(), c.specs[other].Name, newLeader, took.Seconds(), retries)
	if retries == 0 || !strings.Contains(errOut.String(), "unavailable") {
		t.Errorf("no attempt failed as unavailable (503, retryable):\n%s", errOut.String())
	}
	pos := regexp.MustCompile(`at position (\d+)`)
	first := pos.FindStringSubmatch(out.String())
	again, err := cli(id, &syncBuffer{}).Output()
	second := pos.FindStringSubmatch(string(again))
	if err != nil || first == nil || second == nil || first[1] != second[1] || !strings.Contains(string(again), "already recorded (a retry)") {
		t.Fatalf("the same command ID sent again: %v\n%s\nwant it answered as a retry at the position of\n%s", err, again, out.String())
	}
}

// syncBuffer is a bytes.Buffer safe to write and read at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitMetaLeader waits until the cluster has a JetStream meta leader (an
// account info request is answered).
func waitMetaLeader(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err = js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
	}
	t.Fatalf("the cluster has no JetStream meta leader after 60s: %v", err)
}
