package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"ledger/audit"
)

// TestReadyzNamesIntegrity: once the scrub finds the stream and Pebble
// disagreeing (here the stream is deleted under the serving node),
// /readyz answers 503 naming the integrity check and its reason, the
// metric counts it and no checkpoint is signed.
func TestReadyzNamesIntegrity(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 2)
	e.command(e.admin, "check_in", el.checkIn(1))
	ctx := context.Background()
	if err := e.n.Store.JetStream().DeleteStream(ctx, e.n.Store.StreamName()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var r response
	for {
		r = e.do(http.MethodGet, "/readyz", "", nil)
		if r.Status == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var body struct {
		Status string       `json:"status"`
		Checks []readyCheck `json:"checks"`
	}
	r.json(t, &body)
	checks := map[string]readyCheck{}
	for _, c := range body.Checks {
		checks[c.Name] = c
	}
	if r.Status != 503 || body.Status != "not ready" || checks["integrity"].OK ||
		!strings.Contains(checks["integrity"].Reason, "no longer exists") || !checks["ingest"].OK {
		t.Fatalf("/readyz: %d %s", r.Status, r.Body)
	}
	m := e.do(http.MethodGet, "/metrics", "", nil)
	if v := metricValue(t, string(m.Body), "ledger_integrity_problems_total"); v != 1 {
		t.Errorf("ledger_integrity_problems_total = %v, want 1", v)
	}
	if _, err := e.n.Checkpointer.SignNow(ctx); !errors.Is(err, audit.ErrHeld) {
		t.Errorf("checkpoint signed over disagreeing copies: %v", err)
	}
	for _, path := range []string{"/api/v1/streams/events/regions/22", "/api/v1/streams/turnout/elections/" + el.ID} {
		got := e.sse(t, path, e.admin, 1)
		if len(got) != 1 || got[0]["event"] != "alert" || got[0]["id"] != "" || !strings.Contains(got[0]["data"], "no longer exists") {
			t.Errorf("%s: got %v, want the scrub's alert", path, got)
		}
	}
}
