package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"ledger/domain"
)

// TestCLISplitsLargeBatches: 1,200 check-ins and 1,200 ballots given to
// check-ins and record-ballots are sent in parts of at most 500, the CLI
// says so, and everything is recorded once; a part refused leaves the
// parts before it recorded and says which items are not.
func TestCLISplitsLargeBatches(t *testing.T) {
	e := newCLIEnv(t)
	const call, roll, day, closing = "2026-04-01T09:00:00+08:00", "2026-04-11T09:00:00+08:00",
		"2026-05-01T08:00:00+08:00", "2026-05-01T16:00:00+08:00"
	const n = 1200
	e.election("call", call, "--seats", "3", "--day", "2026-05-01", "--committee-member", "主任 王建国")
	var voters []map[string]any
	for r := 1; r <= n+domain.MaxStationBatch; r++ {
		voters = append(voters, map[string]any{"roll_no": r, "station_id": tHall})
	}
	body, _ := json.Marshal(map[string]any{"election_id": tElection, "region": tRegion, "voters": voters})
	e.must("cmd", "register_voters", call, "--body", string(body))
	e.election("publish-roll", roll)
	for i := 1; i <= 4; i++ {
		e.election("nominate", roll, "--candidate", fmt.Sprintf("c%d", i), "--name", fmt.Sprintf("候选人%d", i))
	}
	e.election("publish-candidates", roll)
	e.station("establish-station", tHall, roll, "--place", "村委会大院", "--scrutineer", "监票人甲")
	e.station("open-polls", tHall, day)

	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"roll_no": i + 1, "mode": "in_person"}
	}
	js, _ := json.Marshal(items)
	out := e.station("check-ins", tHall, day, "--items", string(js))
	if !strings.Contains(out, "1200 items sent as 3 check_ins commands of at most 500") || !strings.Contains(out, "part 3 of 3: items 1001-1200") {
		t.Errorf("check-ins did not say how it split the batch:\n%s", out)
	}
	// A second batch: its first part (500 new voters) is recorded, its second repeats a voter and is not.
	again := []map[string]any{}
	for r := n + 1; r <= n+domain.MaxStationBatch; r++ {
		again = append(again, map[string]any{"roll_no": r, "mode": "in_person"})
	}
	again = append(again, map[string]any{"roll_no": 1, "mode": "in_person"})
	js, _ = json.Marshal(again)
	out, code := e.run(e.args("election", "check-ins", day, "--election", tElection, "--region", tRegion, "--station", tHall, "--items", string(js))...)
	if code != 3 || !strings.Contains(out, "already_checked_in") || !strings.Contains(out, "items 1-500 are recorded, items 501-501 are not") {
		t.Fatalf("a batch repeating voters: exit %d, want 3 already_checked_in:\n%s", code, out)
	}
	out2, _ := e.run(e.args("query", "turnout", "", "--election", tElection, "--json")...)
	var tu struct {
		Voted int `json:"voted"`
	}
	if err := json.Unmarshal([]byte(out2), &tu); err != nil || tu.Voted != n+domain.MaxStationBatch {
		t.Fatalf("turnout %s (%v): want %d voted; the refused batch said:\n%s", out2, err, n+domain.MaxStationBatch, out)
	}

	e.station("close-polls", tHall, closing)
	ballots := make([]map[string]any, n)
	for i := range ballots {
		ballots[i] = map[string]any{"candidates": []string{fmt.Sprintf("c%d", 1+i%4)}}
	}
	js, _ = json.Marshal(ballots)
	out = e.station("record-ballots", tHall, closing, "--ballots", string(js))
	if !strings.Contains(out, "1200 items sent as 3 record_ballots commands") {
		t.Errorf("record-ballots did not say how it split the batch:\n%s", out)
	}
	out, _ = e.run(e.args("query", "results", "", "--election", tElection, "--json")...)
	var res struct {
		Rounds []struct {
			Cast int `json:"cast"`
		} `json:"rounds"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Rounds) == 0 || res.Rounds[0].Cast != n {
		t.Fatalf("results %s (%v): want %d ballots cast", out, err, n)
	}
}

func TestSplitItemsByBytes(t *testing.T) {
	items := make([]any, 30)
	for i := range items {
		items[i] = strings.Repeat("x", 98) // 100 bytes as JSON, 101 with its comma
	}
	parts, err := splitItems(map[string]any{"k": nil}, "k", items, 1000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range parts {
		b, _ := json.Marshal(map[string]any{"k": p})
		if len(b) > 1000 {
			t.Errorf("a part of %d bytes, over the limit of 1000", len(b))
		}
		total += len(p)
	}
	if total != len(items) || len(parts) < 3 {
		t.Errorf("%d parts holding %d items, want all %d in at least 3", len(parts), total, len(items))
	}
}
