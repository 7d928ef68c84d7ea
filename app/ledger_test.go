package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
)

type line struct {
	CommandType string          `json:"command_type"`
	Now         time.Time       `json:"now"`
	Body        json.RawMessage `json:"body"`
	WantError   string          `json:"want_error,omitempty"`
	Actor       string          `json:"actor,omitempty"`
}

type golden struct {
	CommandType string `json:"command_type"`
	Events      []struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	} `json:"events,omitempty"`
	Error     string `json:"error,omitempty"`
	FollowUps []struct {
		CommandType string `json:"command_type"`
		Error       string `json:"error,omitempty"`
	} `json:"follow_ups,omitempty"`
}

func readLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// TestScenariosThroughStore runs the domain's golden scenarios through the
// real command path (embedded JetStream and Pebble) and checks that the log
// holds exactly the events the golden files expect, in order, and that
// retried commands record nothing twice.
func TestScenariosThroughStore(t *testing.T) {
	files, _ := filepath.Glob("../domain/testdata/*.jsonl")
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	ctx := context.Background()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			l := app.New(s, app.Config{})
			want := readLines[golden](t, f[:len(f)-len(".jsonl")]+".golden")
			for i, ln := range readLines[line](t, f) {
				cmd, err := domain.DecodeCommand(ln.CommandType, ln.Body)
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				actor := "supervisor"
				if ln.Actor != "" {
					actor = ln.Actor
				}
				meta := app.Meta{CommandID: ulid.Make().String(), Actor: actor, OccurredAt: ln.Now}
				out, err := l.Execute(ctx, cmd, meta)
				if de, ok := domain.AsError(err); ok {
					if de.Code != want[i].Error {
						t.Fatalf("line %d %s: got error %s, want %q", i+1, ln.CommandType, de.Code, want[i].Error)
					}
					continue
				}
				if err != nil {
					t.Fatalf("line %d %s: %v", i+1, ln.CommandType, err)
				}
				if len(out.Events) != len(want[i].Events) {
					t.Fatalf("line %d %s: got %d events, want %d", i+1, ln.CommandType, len(out.Events), len(want[i].Events))
				}
				for j, e := range out.Events {
					if e.Type != want[i].Events[j].Type || e.Actor != actor || e.CommandID != meta.CommandID {
						t.Fatalf("line %d: event %d is %s by %s, want %s", i+1, j, e.Type, e.Actor, want[i].Events[j].Type)
					}
				}
				checkFollowUps(t, i+1, out.FollowUps, want[i])
				again, err := l.Execute(ctx, cmd, meta)
				if err != nil || !again.Duplicate || again.FirstPosition != out.FirstPosition {
					t.Fatalf("line %d: retry got %+v, %v; want the original outcome", i+1, again.Result, err)
				}
			}
		})
	}
}

// TestOccurredAtInFuture: an occurred-at beyond the allowed skew is refused
// with a clear error and nothing is written.
func TestOccurredAtInFuture(t *testing.T) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	l := app.New(s, app.Config{Now: func() time.Time { return now }})
	body := `{"election_id":"01J00000000000000000000001","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`
	cmd, err := domain.DecodeCommand("call_election", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"an hour ahead", now.Add(time.Hour), "occurred_at_in_future"},
		{"within the skew", now.Add(4 * time.Minute), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String(), OccurredAt: tc.at})
			de, _ := domain.AsError(err)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v, want success", err)
			case tc.want != "" && (de == nil || de.Code != tc.want || de.ZH == "" || de.EN == ""):
				t.Fatalf("got %v, want %s with messages in both languages", err, tc.want)
			}
		})
	}
	if got := len(mustRead(t, s)); got != 1 {
		t.Fatalf("log holds %d events, want only the accepted command's 1", got)
	}
}

func mustRead(t *testing.T, s *eventstore.Store) []eventstore.Envelope {
	t.Helper()
	events, err := s.ReadLog(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// behindStore is a real event store on a node that cannot catch up with
// the log: as a node whose ordered consumer is being recreated after a
// stream leader's failover.
type behindStore struct{ *eventstore.Store }

func (behindStore) CatchUp(context.Context, time.Duration) error { return context.DeadlineExceeded }

// TestRefusalWhileBehind: the domain refuses a command (here, calling an
// election that exists). A node that has caught up answers with the law's
// refusal; one that cannot catch up does not claim the command is refused,
// since it may be the retry of one recorded a moment ago, and asks for a
// retry instead. Nothing is written either way.
func TestRefusalWhileBehind(t *testing.T) {
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := `{"election_id":"01J00000000000000000000001","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`
	cmd, err := domain.DecodeCommand("call_election", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Now: func() time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC) }}
	if _, err := app.New(s, cfg).Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String()}); err != nil {
		t.Fatal(err)
	}
	again := app.Meta{CommandID: ulid.Make().String()}
	_, err = app.New(s, cfg).Execute(context.Background(), cmd, again)
	if de, ok := domain.AsError(err); !ok || errors.Is(err, app.ErrBehind) {
		t.Fatalf("caught up: got %v (%+v), want the domain's refusal", err, de)
	}
	_, err = app.New(behindStore{s}, cfg).Execute(context.Background(), cmd, again)
	if _, refused := domain.AsError(err); refused || !errors.Is(err, app.ErrBehind) {
		t.Fatalf("behind: got %v, want ErrBehind and no refusal", err)
	}
	if got := len(mustRead(t, s)); got != 1 {
		t.Fatalf("log holds %d events, want 1", got)
	}
}

// checkFollowUps compares the follow-ups recorded with the golden file's.
func checkFollowUps(t *testing.T, n int, got []app.FollowUp, want golden) {
	t.Helper()
	if len(got) != len(want.FollowUps) {
		t.Fatalf("line %d: %d follow-ups, want %d", n, len(got), len(want.FollowUps))
	}
	for k, f := range got {
		code := ""
		if f.Error != nil {
			code = f.Error.Code
		}
		if f.CommandType != want.FollowUps[k].CommandType || code != want.FollowUps[k].Error {
			t.Fatalf("line %d: follow-up %d is %s (%q), want %s (%q)", n, k, f.CommandType, code, want.FollowUps[k].CommandType, want.FollowUps[k].Error)
		}
		if f.Outcome != nil && (len(f.Outcome.Events) == 0 || f.Outcome.Events[0].CausationID == "") {
			t.Fatalf("line %d: follow-up %s recorded %+v, want events caused by the command", n, f.CommandType, f.Outcome.Result)
		}
	}
}
