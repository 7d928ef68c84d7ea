package domain

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

const village Region = "220102001001"

// id returns a valid ULID string numbered n.
func id(n int) string { return fmt.Sprintf("01J%023d", n) }

var (
	electionID       = id(1)
	stationA         = id(101)
	stationB         = id(102)
	mobileBox        = id(103)
	electionDay Date = "2026-05-01"
)

// at returns 09:00 China time on day d plus offset days.
func at(d Date, offset int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, string(d.AddDays(offset)), chinaTime)
	if err != nil {
		panic(err)
	}
	return t.Add(9 * time.Hour)
}

// world keeps aggregate states by ref and runs commands against them, the
// way the application will.
type world struct {
	states map[AggregateRef]State
	log    map[AggregateRef][]Event
	last   map[AggregateRef]time.Time // occurred time of each aggregate's latest event
	cited  map[string]CitedEvent      // recorded events that commands may cite
	now    time.Time
	actor  string
	// followed holds the follow-ups of the last exec and their outcomes.
	followed []followed
}

type followed struct {
	cmd    Command
	events []Event
	err    error
}

func newWorld(now time.Time) *world {
	return &world{states: map[AggregateRef]State{}, log: map[AggregateRef][]Event{},
		last: map[AggregateRef]time.Time{}, cited: map[string]CitedEvent{}, now: now}
}

func (w *world) env(cmd Command) Env {
	env := Env{Now: w.now, Last: w.last[cmd.Target()], Actor: w.actor, Related: map[AggregateRef]State{}, Cited: map[string]CitedEvent{}}
	for _, ref := range cmd.Related() {
		if st, ok := w.states[ref]; ok {
			env.Related[ref] = st
		}
	}
	if c, ok := cmd.(Citer); ok {
		for _, id := range c.Cites() {
			if ev, ok := w.cited[id]; ok {
				env.Cited[id] = ev
			}
		}
	}
	return env
}

// exec decides and applies cmd, then its follow-ups (as the application
// does), keeping those in w.followed.
func (w *world) exec(cmd Command) ([]Event, error) {
	evs, st, err := w.apply(cmd)
	w.followed = nil
	if err != nil {
		return nil, err
	}
	for _, f := range FollowUps(cmd, evs, st) {
		fevs, _, ferr := w.apply(f)
		w.followed = append(w.followed, followed{cmd: f, events: fevs, err: ferr})
	}
	return evs, nil
}

func (w *world) apply(cmd Command) ([]Event, State, error) {
	ref := cmd.Target()
	st := w.states[ref]
	evs, err := Decide(st, cmd, w.env(cmd))
	if err != nil {
		return nil, nil, err
	}
	if st == nil {
		st = NewState(ref)
	}
	for _, ev := range evs {
		st = Evolve(st, ev)
	}
	w.states[ref] = st
	w.log[ref] = append(w.log[ref], evs...)
	w.last[ref] = w.now
	return evs, st, nil
}

func (w *world) must(t tb, cmd Command) []Event {
	t.Helper()
	evs, err := w.exec(cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	return evs
}

func (w *world) election() *Election {
	e, _ := w.states[AggregateRef{Kind: KindElection, ID: electionID, Region: village}].(*Election)
	return e
}

func (w *world) station(sid string) *Station {
	s, _ := w.states[AggregateRef{Kind: KindStation, ID: sid, Region: village}].(*Station)
	return s
}

// wantCode fails unless err is a *Error with the code want ("" means no error).
func wantCode(t tb, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	got, ok := AsError(err)
	if !ok {
		t.Fatalf("got error %v, want code %q", err, want)
	}
	if got.Code != want {
		t.Fatalf("got code %q (%v), want %q", got.Code, err, want)
	}
	if !errors.Is(err, &Error{Code: want}) {
		t.Fatalf("errors.Is by code failed for %q", want)
	}
}

var ea = ElectionAddr{ElectionID: electionID, Region: village}

func sa(sid string) StationAddr {
	return StationAddr{StationID: sid, ElectionID: electionID, Region: village}
}

// setup is an election being prepared.
type setup struct {
	seats      int
	candidates int
	stations   map[string]int    // station -> voters (roll numbers are assigned in order)
	merge      map[string]string // station -> the station it is counted with (merge_count)
	rules      *Rules            // a profile registered and named by the election (nil: national)
}

// prepare calls the election, registers voters, publishes roll and
// candidates and establishes the stations, ending on election day morning.
func prepare(t tb, s setup) *world {
	t.Helper()
	w := newWorld(at(electionDay, -30))
	call := CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: s.seats,
		ElectionDay: electionDay, ElectionCommittee: []string{"主任 王某", "委员 李某", "委员 张某"}}
	if s.rules != nil {
		call.Profile = id(950)
		w.must(t, RegisterProfile{ProfileID: call.Profile, Region: village[:2], Name: "test profile",
			Committee: CommitteeVillagers, Source: "test", Rules: *s.rules})
	}
	w.must(t, call)
	n := 1
	for _, sid := range sortedKeys(s.stations) {
		var batch []VoterEntry
		for i := 0; i < s.stations[sid]; i++ {
			batch = append(batch, VoterEntry{RollNo: n, StationID: sid})
			n++
		}
		w.must(t, RegisterVoters{ElectionAddr: ea, Voters: batch})
	}
	for _, sid := range sortedKeys(s.stations) {
		if host := s.merge[sid]; host != "" {
			w.must(t, MergeCount{ElectionAddr: ea, StationID: sid, CountWith: host})
		}
	}
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= s.candidates; i++ {
		w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: fmt.Sprintf("候选人%d", i)})
	}
	w.must(t, PublishCandidates{ElectionAddr: ea})
	for _, sid := range sortedKeys(s.stations) {
		mobile := s.merge[sid] != ""
		w.must(t, EstablishStation{StationAddr: sa(sid), Mobile: mobile, Approved: mobile, Place: "村委会", Scrutineers: []string{"甲", "乙", "丙"}})
		if mobile {
			w.must(t, PublishStationVoters{StationAddr: sa(sid)})
		}
	}
	w.must(t, PublishProxies{ElectionAddr: ea})
	w.now = at(electionDay, 0)
	return w
}

func cand(i int) string { return fmt.Sprintf("c%d", i) }

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// vote runs one round at one station: opens polls, checks in the first
// voters roll numbers from first, closes, records ballots, closes the count.
func vote(t tb, w *world, sid string, round, first, voters int, ballots [][]string) {
	t.Helper()
	w.must(t, OpenPolls{StationAddr: sa(sid), Round: round})
	for i := 0; i < voters; i++ {
		w.must(t, CheckIn{StationAddr: sa(sid), RollNo: first + i, Mode: ModeInPerson})
	}
	w.must(t, ClosePolls{StationAddr: sa(sid)})
	for _, b := range ballots {
		w.must(t, RecordBallot{StationAddr: sa(sid), Round: round, Candidates: b, Blank: len(b) == 0})
	}
	w.must(t, CloseCount{StationAddr: sa(sid), Round: round})
}

// repeat returns n copies of ballot.
func repeat(n int, ballot ...string) [][]string {
	out := make([][]string, n)
	for i := range out {
		out[i] = ballot
	}
	return out
}

func concat(parts ...[][]string) [][]string {
	var out [][]string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// tb is the part of testing.TB the helpers use; *rapid.T has it too.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkReplay replays every aggregate's events on a fresh state and
// compares with the live state.
func checkReplay(t tb, w *world) {
	t.Helper()
	for ref, live := range w.states {
		st := NewState(ref)
		for _, ev := range w.log[ref] {
			st = Evolve(st, ev)
		}
		if !reflect.DeepEqual(st, live) {
			t.Fatalf("%s %s: replayed state differs from live state:\n got %+v\nwant %+v", ref.Kind, ref.ID, st, live)
		}
	}
}
