package server

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/domain"
)

// principal is one caller of the matrix.
type principal struct {
	name  string
	token string
}

// fixture holds the records the matrix's routes point at.
type fixture struct {
	el           election
	consultation string
	eventID      string
	tokenID      string
}

// routeCase is one route of the matrix with the request that reaches it.
type routeCase struct {
	method, path string
	body         any
	stream       bool
	public       bool     // no token needed: every principal, even without one, gets past authorization
	allowed      []string // principals that get past authorization
}

var (
	everyone   = []string{"admin", "supervisor_in", "supervisor_out", "supervisor_election", "secretary_in", "secretary_out", "inspector", "inspector_out", "observer"}
	auditors   = []string{"admin", "inspector", "inspector_out"}
	electionWr = []string{"admin", "supervisor_in", "supervisor_election"}
)

func principals(t *testing.T, e *env, f fixture) []principal {
	revoked := e.token(RoleObserver, "")
	ts, _ := e.srv.Tokens().List()
	if _, err := e.srv.Tokens().Revoke(ts[len(ts)-1].ID); err != nil {
		t.Fatal(err)
	}
	return []principal{
		{"admin", e.admin},
		{"supervisor_in", e.token(RoleSupervisor, "", "2201")},
		{"supervisor_out", e.token(RoleSupervisor, "", "3301")},
		{"supervisor_election", e.token(RoleSupervisor, "", f.el.ID)},
		{"secretary_in", e.token(RoleSecretary, "", "220102")},
		{"secretary_out", e.token(RoleSecretary, "", "3301")},
		{"inspector", e.token(RoleInspector, "")},
		{"inspector_out", e.token(RoleInspector, "", "3301")},
		{"observer", e.token(RoleObserver, "")},
		{"no_token", ""},
		{"malformed", "ldg_not-a-token"},
		{"revoked", revoked},
	}
}

// commandBody is a decodable body of the command type addressed to the
// fixture's election (or a fresh aggregate) in the village.
func commandBody(proto domain.Command, f fixture) map[string]any {
	b, _ := json.Marshal(proto)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	set := func(k, v string) {
		if _, ok := m[k]; ok {
			m[k] = v
		}
	}
	set("region", village)
	set("election_id", f.el.ID)
	set("station_id", ulid.Make().String())
	set("consultation_id", ulid.Make().String())
	set("inspection_id", ulid.Make().String())
	return m
}

func commandAllowed(kind domain.AggregateKind) []string {
	switch kind {
	case domain.KindElection, domain.KindStation:
		return electionWr
	case domain.KindConsultation:
		return []string{"admin", "secretary_in"}
	case domain.KindProfile, domain.KindRegions:
		return []string{"admin"}
	}
	return []string{"admin", "inspector"}
}

func routeCases(f fixture) []routeCase {
	var rc []routeCase
	for _, proto := range domain.CommandTypes() {
		rc = append(rc, routeCase{method: "POST", path: CommandPath(proto.CommandType()), body: commandBody(proto, f),
			allowed: commandAllowed(proto.Target().Kind)})
	}
	get := func(path string, allowed []string) {
		rc = append(rc, routeCase{method: "GET", path: path, allowed: allowed})
	}
	stream := func(path string, allowed []string) {
		rc = append(rc, routeCase{method: "GET", path: path, stream: true, allowed: allowed})
	}
	el := f.el
	get("/api/v1/turnout/regions/2201", everyone)
	get("/api/v1/regions/2201", everyone)
	get("/api/v1/turnout/regions/2201/children", everyone)
	get("/api/v1/turnout/regions/2201/series", everyone)
	get("/api/v1/turnout/elections/"+el.ID, everyone)
	get("/api/v1/turnout/elections/"+el.ID+"/series", everyone)
	get("/api/v1/turnout/stations/"+el.Station, everyone)
	get("/api/v1/results/elections/"+el.ID, everyone)
	get("/api/v1/resolutions/regions/2201", everyone)
	get("/api/v1/reconciliation/elections/"+el.ID, append([]string{"supervisor_in", "supervisor_election"}, auditors...))
	get("/api/v1/desk/elections/"+el.ID+"/stations/"+el.Station, append([]string{"supervisor_in", "supervisor_election"}, auditors...))
	for _, p := range []string{"/api/v1/public/regions/2201", "/api/v1/public/turnout/regions/2201", "/api/v1/public/turnout/regions/2201/children",
		"/api/v1/public/turnout/elections/" + el.ID, "/api/v1/public/results/elections/" + el.ID,
		"/api/v1/public/checkpoint", "/api/v1/public/receipts/" + f.eventID} {
		rc = append(rc, routeCase{method: "GET", path: p, public: true})
	}
	get("/api/v1/consultations/regions/"+village, append([]string{"secretary_in"}, auditors...))
	get("/api/v1/consultations/"+f.consultation, append([]string{"secretary_in"}, auditors...))
	get("/api/v1/supervision/regions/"+village, auditors)
	get("/api/v1/audit/events?region=2201", auditors)
	get("/api/v1/audit/state/election/"+el.ID+"?region="+village, auditors)
	get("/api/v1/events/1", auditors)
	get("/api/v1/lag", auditors)
	get("/api/v1/audit/checkpoint", auditors)
	get("/api/v1/audit/witnesses", auditors)
	get("/api/v1/audit/receipts/"+f.eventID, auditors)
	get("/api/v1/tokens", []string{"admin"})
	get("/api/v1/whoami", everyone)
	rc = append(rc, routeCase{method: "POST", path: "/api/v1/tokens", body: map[string]any{"role": "observer"}, allowed: []string{"admin"}})
	rc = append(rc, routeCase{method: "DELETE", path: "/api/v1/tokens/" + f.tokenID, allowed: []string{"admin"}})
	stream("/api/v1/streams/turnout/elections/"+el.ID, everyone)
	stream("/api/v1/streams/turnout/regions/2201", everyone)
	stream("/api/v1/streams/events/regions/220102", append([]string{"supervisor_in", "secretary_in"}, auditors...))
	return rc
}

// status sends the route's request as p and returns the status (streams:
// the status of the response head, then the stream is dropped).
func (e *env) status(t *testing.T, rc routeCase, p principal) int {
	if !rc.stream {
		headers := []string{"Idempotency-Key", ulid.Make().String(), "Occurred-At", day("2026-04-02", 9).Format(time.RFC3339)}
		return e.do(rc.method, rc.path, p.token, rc.body, headers...).Status
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, rc.method, e.ts.URL+rc.path, nil)
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAccessMatrix calls every route as every role, in and out of scope,
// with no token, a malformed one and a revoked one.
func TestAccessMatrix(t *testing.T) {
	e := newEnv(t, Options{})
	f := fixture{el: e.openElection(village, 3)}
	f.consultation = ulid.Make().String()
	out := e.must("propose_topic", map[string]any{"consultation_id": f.consultation, "region": village, "topic": "小区加装电梯",
		"proposed_by": "one_fifth_residents", "signatures": 60, "residents": 300, "rules": map[string]any{}}, day("2026-04-01", 9))
	f.eventID = out.Events[0].EventID
	_, tok, _ := e.srv.Tokens().Create(RoleObserver, nil, "")
	f.tokenID = tok.ID
	ps := principals(t, e, f)
	cases := routeCases(f)
	covered := map[string]bool{}
	for _, rc := range cases {
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			for _, p := range ps {
				got := e.status(t, rc, p)
				want := "allowed"
				switch {
				case rc.public:
				case p.name == "no_token" || p.name == "malformed" || p.name == "revoked":
					want = "401"
				case !slices.Contains(rc.allowed, p.name):
					want = "403"
				}
				// A read the role may make, of something outside its
				// scope, answers 404 as if absent (TestOutOfScopeIsAbsent).
				hidden := rc.method == "GET" && got == 404
				ok := (want == "allowed" && got != 401 && got != 403 && got < 500) ||
					(want == "401" && got == 401) || (want == "403" && (got == 403 || hidden))
				if !ok {
					t.Errorf("%s: got %d, want %s", p.name, got, want)
				}
			}
		})
		covered[rc.method+" "+templateOf(rc.path)] = true
	}
	checkEveryRouteCovered(t, e, covered)
}

func templateOf(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// checkEveryRouteCovered fails if an operation of the OpenAPI document has
// no row in the matrix.
func checkEveryRouteCovered(t *testing.T, e *env, covered map[string]bool) {
	t.Helper()
	var missing []string
	for path, item := range e.srv.API().OpenAPI().Paths {
		ops := map[string]any{"GET": item.Get, "POST": item.Post, "DELETE": item.Delete}
		for m, op := range ops {
			if reflect.ValueOf(op).IsNil() {
				continue
			}
			if !coveredPath(covered, m, path) {
				missing = append(missing, m+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes missing from the matrix: %v", missing)
	}
}

func coveredPath(covered map[string]bool, method, tmpl string) bool {
	parts := strings.Split(tmpl, "/")
	for k := range covered {
		m, p, _ := strings.Cut(k, " ")
		got := strings.Split(p, "/")
		if m != method || len(got) != len(parts) {
			continue
		}
		match := true
		for i := range parts {
			if !strings.HasPrefix(parts[i], "{") && parts[i] != got[i] {
				match = false
			}
		}
		if match {
			return true
		}
	}
	return false
}
