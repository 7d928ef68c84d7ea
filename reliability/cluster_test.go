package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/node"
)

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
// the same command ID (backing off from 50 to 500 ms) through failover for
// up to 60s.
func execute(n *node.Node, ct, occurred, id string, body any) error {
	b, _ := json.Marshal(body)
	cmd, err := domain.DecodeCommand(ct, b)
	if err != nil {
		return err
	}
	at, _ := time.Parse(time.RFC3339, occurred)
	deadline := time.Now().Add(60 * time.Second)
	for wait := 50 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, 500*time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: id, Actor: "tester", OccurredAt: at})
		cancel()
		if _, refused := domain.AsError(err); err == nil || refused {
			return err
		}
		time.Sleep(wait)
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
