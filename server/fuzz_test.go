package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// validHeaderName is what a client's HTTP/1.1 connection can carry as a
// header name; anything else never reaches the handler.
var validHeaderName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

// FuzzHTTP sends arbitrary requests (method, path, headers, body, one of
// four tokens or none) to the real handler of a real node and checks: no
// 5xx, problem+json on every 4xx, and nothing written by a refused
// request. The seed corpus is testdata/fuzz/FuzzHTTP plus the hostile
// cases of this package; "go test" runs them, "-fuzz FuzzHTTP" explores.
func FuzzHTTP(f *testing.F) {
	e := newEnv(f, Options{Limits: Limits{RatePerToken: -1}})
	el := e.openElection(village, 3)
	toks := []string{"", e.admin, e.token(RoleObserver, ""), e.token(RoleSupervisor, "", "2201"), e.token(RoleInspector, "", "3301")}
	for _, c := range strictCases() {
		f.Add(c.method, c.path, uint8(1), strings.Join(pairs(c.headers), "\n"), []byte(c.body))
	}
	f.Add("GET", "/api/v1/streams/events/regions/22", uint8(3), "", []byte(nil))
	f.Add("GET", "/api/v1/reconciliation/elections/"+el.ID, uint8(3), "", []byte(nil))
	f.Add("POST", CommandPath("check_in"), uint8(3), "Content-Type: application/json\nIdempotency-Key: 01JAAAAAAAAAAAAAAAAAAAAAAA",
		[]byte(`{"election_id":"`+el.ID+`","station_id":"`+el.Station+`","region":"`+village+`","roll_no":1,"mode":"in_person"}`))
	handler := e.srv.Handler()
	f.Fuzz(func(t *testing.T, method, path string, tok uint8, headers string, body []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond) // streams end
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, "http://ledger"+path, bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return // no client can send it
		}
		if len(body) == 0 {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		addHeaders(req, headers)
		if s := toks[int(tok)%len(toks)]; s != "" {
			req.Header.Set("Authorization", "Bearer "+s)
		}
		_, before := e.n.Store.Position()
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		checkAnswer(t, e, rec, before, method, path)
	})
}

func pairs(h []string) []string {
	var out []string
	for i := 0; i+1 < len(h); i += 2 {
		out = append(out, h[i]+": "+h[i+1])
	}
	return out
}

// addHeaders adds "Name: value" lines that a connection could carry.
func addHeaders(req *http.Request, headers string) {
	for _, line := range strings.Split(headers, "\n") {
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		if !ok || !validHeaderName.MatchString(k) || strings.ContainsAny(v, "\r\n\x00") {
			continue
		}
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding") {
			continue // the connection's framing, not the handler's
		}
		req.Header.Add(k, v)
	}
}

func checkAnswer(t *testing.T, e *env, rec *httptest.ResponseRecorder, before uint64, method, path string) {
	t.Helper()
	status := rec.Code
	if status >= 500 {
		t.Fatalf("%s %q: %d %s", method, path, status, rec.Body)
	}
	if status >= 400 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%s %q: %d with Content-Type %q: %s", method, path, status, ct, rec.Body)
		}
		if _, after := e.n.Store.Position(); after != before {
			t.Fatalf("%s %q: refused with %d but the log moved %d -> %d", method, path, status, before, after)
		}
	}
}
