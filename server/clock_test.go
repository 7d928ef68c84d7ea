package server

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"ledger/history"
)

// TestAuditClocks: an election entered months after the fact from paper
// dates. Its state on 2 April is there on the occurred clock (the default
// for state) and absent on the recorded clock; "what happened on 1 April"
// lists its events on the occurred clock and nothing on the recorded clock
// (the default for the trail); an unknown clock is refused.
func TestAuditClocks(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 3)
	q := url.Values{"region": {village}, "time": {day("2026-04-02", 0).Format(time.RFC3339)}}
	state := "/api/v1/audit/state/election/" + el.ID + "?"
	var got struct{ Version uint64 }
	r := e.do(http.MethodGet, state+q.Encode(), e.admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("state on 2 April (occurred by default): %d %s", r.Status, r.Body)
	}
	r.json(t, &got)
	if got.Version == 0 {
		t.Errorf("state on 2 April: version 0")
	}
	q.Set("clock", "recorded")
	if r := e.do(http.MethodGet, state+q.Encode(), e.admin, nil); r.Status != http.StatusNotFound {
		t.Errorf("state on 2 April, recorded clock: %d %s; want 404", r.Status, r.Body)
	}

	trail := url.Values{"from": {day("2026-04-01", 0).Format(time.RFC3339)}, "to": {day("2026-04-02", 0).Format(time.RFC3339)}}
	for clock, wantSome := range map[string]bool{"": false, "recorded": false, "occurred": true} {
		trail.Set("clock", clock)
		var pg history.Page
		r := e.do(http.MethodGet, "/api/v1/audit/events?"+trail.Encode(), e.admin, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("trail of 1 April, clock %q: %d %s", clock, r.Status, r.Body)
		}
		r.json(t, &pg)
		if (len(pg.Entries) > 0) != wantSome {
			t.Errorf("trail of 1 April, clock %q: %d entries", clock, len(pg.Entries))
		}
	}
	trail.Set("clock", "sideways")
	r = e.do(http.MethodGet, "/api/v1/audit/events?"+trail.Encode(), e.admin, nil)
	if p := r.problem(t); r.Status != http.StatusUnprocessableEntity || p.Code != "invalid_request" || p.ZH == "" || p.EN == "" {
		t.Errorf("unknown clock: %d %s; want 422 with Chinese and English", r.Status, r.Body)
	}
}
