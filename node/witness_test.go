package node_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/audit"
	"ledger/backup"
	"ledger/cosig"
	"ledger/domain"
	"ledger/node"
	"ledger/witness"
)

// testWitness is a witness on a loopback port.
type testWitness struct {
	w   *witness.Witness
	srv *httptest.Server
}

func (tw testWitness) flag() string { return tw.w.VerifierKey() + "+" + tw.srv.URL }

func startWitnesses(t *testing.T, logKey string, names ...string) []testWitness {
	t.Helper()
	var out []testWitness
	for _, name := range names {
		dir := t.TempDir()
		k, err := witness.LoadOrCreateKey(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := witness.New(witness.Config{Dir: dir, Key: k, Logs: []string{logKey}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler())
		t.Cleanup(srv.Close)
		out = append(out, testWitness{w: w, srv: srv})
	}
	return out
}

func witnessFlags(ws []testWitness) (flags, keys []string) {
	for _, w := range ws {
		flags, keys = append(flags, w.flag()), append(keys, w.w.VerifierKey())
	}
	return flags, keys
}

func callElections(t *testing.T, n *node.Node, count int) {
	t.Helper()
	for range count {
		cmd, err := domain.DecodeCommand("call_election", []byte(`{"election_id":"`+ulid.Make().String()+
			`","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		if _, err := n.Ledger.Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String(), OccurredAt: at}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStatus waits (up to 30s, the machine is shared) until the
// cosigner's status satisfies ok, signing a checkpoint of what is durable
// first.
func waitStatus(t *testing.T, n *node.Node, what string, ok func(audit.CosignStatus) bool) audit.CosignStatus {
	t.Helper()
	if _, err := n.Checkpointer.SignNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := n.Cosigner.Status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %+v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openWitnessed(t *testing.T, dir string, flags []string, quorum int) *node.Node {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, Witnesses: flags, WitnessQuorum: quorum,
		WitnessBackoff: 200 * time.Millisecond, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	<-n.Store.Ready()
	return n
}

// TestCosignedCheckpoints: every checkpoint is cosigned by the three
// witnesses, each asked with a consistency proof from the size it holds;
// with one witness down the quorum of two is still met and the node stays
// ready; the stored and served checkpoint carries the cosignatures.
func TestCosignedCheckpoints(t *testing.T) {
	dir := t.TempDir()
	_, v, err := audit.LoadOrCreateKey(dir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	ws := startWitnesses(t, v.Key, "w.example/a", "w.example/b", "w.example/c")
	flags, keys := witnessFlags(ws)
	n := openWitnessed(t, dir, flags, 2)
	defer n.Close()
	policy, err := cosig.NewPolicy(keys, 3)
	if err != nil {
		t.Fatal(err)
	}
	published, err := n.Store.Conn().SubscribeSync(audit.DefaultCheckpointSubject)
	if err != nil {
		t.Fatal(err)
	}

	callElections(t, n, 3)
	waitStatus(t, n, "all three cosign size 3", func(s audit.CosignStatus) bool { return s.Size == 3 && s.Cosigned == 3 })
	callElections(t, n, 2)
	st := waitStatus(t, n, "all three cosign size 5", func(s audit.CosignStatus) bool { return s.Size == 5 && s.Cosigned == 3 })
	for _, w := range st.PerWitness {
		if w.KnownSize != 5 || w.Failures != 0 {
			t.Fatalf("witness %s: %+v", w.Name, w)
		}
	}
	latest, err := n.Tree.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Check(latest); err != nil {
		t.Fatalf("stored checkpoint: %v", err)
	}
	if _, err := audit.ParseCheckpoint(latest, v); err != nil {
		t.Fatalf("the log's own signature on the cosigned checkpoint: %v", err)
	}
	quorum2, _ := cosig.NewPolicy(keys, 2)
	for {
		msg, err := published.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("no checkpoint cosigned by a quorum was published on %s: %v", audit.DefaultCheckpointSubject, err)
		}
		if _, err := quorum2.Check(msg.Data); err == nil {
			break
		}
	}

	ws[2].srv.Close() // one of three down
	callElections(t, n, 2)
	st = waitStatus(t, n, "quorum of two with c down", func(s audit.CosignStatus) bool {
		return s.Size == 7 && s.QuorumMet && s.PerWitness[2].Failing
	})
	if st.Cosigned != 2 || st.CannotObtain || st.QuorumSize != 7 {
		t.Fatalf("with one of three down: %+v", st)
	}
	for _, c := range n.ReadyChecks() {
		if err := c.Check(); err != nil {
			t.Fatalf("check %s with a quorum: %v", c.Name, err)
		}
	}
	if _, err := policy.Check(mustLatest(t, n)); !errors.Is(err, cosig.ErrQuorum) || !strings.Contains(err.Error(), "w.example/c") {
		t.Fatalf("a policy of all three on 2 cosignatures: %v, want ErrQuorum naming w.example/c", err)
	}
}

func mustLatest(t *testing.T, n *node.Node) []byte {
	t.Helper()
	b, err := n.Tree.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSplitViewRefused: a node restored from an older backup records
// other events, so that its log forks from what the witnesses cosigned.
// Every witness refuses its checkpoint (409 with the larger size they
// hold; 422 once the fork outgrows it), the node says it cannot obtain a
// quorum and its witness_quorum readiness check fails, and verifying the
// forked checkpoint with the quorum fails naming the witnesses.
func TestSplitViewRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, v, err := audit.LoadOrCreateKey(dir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	ws := startWitnesses(t, v.Key, "w.example/a", "w.example/b", "w.example/c")
	flags, keys := witnessFlags(ws)
	policy, err := cosig.NewPolicy(keys, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := openWitnessed(t, dir, flags, 2)
	callElections(t, n, 3)
	waitStatus(t, n, "cosigned at 3", func(s audit.CosignStatus) bool { return s.Size == 3 && s.Cosigned == 3 })
	bdir := filepath.Join(t.TempDir(), "backup")
	if _, err := backup.Backup(ctx, n, bdir); err != nil {
		t.Fatal(err)
	}
	callElections(t, n, 3)
	waitStatus(t, n, "cosigned at 6", func(s audit.CosignStatus) bool { return s.Size == 6 && s.Cosigned == 3 })
	n.Close()

	forkDir := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(ctx, bdir, node.Config{DataDir: forkDir}); err != nil {
		t.Fatal(err)
	}
	fork := openWitnessed(t, forkDir, flags, 2)
	defer fork.Close()
	callElections(t, fork, 1) // position 4 differs from the one the witnesses saw
	st := waitStatus(t, fork, "fork at 4 refused", func(s audit.CosignStatus) bool { return s.Size == 4 && s.CannotObtain })
	for _, w := range st.PerWitness {
		if w.Cosigned || w.KnownSize != 6 || !strings.Contains(w.LastError, "rolled back or forked") {
			t.Fatalf("witness %s on the fork: %+v", w.Name, w)
		}
	}
	plain := mustLatest(t, fork)
	for _, w := range ws {
		_, err := witness.Client{URL: w.srv.URL}.AddCheckpoint(ctx, witness.Request{OldSize: 0, Checkpoint: plain})
		var refused *witness.Error
		if !errors.As(err, &refused) || refused.Status != http.StatusConflict || refused.Size != 6 {
			t.Fatalf("witness %s on the forked checkpoint: %v, want 409 with size 6", w.w.VerifierKey(), err)
		}
	}
	if err := readyCheck(fork, "witness_quorum"); !errors.Is(err, audit.ErrNoQuorum) {
		t.Fatalf("witness_quorum check on the fork: %v, want ErrNoQuorum", err)
	}
	if _, err := policy.Check(plain); !errors.Is(err, cosig.ErrQuorum) || !strings.Contains(err.Error(), "w.example/a, w.example/b, w.example/c") {
		t.Fatalf("verify the fork with the quorum: %v, want ErrQuorum naming all three", err)
	}

	callElections(t, fork, 4) // outgrow the witnesses' size: the proof from 6 fails
	st = waitStatus(t, fork, "fork at 8 refused", func(s audit.CosignStatus) bool {
		return s.Size == 8 && s.CannotObtain && strings.Contains(s.PerWitness[0].LastError, "422")
	})
	if st.Cosigned != 0 || st.QuorumSize != 0 {
		t.Fatalf("the fork got cosignatures: %+v", st)
	}
}

func readyCheck(n *node.Node, name string) error {
	for _, c := range n.ReadyChecks() {
		if c.Name == name {
			return c.Check()
		}
	}
	return errors.New("no check named " + name)
}
