package server

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// openStream opens an SSE stream as tok and returns its body once the
// response head arrived.
func (e *env) openStream(t *testing.T, ctx context.Context, path, tok string) io.ReadCloser {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	return resp.Body
}

// streamsEnd opens every stream route as tok, calls end, and fails unless
// every stream is closed by the server. The context's 10 s is a bound for
// a stuck test, not a speed target: the server ends them within
// StreamReauth.
func streamsEnd(t *testing.T, e *env, el election, tok string, end func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range []string{"/api/v1/streams/turnout/elections/" + el.ID, "/api/v1/streams/turnout/regions/2201",
		"/api/v1/streams/events/regions/2201"} {
		body := e.openStream(t, ctx, p, tok)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer body.Close()
			_, err := io.Copy(io.Discard, body)
			if ctx.Err() != nil {
				t.Errorf("%s: still open after the token ended (%v)", p, err)
			}
		}()
	}
	end()
	wg.Wait()
}

// TestRevocationEndsStreams: a stream opened before its token was revoked
// ends; the token gets 401 at once.
func TestRevocationEndsStreams(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 3)
	var tok NewToken
	e.do(http.MethodPost, "/api/v1/tokens", e.admin, map[string]any{"role": "supervisor", "scope": []string{"2201"}}).json(t, &tok)
	streamsEnd(t, e, el, tok.Token, func() {
		if r := e.do(http.MethodDelete, "/api/v1/tokens/"+tok.ID, e.admin, nil); r.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
	})
	if r := e.do(http.MethodGet, "/api/v1/whoami", tok.Token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", r.Status)
	}
}

// TestExpiryEndsStreams: a token created with a ttl works until it
// expires; then its requests get 401 and its open streams end.
func TestExpiryEndsStreams(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 3)
	var mu sync.Mutex
	now := time.Now()
	e.srv.tokens.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var tok NewToken
	r := e.do(http.MethodPost, "/api/v1/tokens", e.admin, map[string]any{"role": "supervisor", "scope": []string{"2201"}, "ttl": "1h"})
	r.json(t, &tok)
	if want := now.Add(time.Hour).UTC(); !tok.ExpiresAt.Equal(want) {
		t.Fatalf("expires_at %v, want %v", tok.ExpiresAt, want)
	}
	if r := e.do(http.MethodGet, "/api/v1/whoami", tok.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("live token: %d", r.Status)
	}
	streamsEnd(t, e, el, tok.Token, func() {
		mu.Lock()
		now = now.Add(time.Hour)
		mu.Unlock()
	})
	if r := e.do(http.MethodGet, "/api/v1/whoami", tok.Token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("expired token: %d", r.Status)
	}
	for _, ttl := range []string{"-1h", "0s", "soon", "1"} {
		r := e.do(http.MethodPost, "/api/v1/tokens", e.admin, map[string]any{"role": "observer", "ttl": ttl})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("ttl %q: %d %s", ttl, r.Status, r.Body)
		}
	}
}
