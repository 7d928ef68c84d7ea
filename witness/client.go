package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client submits checkpoints to one witness.
type Client struct {
	// URL is the witness's submission prefix (add-checkpoint is appended).
	URL string
	// HTTP defaults to http.DefaultClient (keep-alive connections).
	HTTP *http.Client
}

// AddCheckpoint posts req to the witness and returns the cosignature
// lines of a 200 answer. A refusal is an *Error with the witness's status
// (and on 409 its known size); a transport failure is returned as is.
// The caller checks the lines against the witness's key.
func (c Client) AddCheckpoint(ctx context.Context, req Request) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	url := strings.TrimSuffix(c.URL, "/") + "/add-checkpoint"
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req.Marshal()))
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	resp, err := hc.Do(r)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequestBytes))
	if err != nil {
		return nil, fmt.Errorf("witness: read answer: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusConflict:
		size, err := ParseSize(body)
		if err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), SizeContentType) {
			return nil, fmt.Errorf("witness: malformed 409 answer %q (%s)", body, resp.Header.Get("Content-Type"))
		}
		return nil, &Error{Status: http.StatusConflict, Size: size, Reason: fmt.Sprintf("the witness holds size %d", size)}
	default:
		return nil, &Error{Status: resp.StatusCode, Reason: strings.TrimSpace(string(body))}
	}
}
