package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/audit"
	"ledger/domain"
	"ledger/node"
	"ledger/projections"
)

const (
	village     = "220102001001" // in scope "2201"
	electionDay = "2026-05-01"
)

var chinaTZ = time.FixedZone("CST", 8*3600)

// fileStream makes newEnv keep the JetStream stream on disk (benchmarks).
var fileStream = false

// env is a real node in t.TempDir() served by httptest.
type env struct {
	t     testing.TB
	n     *node.Node
	srv   *Server
	ts    *httptest.Server
	admin string
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	n, _, _ := openNode(t, !fileStream)
	if opts.StreamPoll == 0 {
		opts.StreamPoll = 20 * time.Millisecond
	}
	srv, err := New(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	secret, created, err := srv.Tokens().Bootstrap(n.Config.DataDir)
	if err != nil || !created {
		t.Fatalf("bootstrap: %v %v", created, err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	return &env{t: t, n: n, srv: srv, ts: ts, admin: secret}
}

// openNode builds a node the way node.Open will once it wires the read
// models and the audit tree: a real store in t.TempDir() (stream in memory).
func openNode(t testing.TB, memory bool) (*node.Node, *audit.Tree, *projections.Set) {
	t.Helper()
	n, err := node.Open(context.Background(), node.Config{DataDir: t.TempDir(), MemoryStorage: memory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	<-n.Store.Ready()
	return n, n.Tree, n.Projections
}

// token creates a token and returns its secret.
func (e *env) token(role Role, actor string, scope ...string) string {
	e.t.Helper()
	secret, _, err := e.srv.Tokens().Create(role, scope, actor)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r response) problem(t testing.TB) Problem {
	t.Helper()
	var p Problem
	r.json(t, &p)
	return p
}

// do sends a request; headers come in pairs.
func (e *env) do(method, path, tok string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// command posts a command with a fresh command ID.
func (e *env) command(tok, ct string, body any, headers ...string) response {
	e.t.Helper()
	return e.do(http.MethodPost, CommandPath(ct), tok, body, append([]string{"Idempotency-Key", ulid.Make().String()}, headers...)...)
}

// must posts a command as admin and fails unless it is recorded.
func (e *env) must(ct string, body any, at time.Time) CommandResponse {
	e.t.Helper()
	r := e.command(e.admin, ct, body, "Occurred-At", at.Format(time.RFC3339))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("%s: %d %s", ct, r.Status, r.Body)
	}
	var out CommandResponse
	r.json(e.t, &out)
	return out
}

func day(d string, hour int) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, d, chinaTZ)
	return t.Add(time.Duration(hour) * time.Hour)
}

// election is a called election with a published roll and candidates and
// one open station.
type election struct {
	ID, Station, Region string
	Stations            []string
	Voters              int
}

func (el election) addr() map[string]any {
	return map[string]any{"election_id": el.ID, "region": el.Region}
}

func (el election) station() map[string]any {
	return map[string]any{"station_id": el.Station, "election_id": el.ID, "region": el.Region}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// openElection records, through HTTP, an election in region with voters
// voters (roll numbers 1..voters) at one station whose polls are open.
func (e *env) openElection(region string, voters int) election {
	e.t.Helper()
	return e.openElectionAt(region, voters, 1)
}

// openElectionAt is openElection with several stations; roll number r votes
// at Stations[(r-1) % stations]. The roll is filled up to K voters a
// station (roll numbers after voters), the smallest counting unit.
func (e *env) openElectionAt(region string, voters, stations int) election {
	e.t.Helper()
	el := election{ID: ulid.Make().String(), Region: region, Voters: voters}
	for range stations {
		el.Stations = append(el.Stations, ulid.Make().String())
	}
	el.Station = el.Stations[0]
	call := day("2026-04-01", 9)
	e.must("call_election", with(el.addr(), "committee", "villagers", "seats", 3, "election_day", electionDay,
		"election_committee", []string{"主任 王建国", "委员 李秀英", "委员 张伟"}, "rules", map[string]any{}), call)
	roll := max(voters, domain.DefaultMinCountUnit*stations)
	for from := 1; from <= roll; from += domain.MaxVoterBatch {
		var vs []map[string]any
		for r := from; r <= roll && r < from+domain.MaxVoterBatch; r++ {
			vs = append(vs, map[string]any{"roll_no": r, "station_id": el.Stations[(r-1)%stations]})
		}
		e.must("register_voters", with(el.addr(), "voters", vs), call)
	}
	e.must("publish_roll", el.addr(), call)
	for i := range 4 {
		e.must("nominate_candidate", with(el.addr(), "candidate_id", fmt.Sprintf("c%d", i), "name", fmt.Sprintf("候选人%d", i)), call)
	}
	e.must("publish_candidates", el.addr(), call)
	for _, st := range el.Stations {
		addr := with(el.station(), "station_id", st)
		e.must("establish_station", with(addr, "mobile", false, "approved", false, "place", "村委会",
			"scrutineers", []string{"甲", "乙", "丙"}), call)
		e.must("open_polls", with(addr, "round", 1), day(electionDay, 8))
	}
	return el
}

func (el election) checkIn(rollNo int) map[string]any {
	st := el.Stations[(rollNo-1)%len(el.Stations)]
	return with(el.station(), "station_id", st, "roll_no", rollNo, "mode", "in_person")
}
