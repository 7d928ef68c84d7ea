package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ledger/audit"
	"ledger/domain"
)

// TestOpenAPIRejectsUnknownFields checks that /openapi.json is OpenAPI 3.1
// and that each command route's body schema is its Go type with
// additionalProperties false, so that a validator refuses unknown fields.
func TestOpenAPIRejectsUnknownFields(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do(http.MethodGet, "/openapi.json", "", nil)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				AdditionalProperties *bool `json:"additionalProperties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.json(t, &doc)
	if r.Status != 200 || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %d %q", r.Status, doc.OpenAPI)
	}
	reg := e.srv.API().OpenAPI().Components.Schemas
	for _, proto := range domain.CommandTypes() {
		ct := proto.CommandType()
		ref := doc.Paths[CommandPath(ct)]["post"].RequestBody.Content["application/json"].Schema.Ref
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if ap := doc.Components.Schemas[name].AdditionalProperties; ref == "" || ap == nil || *ap {
			t.Errorf("%s: schema %q does not forbid additional properties", ct, ref)
			continue
		}
		b, _ := json.Marshal(proto)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		before := validate(reg, ref, body)
		body["smuggled"] = "x"
		after := validate(reg, ref, body)
		if !strings.Contains(strings.Join(after, ";"), "smuggled") || len(after) != len(before)+1 {
			t.Errorf("%s: unknown field not refused: %v", ct, after)
		}
	}
}

func validate(reg huma.Registry, ref string, body any) []string {
	res := &huma.ValidateResult{}
	huma.Validate(reg, reg.SchemaFromRef(ref), huma.NewPathBuffer([]byte{}, 0), huma.ModeWriteToServer, body, res)
	var out []string
	for _, e := range res.Errors {
		out = append(out, e.Error())
	}
	return out
}

func TestTokens(t *testing.T) {
	e := newEnv(t, Options{})
	fi, err := os.Stat(filepath.Join(e.n.Config.DataDir, BootstrapFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap file: %v %v", fi, err)
	}
	if _, again, _ := e.srv.Tokens().Bootstrap(e.n.Config.DataDir); again {
		t.Fatal("bootstrap twice")
	}
	r := e.do(http.MethodPost, "/api/v1/tokens", e.admin, map[string]any{"role": "secretary", "scope": []string{"220102"}, "actor": "书记 李"})
	var nt NewToken
	r.json(t, &nt)
	if r.Status != 201 || !strings.HasPrefix(nt.Token, tokenPrefix) {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodGet, "/api/v1/tokens", e.admin, nil); strings.Contains(string(r.Body), nt.Token) || r.Status != 200 {
		t.Fatalf("list leaks or fails: %d", r.Status)
	}
	if r := e.do(http.MethodGet, "/api/v1/resolutions/regions/2201", nt.Token, nil); r.Status != 200 {
		t.Fatalf("use: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodDelete, "/api/v1/tokens/"+nt.ID, e.admin, nil); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodGet, "/api/v1/resolutions/regions/2201", nt.Token, nil); r.Status != 401 || r.problem(t).Code != "invalid_token" {
		t.Fatalf("revoked still works: %d", r.Status)
	}
	if r := e.do(http.MethodPost, "/api/v1/tokens", e.admin, map[string]any{"role": "secretary"}); r.Status != 422 {
		t.Fatalf("secretary without scope: %d %s", r.Status, r.Body)
	}
}

func TestOpsRoutes(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 2)
	e.command(e.admin, "check_in", el.checkIn(1))
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready",
		"/metrics": "ledger_append_duration_seconds_bucket"} {
		r := e.do(http.MethodGet, path, "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), want) {
			t.Errorf("%s: %d %.200s", path, r.Status, r.Body)
		}
	}
	r := e.do(http.MethodGet, "/metrics", "", nil)
	for _, m := range []string{"ledger_ingest_lag_messages", "ledger_projection_lag_events", "ledger_checkpoint_age_seconds", "ledger_events_appended_total",
		"ledger_stream_messages_republished_total", "ledger_stream_messages_undecodable_total", "ledger_chain_breaks_total",
		"ledger_pebble_fsyncs_total", "ledger_pebble_fsync_seconds_total"} {
		if !strings.Contains(string(r.Body), m) {
			t.Errorf("metric %s missing", m)
		}
	}
	// The check-in was made durable by at least one fsync, which took time.
	for _, m := range []string{"ledger_pebble_fsyncs_total", "ledger_pebble_fsync_seconds_total"} {
		if v := metricValue(t, string(r.Body), m); v <= 0 {
			t.Errorf("%s = %v after a durable check-in, want > 0", m, v)
		}
	}
}

func TestReceiptOnCheckIn(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 2)
	r := e.do(http.MethodPost, CommandPath("check_in")+"?receipt=true", e.admin, el.checkIn(1), "Idempotency-Key", "01KB000000000000000000000A")
	var out CommandResponse
	r.json(t, &out)
	if r.Status != 201 || len(out.Receipts) != 1 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var rc audit.Receipt
	if err := json.Unmarshal(out.Receipts[0], &rc); err != nil {
		t.Fatal(err)
	}
	signer, v, err := audit.LoadOrCreateKey(e.n.Config.DataDir, "ledger")
	_ = signer
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.VerifyReceipt(rc, v); err != nil || rc.Event.EventID != out.Events[0].EventID {
		t.Fatalf("receipt does not verify: %v", err)
	}
}

// sse reads events from a stream until n arrive or the deadline passes.
func (e *env) sse(t *testing.T, path, tok string, n int, headers ...string) []map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, ct)
	}
	var out []map[string]string
	cur := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = map[string]string{}
			continue
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, ":") {
			cur[k] = v
		}
	}
	return out
}

func TestStreams(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 3)
	obs := e.token(RoleObserver, "")
	done := make(chan []map[string]string)
	go func() { done <- e.sse(t, "/api/v1/streams/turnout/elections/"+el.ID, obs, 2) }()
	time.Sleep(100 * time.Millisecond)
	e.command(e.admin, "check_in", el.checkIn(1))
	got := <-done
	if len(got) != 2 || got[0]["event"] != "turnout" || !strings.Contains(got[1]["data"], `"voted":1`) {
		t.Fatalf("turnout stream: %v", got)
	}
	sup := e.token(RoleSupervisor, "", "2201")
	evs := e.sse(t, "/api/v1/streams/events/regions/220102?from=1", sup, 3)
	if len(evs) != 3 || evs[0]["event"] != "election.called" {
		t.Fatalf("region stream: %v", evs)
	}
	resumed := e.sse(t, "/api/v1/streams/events/regions/220102", sup, 1, "Last-Event-ID", evs[1]["id"])
	if len(resumed) != 1 || resumed[0]["id"] != evs[2]["id"] {
		t.Fatalf("resume after %s: %v", evs[1]["id"], resumed)
	}
}

// metricValue returns the value of an unlabelled metric in a /metrics body.
func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("metric %s missing", name)
	return 0
}
