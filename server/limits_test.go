package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// served runs e's server with Serve on a loopback port, as "ledger serve"
// does, and returns its address.
func (e *env) served(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// closedBy dials addr, writes what, and reports whether the server closed
// the connection (after any answer) before stuck: stuck is a bound for a
// hung test, far above the timeouts under test, not a speed target.
func closedBy(t *testing.T, addr, what string) (answer string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, what); err != nil {
		t.Fatal(err)
	}
	const stuck = 10 * time.Second
	_ = c.SetReadDeadline(time.Now().Add(stuck))
	b, err := io.ReadAll(c)
	return string(b), err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestTimeoutsEveryPhase: headers sent slowly, a body trickled, an idle
// keep-alive connection: the server closes each.
func TestTimeoutsEveryPhase(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 400 * time.Millisecond,
		IdleTimeout: 300 * time.Millisecond, WriteTimeout: 2 * time.Second}})
	addr := e.served(t)
	_, before := e.n.Store.Position()
	for name, req := range map[string]string{
		"headers never end": "GET /healthz HTTP/1.1\r\nHost: x\r\n",
		"body trickled": "POST /api/v1/commands/call_election HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e.admin +
			"\r\nContent-Type: application/json\r\nIdempotency-Key: 01JAAAAAAAAAAAAAAAAAAAAAAA\r\nContent-Length: 100000\r\n\r\n{\"region\":",
		"body trickled, no token": "POST /api/v1/commands/call_election HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
		"idle keep-alive":         "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			answer, closed := closedBy(t, addr, req)
			if !closed {
				t.Fatalf("connection still open; got %q", answer)
			}
			if name == "idle keep-alive" && !strings.HasPrefix(answer, "HTTP/1.1 200") {
				t.Errorf("answer %q", answer)
			}
		})
	}
	if _, after := e.n.Store.Position(); after != before {
		t.Errorf("a timed-out request wrote: %d -> %d", before, after)
	}
}

// TestConnectionLimit: the connection over --max-conns gets 503
// problem+json with Retry-After and is closed.
func TestConnectionLimit(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{MaxConns: 2}})
	addr := e.served(t)
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("within the limit: %v %v", resp, err)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("over the limit: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestStreamLimits: streams per token answer 429, streams in all 503, both
// problem+json with Retry-After; a closed stream gives its slot back.
func TestStreamLimits(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{MaxStreams: 3, MaxStreamsPerToken: 2}})
	el := e.openElection(village, 3)
	a, b, c := e.token(RoleObserver, ""), e.token(RoleObserver, ""), e.token(RoleObserver, "")
	path := "/api/v1/streams/turnout/elections/" + el.ID
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, firstCancel := context.WithCancel(ctx)
	e.openStream(t, first, path, a)
	e.openStream(t, ctx, path, a)
	checkRefused := func(tok string, status int) {
		t.Helper()
		r := e.do(http.MethodGet, path, tok, nil)
		if r.Status != status || r.Header.Get("Retry-After") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("got %d %v %s, want %d with Retry-After", r.Status, r.Header, r.Body, status)
		}
	}
	checkRefused(a, http.StatusTooManyRequests)
	e.openStream(t, ctx, path, b)
	checkRefused(c, http.StatusServiceUnavailable)
	firstCancel()
	deadline := time.Now().Add(10 * time.Second) // a hung test's bound
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+a)
		resp, err := e.ts.Client().Do(req)
		if err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			break
		}
		if err == nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream never gave its slot back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRatePerToken: a token over its rate gets 429 with Retry-After;
// another token is not slowed by it.
func TestRatePerToken(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{RatePerToken: 5}})
	hot, calm := e.token(RoleObserver, ""), e.token(RoleObserver, "")
	limited := 0
	for range 40 {
		r := e.do(http.MethodGet, "/api/v1/whoami", hot, nil)
		if r.Status == http.StatusTooManyRequests {
			limited++
			if r.Header.Get("Retry-After") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("429 without Retry-After or problem+json: %v", r.Header)
			}
		}
	}
	if limited == 0 {
		t.Error("40 requests at once were never limited at 5/s")
	}
	if r := e.do(http.MethodGet, "/api/v1/whoami", calm, nil); r.Status != http.StatusOK {
		t.Errorf("another token: %d", r.Status)
	}
}
