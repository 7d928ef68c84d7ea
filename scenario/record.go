package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"ledger/app"
	"ledger/domain"
)

// Executor records one command: *app.Ledger.
type Executor interface {
	Execute(ctx context.Context, cmd domain.Command, meta app.Meta) (app.Outcome, error)
}

// Summary is what a recording produced, counted from the outcomes of
// the commands (the events the ledger recorded), not from the plan.
type Summary struct {
	Elections        int   `json:"elections"`
	RegisteredVoters int64 `json:"registered_voters"` // on the rolls when the first round was declared
	CheckedIn        int64 `json:"checked_in"`        // ballots issued in first rounds
	CheckIns         int64 `json:"check_ins"`         // ballots issued in every round
	BallotsCounted   int64 `json:"ballots_counted"`   // ballots recorded in the public counts
	InvalidElections int   `json:"invalid_elections"` // first rounds under the turnout threshold
	SecondRounds     int   `json:"second_rounds"`     // 另行选举 for seats left
	InvalidBoxes     int   `json:"invalid_boxes"`     // boxes with more ballots than issued
	MembersElected   int   `json:"members_elected"`
	Recalls          int   `json:"recalls"`
	VoidedElections  int   `json:"voided_elections"`
	Consultations    int   `json:"consultations"`
	Inspections      int   `json:"inspections"`
	Commands         int64 `json:"commands"`
	Events           int64 `json:"events"`
	Refused          int64 `json:"refused"`    // refused on purpose (the step expected it)
	Unexpected       int64 `json:"unexpected"` // refused or accepted against the plan
	// UnexpectedSamples describes the first few unexpected outcomes.
	UnexpectedSamples []string      `json:"unexpected_samples,omitempty"`
	Cities            []CityTurnout `json:"cities"`
}

// Turnout returns first-round check-ins over registered voters.
func (s *Summary) Turnout() float64 {
	if s.RegisteredVoters == 0 {
		return 0
	}
	return float64(s.CheckedIn) / float64(s.RegisteredVoters)
}

// CityTurnout is one prefecture's first-round turnout.
type CityTurnout struct {
	Code       domain.Region `json:"code"`
	Name       string        `json:"name"`
	Elections  int           `json:"elections"`
	Registered int64         `json:"registered_voters"`
	CheckedIn  int64         `json:"checked_in"`
}

// Turnout returns CheckedIn over Registered.
func (c CityTurnout) Turnout() float64 {
	if c.Registered == 0 {
		return 0
	}
	return float64(c.CheckedIn) / float64(c.Registered)
}

// tally accumulates a Summary from concurrent recorders.
type tally struct {
	mu                                    sync.Mutex
	sum                                   Summary
	checkedIn, checkIns, ballots          atomic.Int64
	commands, events, refused, unexpected atomic.Int64
	cityCheckedIn                         []atomic.Int64
}

func newTally() *tally {
	t := &tally{cityCheckedIn: make([]atomic.Int64, len(jilin))}
	for _, c := range jilin {
		t.sum.Cities = append(t.sum.Cities, CityTurnout{Code: c.Code, Name: c.Name})
	}
	return t
}

// Record records the scenario of cfg through ex, cfg.Recorders commands
// at a time: each election runs its phases in order (preparation, each
// round's stations concurrently, the declaration, inspections), and
// elections run side by side. progress, if not nil, is called after each
// command with the number of events it recorded (it must be safe for
// concurrent use). Commands the domain refuses are counted: the expected
// ones in Refused, the others in Unexpected; Record goes on after them.
// The error is for failures to record at all (the store, ctx).
func Record(ctx context.Context, ex Executor, cfg Config, progress func(events int)) (*Summary, error) {
	return New(cfg).Record(ctx, ex, progress)
}

// Record records s through ex; see the package-level Record.
func (s *Scenario) Record(ctx context.Context, ex Executor, progress func(events int)) (*Summary, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	t := newTally()
	jobs := make(chan func() error)
	var workers sync.WaitGroup
	for range s.cfg.Recorders {
		workers.Go(func() {
			for fn := range jobs {
				if err := fn(); err != nil {
					cancel(err)
				}
			}
		})
	}
	units := make(chan int)
	var conductors sync.WaitGroup
	for range s.cfg.Recorders {
		conductors.Go(func() {
			for i := range units {
				s.conduct(ctx, i, jobs, t, ex, progress)
			}
		})
	}
feed:
	for i := range s.units {
		select {
		case units <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(units)
	conductors.Wait()
	close(jobs)
	workers.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return t.summary(), nil
}

// conduct runs one unit's phases, handing their jobs to the recorders.
func (s *Scenario) conduct(ctx context.Context, i int, jobs chan<- func() error, t *tally, ex Executor, progress func(int)) {
	p := s.plan(i)
	for ph := range p.phases() {
		var wg sync.WaitGroup
		for _, j := range ph {
			wg.Add(1)
			fn := func() error {
				defer wg.Done()
				return t.run(ctx, ex, p, j, progress)
			}
			select {
			case jobs <- fn:
			case <-ctx.Done():
				wg.Done()
			}
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
	}
	t.unitDone(p)
}

// run records one job's steps in order.
func (t *tally) run(ctx context.Context, ex Executor, p *electionPlan, j job, progress func(int)) error {
	for st := range j.steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := ex.Execute(ctx, st.Cmd, st.Meta)
		de, refused := domain.AsError(err)
		if err != nil && !refused {
			return fmt.Errorf("scenario: %s %s: %w", st.Cmd.CommandType(), st.Cmd.Target().Region, err)
		}
		t.commands.Add(1)
		n := 0
		switch {
		case refused && de.Code == st.WantError:
			t.refused.Add(1)
		case refused:
			t.surprise(fmt.Sprintf("%s at %s refused: %s (%s)", st.Cmd.CommandType(), st.Cmd.Target().Region, de.Code, de.EN))
		case st.WantError != "":
			t.surprise(fmt.Sprintf("%s at %s accepted; want %s", st.Cmd.CommandType(), st.Cmd.Target().Region, st.WantError))
		default:
			n = len(out.AllEvents())
			t.recorded(p, st, out)
		}
		t.events.Add(int64(n))
		if progress != nil {
			progress(n)
		}
	}
	return nil
}

func (t *tally) surprise(msg string) {
	if t.unexpected.Add(1) <= 10 {
		t.mu.Lock()
		t.sum.UnexpectedSamples = append(t.sum.UnexpectedSamples, msg)
		t.mu.Unlock()
	}
}

// recorded counts what a recorded command's events say.
func (t *tally) recorded(p *electionPlan, st Step, out app.Outcome) {
	switch st.Cmd.(type) {
	case domain.CheckIn, domain.CheckIns:
		n := int64(len(out.Events))
		t.checkIns.Add(n)
		if st.Round == 1 {
			t.checkedIn.Add(n)
			t.cityCheckedIn[p.u.City].Add(n)
		}
		return
	case domain.RecordBallot, domain.RecordBallots:
		t.ballots.Add(int64(len(out.Events)))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ev := range out.AllEvents() {
		t.event(p, ev.Type, ev.Payload)
	}
}

// event counts one rare event (the caller holds t.mu).
func (t *tally) event(p *electionPlan, typ string, payload []byte) {
	s := &t.sum
	switch typ {
	case "election.round_declared":
		var d struct {
			Round      int               `json:"round"`
			Kind       domain.RoundKind  `json:"kind"`
			Registered int               `json:"registered"`
			Valid      bool              `json:"valid"`
			Elected    []json.RawMessage `json:"elected"`
		}
		if json.Unmarshal(payload, &d) != nil {
			return
		}
		if d.Round == 1 {
			s.RegisteredVoters += int64(d.Registered)
			s.Cities[p.u.City].Registered += int64(d.Registered)
			if !d.Valid {
				s.InvalidElections++
			}
		}
		s.MembersElected += len(d.Elected)
	case "election.round_started":
		if json.Valid(payload) && containsKind(payload, domain.RoundRunoff) {
			s.SecondRounds++
		}
	case "station.count_closed":
		var c struct {
			BoxInvalid bool `json:"box_invalid"`
		}
		if json.Unmarshal(payload, &c) == nil && c.BoxInvalid {
			s.InvalidBoxes++
		}
	case "election.member_removed":
		s.Recalls++
	case "election.voided":
		s.VoidedElections++
	case "consultation.topic_proposed":
		s.Consultations++
	case "inspection.opened":
		s.Inspections++
	}
}

func containsKind(payload []byte, kind domain.RoundKind) bool {
	var r struct {
		Kind domain.RoundKind `json:"kind"`
	}
	return json.Unmarshal(payload, &r) == nil && r.Kind == kind
}

func (t *tally) unitDone(p *electionPlan) {
	t.mu.Lock()
	t.sum.Elections++
	t.sum.Cities[p.u.City].Elections++
	t.mu.Unlock()
}

func (t *tally) summary() *Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sum
	s.Cities = append([]CityTurnout(nil), t.sum.Cities...)
	s.CheckedIn, s.CheckIns, s.BallotsCounted = t.checkedIn.Load(), t.checkIns.Load(), t.ballots.Load()
	s.Commands, s.Events, s.Refused, s.Unexpected = t.commands.Load(), t.events.Load(), t.refused.Load(), t.unexpected.Load()
	for i := range s.Cities {
		s.Cities[i].CheckedIn = t.cityCheckedIn[i].Load()
	}
	return &s
}
