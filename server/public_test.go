package server

import (
	"net/http"
	"testing"
)

// TestPublicView reads the token-free routes: turnout and declared results
// only (a round being counted shows its phase, not its tally), receipts of
// notice events only, a rate limit per client, and none of it with
// NoPublic.
func TestPublicView(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 10)
	var checkIn CommandResponse
	for r := 1; r <= 8; r++ {
		checkIn = e.must("check_in", el.checkIn(r), day(electionDay, 9))
	}
	e.must("close_polls", el.station(), day(electionDay, 17))
	for range 8 {
		e.must("record_ballot", with(el.station(), "round", 1, "candidates", []string{"c0", "c1", "c2"}), day(electionDay, 18))
	}
	var pub, full PublicResults
	e.do("GET", "/api/v1/public/results/elections/"+el.ID, "", nil).json(t, &pub)
	e.do("GET", "/api/v1/results/elections/"+el.ID, e.admin, nil).json(t, &full)
	if r := pub.Rounds[0]; r.Phase != "counting" || r.Cast != 0 || len(r.Tally) != 0 {
		t.Errorf("public results while counting: %+v; want the phase only", r)
	}
	if full.Rounds[0].Cast != 8 {
		t.Fatalf("the token's results show %d cast, want 8", full.Rounds[0].Cast)
	}
	e.must("close_count", with(el.station(), "round", 1), day(electionDay, 19))
	decl := e.must("declare_result", with(el.addr(), "round", 1, "station_ids", []string{el.Station}), day(electionDay, 19))
	e.do("GET", "/api/v1/public/results/elections/"+el.ID, "", nil).json(t, &pub)
	if r := pub.Rounds[0]; r.Phase != "declared" || r.Cast != 8 || len(r.Elected) != 3 {
		t.Errorf("public results once declared: %+v", r)
	}
	if r := e.do("GET", "/api/v1/public/turnout/elections/"+el.ID, "", nil); r.Status != http.StatusOK {
		t.Errorf("public turnout: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/public/receipts/"+decl.Events[0].EventID, "", nil); r.Status != http.StatusOK {
		t.Errorf("receipt of the declaration: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/public/receipts/"+checkIn.Events[0].EventID, "", nil); r.Status != http.StatusNotFound {
		t.Errorf("receipt of a check-in (a voter's roll number and time): %d, want 404", r.Status)
	}
	if r := e.do("GET", "/api/v1/public/checkpoint", "", nil); r.Status != http.StatusOK {
		t.Errorf("public checkpoint: %d %s", r.Status, r.Body)
	}

	limited := newEnv(t, Options{PublicRate: 0.001, PublicBurst: 3})
	var codes []int
	for range 5 {
		codes = append(codes, limited.do("GET", "/api/v1/public/turnout/regions/22", "", nil).Status)
	}
	if codes[2] == http.StatusTooManyRequests || codes[3] != http.StatusTooManyRequests {
		t.Errorf("statuses of 5 requests with a burst of 3: %v", codes)
	}
	off := newEnv(t, Options{NoPublic: true})
	if r := off.do("GET", "/api/v1/public/turnout/regions/22", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("with NoPublic: %d, want 404", r.Status)
	}
}
