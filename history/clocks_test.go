package history_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
	"ledger/history"
)

// paperLine is one command of a domain scenario, dated as on paper.
type paperLine struct {
	CommandType string          `json:"command_type"`
	Now         time.Time       `json:"now"`
	Body        json.RawMessage `json:"body"`
	WantError   string          `json:"want_error,omitempty"`
}

// recorded is what one scenario left in the log: per aggregate, the
// paper date of each of its events in version order.
type recorded map[string][]time.Time

// recordFromPaper enters a scenario of domain/testdata months after the
// fact, each command with its paper date as occurred-at.
func recordFromPaper(t *testing.T, l *app.Ledger, path string, into recorded) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var ln paperLine
		if err := json.Unmarshal(sc.Bytes(), &ln); err != nil {
			t.Fatal(err)
		}
		if ln.WantError != "" {
			continue
		}
		cmd, err := domain.DecodeCommand(ln.CommandType, ln.Body)
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String(), Actor: "secretary", OccurredAt: ln.Now})
		if err != nil {
			t.Fatalf("%s at %s: %v", ln.CommandType, ln.Now, err)
		}
		for _, e := range out.Events {
			into[e.AggregateKind+"/"+e.AggregateID] = append(into[e.AggregateKind+"/"+e.AggregateID], ln.Now)
		}
	}
}

// versionBy is the number of an aggregate's events that happened by t.
func versionBy(dates []time.Time, t time.Time) uint64 {
	var n uint64
	for _, d := range dates {
		if !d.After(t) {
			n++
		}
	}
	return n
}

func day(s string) time.Time {
	t, err := domain.ParseTime(s, domain.ChinaTime())
	if err != nil {
		panic(err)
	}
	return t
}

// TestTwoClocksAfterTheFact records an election and a consultation from
// their paper minutes, months after they happened, and asks the log about
// the same moments on both clocks: on the occurred clock the state of 20
// April is what had happened by then; on the recorded clock the ledger
// knew nothing on 20 April, and as of the moment between the two entries
// it knew the election but not the consultation.
func TestTwoClocksAfterTheFact(t *testing.T) {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := app.New(s, app.Config{MaxFuture: -1})
	got := recorded{}
	recordFromPaper(t, l, "../domain/testdata/village_election.jsonl", got)
	between := time.Now()
	time.Sleep(2 * time.Millisecond)
	recordFromPaper(t, l, "../domain/testdata/consultation.jsonl", got)
	log := s.Log()

	election := domain.AggregateRef{Kind: domain.KindElection, ID: "01J00000000000000000000001", Region: "220102001001"}
	consultation := domain.AggregateRef{Kind: domain.KindConsultation, ID: "01J00000000000000000000201", Region: "220102001001"}
	for _, c := range []struct {
		name    string
		ref     domain.AggregateRef
		at      history.AsOf
		version uint64 // 0: not found
	}{
		{"election on 20 April, occurred", election, history.AsOf{Time: day("2026-04-20"), Clock: history.Occurred},
			versionBy(got["election/"+election.ID], day("2026-04-20"))},
		{"election on 20 April, recorded", election, history.AsOf{Time: day("2026-04-20"), Clock: history.Recorded}, 0},
		{"election between the entries, recorded", election, history.AsOf{Time: between}, uint64(len(got["election/"+election.ID]))},
		{"consultation on 31 March, occurred", consultation, history.AsOf{Time: day("2026-03-31"), Clock: history.Occurred},
			versionBy(got["consultation/"+consultation.ID], day("2026-03-31"))},
		{"consultation between the entries, recorded", consultation, history.AsOf{Time: between}, 0},
		{"consultation between the entries, occurred", consultation, history.AsOf{Time: between, Clock: history.Occurred},
			uint64(len(got["consultation/"+consultation.ID]))},
	} {
		st, v, err := history.StateAt(ctx, log, c.ref, c.at)
		if c.version == 0 {
			if !errors.Is(err, history.ErrNotFound) {
				t.Errorf("%s: got version %d, %v; want not found", c.name, v, err)
			}
			continue
		}
		if err != nil || v != c.version {
			t.Fatalf("%s: got version %d, %v; want %d", c.name, v, err, c.version)
		}
		if v == uint64(len(got[string(c.ref.Kind)+"/"+c.ref.ID])) {
			continue
		}
		// The state is that of the log's prefix up to the same version.
		positions, _ := log.AggregatePositions(ctx, string(c.ref.Kind), c.ref.ID, 1, 1<<62)
		want, _, err := history.StateAt(ctx, log, c.ref, history.AsOf{Position: positions[v-1]})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := mustJSON(t, st), mustJSON(t, want); a != b {
			t.Errorf("%s: state\n%s\nwant\n%s", c.name, a, b)
		}
	}

	// What the paper dates say about 31 March: voted and adopted, feedback not yet published.
	st, _, _ := history.StateAt(ctx, log, consultation, history.AsOf{Time: day("2026-03-31"), Clock: history.Occurred})
	if c := st.(*domain.Consultation); !c.Adopted || c.FeedbackPublished {
		t.Errorf("consultation on 31 March: adopted %v, feedback %v; want adopted, no feedback", c.Adopted, c.FeedbackPublished)
	}
	st, _, _ = history.StateAt(ctx, log, election, history.AsOf{Time: day("2026-04-20"), Clock: history.Occurred})
	if e := st.(*domain.Election); !e.CandidatesPublished || len(e.Results) != 0 {
		t.Errorf("election on 20 April: candidates published %v, results %d; want published, none", e.CandidatesPublished, len(e.Results))
	}
	checkTrailClocks(t, log, got)
	checkReplayClock(t, s, got)
}

// checkTrailClocks: "what happened in March" is the consultation's March
// events on the occurred clock, and nothing on the recorded clock.
func checkTrailClocks(t *testing.T, log eventstore.Log, got recorded) {
	t.Helper()
	from, to := day("2026-03-01"), day("2026-04-01")
	var want int
	for _, dates := range got {
		want += int(versionBy(dates, to.Add(-time.Nanosecond)) - versionBy(dates, from.Add(-time.Nanosecond)))
	}
	if want == 0 {
		t.Fatal("the scenarios have nothing in March")
	}
	for _, limit := range []int{1000, 3} {
		q := history.Query{From: from, To: to, Clock: history.Occurred, Limit: limit}
		var n int
		for range 100 {
			pg, err := history.Trail(context.Background(), log, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range pg.Entries {
				if e.OccurredAt.Before(from) || !e.OccurredAt.Before(to) {
					t.Errorf("entry at %d occurred %s, outside March", e.Position, e.OccurredAt)
				}
			}
			n += len(pg.Entries)
			if q.After = pg.Next; pg.Next == 0 {
				break
			}
		}
		if n != want {
			t.Errorf("March on the occurred clock, %d a page: %d entries, want %d", limit, n, want)
		}
	}
	pg, err := history.Trail(context.Background(), log, history.Query{From: from, To: to, Clock: history.Recorded})
	if err != nil || len(pg.Entries) != 0 {
		t.Errorf("March on the recorded clock: %d entries, %v; want none", len(pg.Entries), err)
	}
}

// checkReplayClock: replay as of an occurred time returns the events that
// had happened by then.
func checkReplayClock(t *testing.T, s *eventstore.Store, got recorded) {
	t.Helper()
	agg, err := s.Locate("consultation", "01J00000000000000000000201")
	if err != nil {
		t.Fatal(err)
	}
	at := day("2026-03-31")
	events, err := history.Replay(context.Background(), s, agg, history.AsOf{Time: at, Clock: history.Occurred})
	if err != nil {
		t.Fatal(err)
	}
	if want := versionBy(got["consultation/"+agg.ID], at); uint64(len(events)) != want {
		t.Errorf("replay as of 31 March (occurred): %d events, want %d", len(events), want)
	}
	none, err := history.Replay(context.Background(), s, agg, history.AsOf{Time: at})
	if err != nil || len(none) != 0 {
		t.Errorf("replay as of 31 March (recorded): %d events, %v; want none", len(none), err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
