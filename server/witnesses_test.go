package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ledger/audit"
	"ledger/node"
	"ledger/witness"
)

// TestWitnessStatusShown: with one witness up and one unreachable and a
// quorum of two, /readyz fails its witness_quorum check naming the
// unreachable witness, /api/v1/audit/witnesses shows 1 of 2, and
// /metrics exports the ledger_witness_* series.
func TestWitnessStatusShown(t *testing.T) {
	dir := t.TempDir()
	_, v, err := audit.LoadOrCreateKey(dir, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	wdir := t.TempDir()
	k, err := witness.LoadOrCreateKey(wdir, "w.example/up")
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(witness.Config{Dir: wdir, Key: k, Logs: []string{v.Key}})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(w.Handler())
	defer up.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port nobody answers on
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String()
	ln.Close()
	kdown, err := witness.LoadOrCreateKey(t.TempDir(), "w.example/down")
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(context.Background(), node.Config{DataDir: dir, MemoryStorage: true, WitnessQuorum: 2,
		Witnesses: []string{k.VerifierKey + "+" + up.URL, kdown.VerifierKey + "+" + deadURL}, CheckpointInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	<-n.Store.Ready()
	srv, err := New(n, Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := srv.Tokens().Bootstrap(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e := &env{t: t, n: n, srv: srv, ts: ts, admin: secret}
	e.openElection(village, 3)
	if _, err := n.Checkpointer.SignNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !n.Cosigner.Status().CannotObtain || n.Cosigner.Status().Cosigned != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", n.Cosigner.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}

	r := e.do(http.MethodGet, "/readyz", "", nil)
	var ready struct {
		Status string
		Checks []readyCheck
	}
	if err := json.Unmarshal(r.Body, &ready); err != nil || r.Status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d %s (%v), want 503", r.Status, r.Body, err)
	}
	byName := map[string]readyCheck{}
	for _, c := range ready.Checks {
		byName[c.Name] = c
	}
	if q := byName["witness_quorum"]; !byName["ingest"].OK || !byName["integrity"].OK || q.OK ||
		!strings.Contains(q.Reason, "w.example/down") {
		t.Fatalf("/readyz checks %+v", ready.Checks)
	}

	r = e.do(http.MethodGet, "/api/v1/audit/witnesses", e.admin, nil)
	var st audit.CosignStatus
	if err := json.Unmarshal(r.Body, &st); err != nil || r.Status != 200 {
		t.Fatalf("witnesses: %d %s", r.Status, r.Body)
	}
	if st.Quorum != 2 || st.Witnesses != 2 || st.Cosigned != 1 || st.QuorumMet || !st.PerWitness[0].Cosigned || !st.PerWitness[1].Failing {
		t.Fatalf("witness status %+v", st)
	}
	r = e.do(http.MethodGet, "/metrics", "", nil)
	for _, m := range []string{"ledger_witness_quorum 2", "ledger_witness_cosignatures 1", "ledger_witness_cannot_obtain_quorum 1",
		`ledger_witness_up{witness="w.example/down"} 0`, `ledger_witness_up{witness="w.example/up"} 1`} {
		if !strings.Contains(string(r.Body), m) {
			t.Errorf("metrics lack %q", m)
		}
	}
}
