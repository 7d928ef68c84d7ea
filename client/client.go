// Package client is a small HTTP client of the ledger's API (see package
// server): it records commands with a client-chosen command ID and reads
// the read models.
//
// Errors from the server are returned as *Error, which carries the
// RFC 9457 problem+json body (stable code, rule, Chinese and English
// messages). Commands are idempotent by their ID, so Command retries them
// with the same ID after a network error or a 503/429 answer.
//
//	c := client.New("http://127.0.0.1:8080", token)
//	res, err := c.Command(ctx, "check_in", body, client.CommandOptions{})
//	var p *client.Error
//	if errors.As(err, &p) && p.Problem.Code == "already_checked_in" { ... }
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Client calls one ledger server. Its zero value is not usable: build it
// with New. A Client is safe for concurrent use.
type Client struct {
	// BaseURL is the server's address, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is the bearer token; empty sends no Authorization header.
	Token string
	// HTTP is the underlying client. Default http.DefaultClient.
	HTTP *http.Client
	// Retries is how many times a command is retried (same ID) after a
	// network error, 503 or 429. Default 12, enough to outlast a JetStream
	// stream leader election (the server asks for a retry after 1 s);
	// negative means none.
	Retries int
	// MaxRetryWait caps the wait between retries. Default 5s.
	MaxRetryWait time.Duration
	// OnRetry, when set, is called before each retry of a command with
	// the command ID, the attempt that failed (1 for the first), its error
	// and the wait before the next. It must not block.
	OnRetry func(id string, attempt int, err error, wait time.Duration)
}

// New returns a client of the server at baseURL with a bearer token.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token}
}

// CommandOptions are the per-call options of Command; zero values mean
// defaults.
type CommandOptions struct {
	// ID is the command ID (a ULID). Default: a fresh ULID. Reuse it to
	// retry a command whose outcome is unknown.
	ID string
	// OccurredAt is when the act happened. Default: the server's now.
	OccurredAt time.Time
	// Receipt asks for the events' receipts (inclusion proofs).
	Receipt bool
}

// CommandPath is the route of a command type.
func CommandPath(commandType string) string { return "/api/v1/commands/" + commandType }

// NewID returns a fresh command ID.
func NewID() string { return ulid.Make().String() }

// Command records a command of type commandType with body (its JSON). It
// returns the recorded outcome; a retry of a recorded command returns the
// original outcome with Duplicate set.
func (c *Client) Command(ctx context.Context, commandType string, body []byte, o CommandOptions) (*CommandResponse, error) {
	if o.ID == "" {
		o.ID = NewID()
	} else if _, err := ulid.ParseStrict(o.ID); err != nil {
		return nil, fmt.Errorf("client: command ID %q is not a ULID: %w", o.ID, err)
	}
	path := CommandPath(commandType)
	if o.Receipt {
		path += "?receipt=true"
	}
	h := http.Header{}
	h.Set("Idempotency-Key", o.ID)
	if !o.OccurredAt.IsZero() {
		h.Set("Occurred-At", o.OccurredAt.Format(time.RFC3339Nano))
	}
	var out CommandResponse
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, http.MethodPost, path, h, body, &out)
		wait, retry := c.retryable(err, attempt)
		if !retry {
			if err != nil {
				return nil, err
			}
			return &out, nil
		}
		if c.OnRetry != nil {
			c.OnRetry(o.ID, attempt+1, err, wait)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// retryable reports whether a command that failed with err may be sent
// again, and after how long.
func (c *Client) retryable(err error, attempt int) (time.Duration, bool) {
	retries := c.Retries
	if retries == 0 {
		retries = 12
	}
	if err == nil || attempt >= retries {
		return 0, false
	}
	wait := time.Duration(200*(1<<attempt)) * time.Millisecond
	var e *Error
	switch {
	case errors.As(err, &e):
		busy := e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests ||
			e.Problem.Code == "command_in_progress"
		if !busy {
			return 0, false
		}
		if e.RetryAfter > 0 {
			wait = e.RetryAfter
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return 0, false
	}
	maxWait := c.MaxRetryWait
	if maxWait == 0 {
		maxWait = 5 * time.Second
	}
	return min(wait, maxWait), true
}

// Get reads path (with query parameters q) and decodes the JSON answer
// into out.
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any) error {
	raw, err := c.GetRaw(ctx, path, q)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("client: decode %s: %w", path, err)
	}
	return nil
}

// GetRaw reads path and returns the answer's body as it came.
func (c *Client) GetRaw(ctx context.Context, path string, q url.Values) (json.RawMessage, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var raw json.RawMessage
	err := c.do(ctx, http.MethodGet, path, nil, nil, &raw)
	return raw, err
}

// do sends one request and decodes a 2xx answer into out (a
// *json.RawMessage keeps it raw).
func (c *Client) do(ctx context.Context, method, path string, h http.Header, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("client: read %s: %w", path, err)
	}
	if resp.StatusCode >= 300 {
		return errorOf(resp, b)
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: decode %s: %w", path, err)
	}
	return nil
}

func errorOf(resp *http.Response, b []byte) *Error {
	e := &Error{Status: resp.StatusCode}
	if err := json.Unmarshal(b, &e.Problem); err != nil || e.Problem.Code == "" {
		e.Problem = Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
			EN: strings.TrimSpace(string(b))}
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}
