package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
)

const foreignVillage = "330102001001" // outside every "2201" scope

// TestOutOfScopeIsAbsent: an object outside the caller's scope answers as
// an absent one would (404), and no answer names its region or ID, also
// when the caller names an in-scope region for it or reaches it through
// another object.
func TestOutOfScopeIsAbsent(t *testing.T) {
	e := newEnv(t, Options{})
	foreign := e.openElection(foreignVillage, 3)
	home := e.openElection(village, 3)
	sup := e.token(RoleSupervisor, "", "2201")
	supEl := e.token(RoleSupervisor, "", home.ID)
	insp := e.token(RoleInspector, "", "2201")
	missing := ulid.Make().String()
	foreignInsp, homeInsp := e.openInspection(foreign), e.openInspection(home)
	leaks := []string{foreign.Region, foreign.ID, foreign.Station, "3301", foreignInsp}
	finding := func(inspection, election string) map[string]any {
		return map[string]any{"inspection_id": inspection, "region": village, "finding_id": ulid.Make().String(),
			"kind": "procedure", "election_id": election, "election_region": village, "summary": "唱票未公开", "evidence": []string{}}
	}
	cases := []struct {
		name     string
		tok      string
		method   string
		path     string
		body     any
		absentID string // the same request for an object that does not exist
		idKey    string // the body's key of the object replaced by absentID; default election_id
	}{
		{"foreign inspection named under the caller's region", insp, "POST", CommandPath("record_finding"),
			finding(foreignInsp, ""), missing, "inspection_id"},
		{"foreign election through an in-scope inspection", insp, "POST", CommandPath("record_finding"),
			finding(homeInsp, foreign.ID), missing, "election_id"},
		{"command on a foreign election named in scope", sup, "POST", CommandPath("publish_candidates"),
			map[string]any{"election_id": foreign.ID, "region": village}, missing, ""},
		{"station of a foreign election through an in-scope election", supEl, "POST", CommandPath("close_polls"),
			map[string]any{"station_id": foreign.Station, "election_id": home.ID, "region": village}, "", ""},
		{"reconciliation of a foreign election", sup, "GET", "/api/v1/reconciliation/elections/" + foreign.ID, nil, missing, ""},
		{"audit state under a wrong region", e.admin, "GET", "/api/v1/audit/state/election/" + foreign.ID + "?region=" + village, nil, missing, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.tok, c.body, "Idempotency-Key", ulid.Make().String())
			if r.Status != http.StatusNotFound {
				t.Errorf("status %d, want 404: %s", r.Status, r.Body)
			}
			sent, _ := json.Marshal(c.body)
			for _, l := range leaks {
				if strings.Contains(c.path+string(sent), l) {
					continue // the caller's own words may come back
				}
				if strings.Contains(string(r.Body), l) {
					t.Errorf("answer names %q: %s", l, r.Body)
				}
			}
			if c.absentID != "" {
				path := strings.ReplaceAll(c.path, foreign.ID, c.absentID)
				body := c.body
				if m, ok := c.body.(map[string]any); ok {
					key := c.idKey
					if key == "" {
						key = "election_id"
					}
					body = with(m, key, c.absentID)
				}
				a := e.do(c.method, path, c.tok, body, "Idempotency-Key", ulid.Make().String())
				got, want := r.problem(t), a.problem(t)
				if got.Code != want.Code || got.EN != want.EN {
					t.Errorf("out of scope %s %q, absent %s %q", got.Code, got.EN, want.Code, want.EN)
				}
			}
		})
	}
}

// openInspection opens an inspection in the election's region whose scope
// is that election, and returns its ID.
func (e *env) openInspection(el election) string {
	e.t.Helper()
	id := ulid.Make().String()
	e.must("open_inspection", map[string]any{"inspection_id": id, "region": el.Region, "title": "选举程序检查",
		"scope": map[string]any{"kind": "election", "id": el.ID}, "inspectors": []string{"监委 赵敏", "监委 钱进"}},
		day(electionDay, 18))
	return id
}
