package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
)

// seriesCount is the number of ledger_http_* series /metrics shows.
func (e *env) seriesCount(t *testing.T) int {
	t.Helper()
	r := e.do(http.MethodGet, "/metrics", "", nil)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ledger_http_") {
			n++
		}
	}
	return n
}

// TestMetricsLabelsFixed sends 1,000 made-up methods and paths without a
// token: the number of series does not grow past what one of each makes.
func TestMetricsLabelsFixed(t *testing.T) {
	e := newEnv(t, Options{})
	send := func(i int) {
		req, _ := http.NewRequest(fmt.Sprintf("M%dX", i), e.ts.URL+fmt.Sprintf("/api/v1/nothing-%d/x%d", i, i), nil)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		e.do(http.MethodGet, fmt.Sprintf("/no/such/%d", i), "", nil)
	}
	send(0)
	e.seriesCount(t) // the scrape's own series
	before := e.seriesCount(t)
	for i := 1; i <= 1000; i++ {
		send(i)
	}
	if got := e.seriesCount(t); got != before {
		t.Errorf("series grew from %d to %d after 1,000 odd methods and paths", before, got)
	}
}

// hostileCase is one request an attacker might send, and what it must get.
type hostileCase struct {
	name    string
	method  string
	path    string
	token   string // "admin" for the admin token
	body    string
	headers []string // pairs; "Authorization" may repeat
	status  int
	check   func(t *testing.T, r response) // more checks, may be nil
}

// send sends a hostile case as it is, repeated headers included.
func (e *env) send(t *testing.T, c hostileCase) response {
	t.Helper()
	var body *strings.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequest(c.method, e.ts.URL+c.path, body)
	} else {
		req, err = http.NewRequest(c.method, e.ts.URL+c.path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.token == "admin" {
		req.Header.Set("Authorization", "Bearer "+e.admin)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		v := strings.ReplaceAll(c.headers[i+1], "$ADMIN", e.admin)
		req.Header.Add(c.headers[i], v)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
}

func hasHeader(name, want string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func mentions(s string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if !bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("answer does not name %q: %s", s, r.Body)
		}
	}
}

// electionBody is a call_election body in region with keys as given.
func electionBody(region string) string {
	return fmt.Sprintf(`{"election_id":%q,"region":%q,"committee":"villagers","seats":3,"election_day":"2027-05-01",`+
		`"election_committee":["主任 王建国","委员 李秀英","委员 张伟"],"rules":{}}`, ulid.Make().String(), region)
}

func strictCases() []hostileCase {
	cmd := CommandPath("call_election")
	good := electionBody(village)
	idem := func(h ...string) []string { return append([]string{"Idempotency-Key", ulid.Make().String()}, h...) }
	return []hostileCase{
		{name: "text/plain body", method: "POST", path: cmd, token: "admin", body: good, headers: idem("Content-Type", "text/plain"), status: 415},
		{name: "body without content type", method: "POST", path: cmd, token: "admin", body: good, headers: idem(), status: 415},
		{name: "form body", method: "POST", path: cmd, token: "admin", body: good, headers: idem("Content-Type", "application/x-www-form-urlencoded"), status: 415},
		{name: "json with latin1 charset", method: "POST", path: cmd, token: "admin", body: good, headers: idem("Content-Type", "application/json; charset=latin1"), status: 415},
		{name: "json with utf-8 charset", method: "POST", path: cmd, token: "admin", body: good, headers: idem("Content-Type", "application/json; charset=UTF-8"), status: 201},
		{name: "duplicate key", method: "POST", path: cmd, token: "admin", headers: idem("Content-Type", "application/json"),
			body: strings.Replace(good, `"seats":3`, `"seats":3,"seats":5`, 1), status: 400, check: mentions("seats")},
		{name: "upper-case key", method: "POST", path: cmd, token: "admin", headers: idem("Content-Type", "application/json"),
			body: strings.Replace(good, `"region"`, `"REGION"`, 1), status: 400, check: mentions("REGION")},
		{name: "case-folded duplicate key", method: "POST", path: cmd, token: "admin", headers: idem("Content-Type", "application/json"),
			body: strings.Replace(good, `"seats":3`, `"seats":3,"Seats":5`, 1), status: 400, check: mentions("Seats")},
		{name: "nested duplicate key", method: "POST", path: cmd, token: "admin", headers: idem("Content-Type", "application/json"),
			body: strings.Replace(good, `"rules":{}`, `"rules":{"a":1,"a":2}`, 1), status: 400, check: mentions(`\"a\"`)},
		{name: "duplicate key in token request", method: "POST", path: "/api/v1/tokens", token: "admin", headers: []string{"Content-Type", "application/json"},
			body: `{"role":"observer","role":"admin"}`, status: 400, check: mentions("role")},
		{name: "upper-case key in token request", method: "POST", path: "/api/v1/tokens", token: "admin", headers: []string{"Content-Type", "application/json"},
			body: `{"ROLE":"admin"}`, status: 400, check: mentions("ROLE")},
		{name: "two Authorization headers", method: "GET", path: "/api/v1/whoami",
			headers: []string{"Authorization", "Bearer $ADMIN", "Authorization", "Bearer ldg_x"}, status: 400},
		{name: "two Authorization headers, second good", method: "GET", path: "/api/v1/whoami",
			headers: []string{"Authorization", "Bearer ldg_x", "Authorization", "Bearer $ADMIN"}, status: 400},
		{name: "lower-case scheme", method: "GET", path: "/api/v1/whoami", headers: []string{"Authorization", "bearer $ADMIN"}, status: 200},
		{name: "upper-case scheme", method: "GET", path: "/api/v1/whoami", headers: []string{"Authorization", "BEARER $ADMIN"}, status: 200},
		{name: "basic scheme", method: "GET", path: "/api/v1/whoami", headers: []string{"Authorization", "Basic YWRtaW46YWRtaW4="}, status: 401},
		{name: "scheme only", method: "GET", path: "/api/v1/whoami", headers: []string{"Authorization", "Bearer"}, status: 401},
		{name: "unknown command", method: "POST", path: CommandPath("delete_everything"), token: "admin", body: "{}",
			headers: []string{"Content-Type", "application/json"}, status: 404},
		{name: "unknown API path", method: "GET", path: "/api/v1/secrets", token: "admin", status: 404},
		{name: "unknown API version", method: "GET", path: "/api/v2/whoami", status: 404},
		{name: "wrong method on a command", method: "GET", path: cmd, token: "admin", status: 405, check: hasHeader("Allow", "POST")},
		{name: "wrong method on a query", method: "DELETE", path: "/api/v1/whoami", token: "admin", status: 405, check: hasHeader("Allow", "GET, HEAD")},
		{name: "made-up method", method: "BREW", path: "/api/v1/whoami", status: 405, check: hasHeader("Allow", "GET, HEAD")},
		{name: "wrong method on healthz", method: "POST", path: "/healthz", status: 405, check: hasHeader("Allow", "GET, HEAD")},
		{name: "wrong method on metrics", method: "PUT", path: "/metrics", status: 405},
	}
}

// TestStrictRequests: bodies must be JSON with unique, exactly spelled
// keys; one Authorization header with a case-insensitive scheme; unknown
// routes and methods answer problem+json.
func TestStrictRequests(t *testing.T) {
	e := newEnv(t, Options{})
	for _, c := range strictCases() {
		t.Run(c.name, func(t *testing.T) {
			_, before := e.n.Store.Position()
			r := e.send(t, c)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if r.Status >= 400 {
				if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				if _, after := e.n.Store.Position(); after != before {
					t.Errorf("a refused request wrote: position %d -> %d", before, after)
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// securityHeaders are the headers every answer carries.
var securityHeaders = map[string]string{
	"Content-Security-Policy": headerCSP,
	"X-Frame-Options":         "DENY",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
}

// TestSecurityHeadersEverywhere: API JSON, problems, metrics, health and
// streams all carry the same security headers.
func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t, Options{})
	for _, c := range []hostileCase{
		{name: "json", method: "GET", path: "/api/v1/whoami", token: "admin"},
		{name: "problem", method: "GET", path: "/api/v1/whoami"},
		{name: "404", method: "GET", path: "/api/v1/none"},
		{name: "405", method: "POST", path: "/readyz"},
		{name: "metrics", method: "GET", path: "/metrics"},
		{name: "healthz", method: "GET", path: "/healthz"},
		{name: "openapi", method: "GET", path: "/openapi.json"},
		{name: "415", method: "POST", path: CommandPath("call_election"), body: "x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.send(t, c)
			for k, v := range securityHeaders {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s %s: %s = %q, want %q", c.method, c.path, k, got, v)
				}
			}
		})
	}
}
