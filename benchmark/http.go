package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/scenario"
	"ledger/server"
)

// httpRequest is one prepared check-in: its body and Occurred-At header.
type httpRequest struct {
	path, occurred string
	body           []byte
}

// httpRequests encodes steps as the HTTP API takes them, before the clock
// starts: the command's JSON as the body, its time as Occurred-At.
func httpRequests(steps []scenario.Step) ([]httpRequest, error) {
	reqs := make([]httpRequest, len(steps))
	for i, st := range steps {
		body, err := json.Marshal(st.Cmd)
		if err != nil {
			return nil, fmt.Errorf("benchmark: encode %s: %w", st.Cmd.CommandType(), err)
		}
		reqs[i] = httpRequest{path: server.CommandPath(st.Cmd.CommandType()), body: body}
		if !st.Meta.OccurredAt.IsZero() {
			reqs[i].occurred = st.Meta.OccurredAt.Format(time.RFC3339Nano)
		}
	}
	return reqs, nil
}

// serveHTTP starts the node's real HTTP server on a random loopback port
// and returns its base URL, a supervisor token of region for each of
// clients clients, and a function that shuts the server down. The
// per-token rate limit is off: each client stands for many stations'
// devices.
func (b *bench) serveHTTP(ctx context.Context, clients int, region string) (url string, tokens []string, stop func() error, err error) {
	srv, err := server.New(b.n, server.Options{MaxInFlightWrites: 256, Limits: server.Limits{RatePerToken: -1}})
	if err != nil {
		return "", nil, nil, err
	}
	for i := range clients {
		secret, _, err := srv.Tokens().Create(server.RoleSupervisor, []string{region}, fmt.Sprintf("bench-client-%d", i))
		if err != nil {
			return "", nil, nil, fmt.Errorf("benchmark: token: %w", err)
		}
		tokens = append(tokens, secret)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln, 5*time.Second) }()
	return "http://" + ln.Addr().String(), tokens, func() error { cancel(); return <-done }, nil
}

// recordHTTP posts steps to the node's HTTP API from w clients, one
// check-in a request, each request with an Idempotency-Key of its own,
// each client waiting for its answer (201: durable) before its next
// request; it measures each request from its sending to its answer.
func (b *bench) recordHTTP(ctx context.Context, steps []scenario.Step, w int) (Throughput, error) {
	reqs, err := httpRequests(steps)
	if err != nil {
		return Throughput{}, err
	}
	if len(steps) == 0 {
		return Throughput{}, nil
	}
	levels := steps[0].Cmd.Target().Region.Levels()
	if len(levels) == 0 {
		return Throughput{}, errors.New("benchmark: a check-in with no region")
	}
	url, tokens, stop, err := b.serveHTTP(ctx, w, string(levels[0]))
	if err != nil {
		return Throughput{}, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: w, MaxConnsPerHost: w, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	lat := make([]time.Duration, len(reqs))
	var next, replays atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for c := range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				again, err := post(ctx, client, url, tokens[c], reqs[i])
				lat[i] = time.Since(t)
				if again {
					replays.Add(1)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	err = errors.Join(firstErr, stop())
	if err != nil {
		return Throughput{}, err
	}
	b.rep.HTTPReplays = int(replays.Load())
	return throughput(len(reqs), d, lat), ctx.Err()
}

// post sends one command and fails unless it was recorded: 201, or 200
// when the client's transport sent it again after losing its connection
// and the server answered the retry with the original outcome; replayed
// says which.
func post(ctx context.Context, c *http.Client, url, token string, r httpRequest) (replayed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+r.path, bytes.NewReader(r.body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ulid.Make().String())
	if r.occurred != "" {
		req.Header.Set("Occurred-At", r.occurred)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, fmt.Errorf("benchmark: HTTP check-in: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	replayed = resp.StatusCode == http.StatusOK && resp.Header.Get("Idempotent-Replayed") == "true"
	if resp.StatusCode != http.StatusCreated && !replayed {
		return false, fmt.Errorf("benchmark: HTTP check-in: %s: %s", resp.Status, body)
	}
	return replayed, nil
}
