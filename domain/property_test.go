package domain

import (
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// replay applies evs to a fresh state of ref.
func replay(ref AggregateRef, evs []Event) State {
	st := NewState(ref)
	for _, ev := range evs {
		st = Evolve(st, ev)
	}
	return st
}

// stationModel drives random commands against stationA of an election with
// voters 1..n at stationA, n+1..n+3 at stationB, and proxies 1->2, 3->2.
type stationModel struct {
	w      *world
	n      int
	events []Event
	issued map[[2]int]int // (round, roll) -> check-ins
}

func newStationModel(t *rapid.T) *stationModel {
	n := rapid.IntRange(7, 30).Draw(t, "voters") // station B's 3 voters are counted with A: a unit of at least 10
	w := newWorld(at(electionDay, -30))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3, ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
	var batch []VoterEntry
	for i := 1; i <= n+3; i++ {
		sid := stationA
		if i > n {
			sid = stationB
		}
		batch = append(batch, VoterEntry{RollNo: i, StationID: sid})
	}
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: batch})
	w.must(t, MergeCount{ElectionAddr: ea, StationID: stationB, CountWith: stationA})
	if n >= 3 {
		w.must(t, RegisterProxy{ElectionAddr: ea, PrincipalRollNo: 1, HolderRollNo: 2, Relation: RelationSpouse, Written: true})
		w.must(t, RegisterProxy{ElectionAddr: ea, PrincipalRollNo: 3, HolderRollNo: 2, Relation: RelationParent, Written: true})
	}
	w.must(t, PublishProxies{ElectionAddr: ea})
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= 5; i++ {
		w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
	}
	w.must(t, PublishCandidates{ElectionAddr: ea})
	m := &stationModel{w: w, n: n, issued: map[[2]int]int{}}
	m.exec(t, EstablishStation{StationAddr: sa(stationA), Place: "村委会", Scrutineers: []string{"甲"}})
	w.now = at(electionDay, 0)
	return m
}

func (m *stationModel) exec(t *rapid.T, cmd Command) {
	evs, err := m.w.exec(cmd)
	if err != nil {
		if _, ok := AsError(err); !ok {
			t.Fatalf("%s: non-domain error %v", cmd.CommandType(), err)
		}
		return
	}
	m.events = append(m.events, evs...)
	for _, ev := range evs {
		if c, ok := ev.(VoterCheckedIn); ok {
			m.issued[[2]int{c.Round, c.RollNo}]++
		}
	}
}

func (m *stationModel) step(t *rapid.T) {
	s := sa(stationA)
	round := m.w.station(stationA).Round
	switch rapid.IntRange(0, 9).Draw(t, "op") {
	case 0:
		m.exec(t, OpenPolls{StationAddr: s, Round: 1})
	case 1, 2, 3, 4:
		mode := rapid.SampledFrom([]string{ModeInPerson, ModeProxy, ModeMobile}).Draw(t, "mode")
		cmd := CheckIn{StationAddr: s, RollNo: rapid.IntRange(0, m.n+4).Draw(t, "roll"), Mode: mode}
		if mode == ModeProxy {
			cmd.ProxyHolderRollNo = rapid.IntRange(1, 3).Draw(t, "holder")
		}
		m.exec(t, cmd)
	case 5:
		m.exec(t, ClosePolls{StationAddr: s})
	case 6, 7:
		marks := rapid.SliceOfDistinct(rapid.SampledFrom([]string{cand(1), cand(2), cand(3), cand(4), cand(5)}), func(s string) string { return s }).Draw(t, "marks")
		unreadable := len(marks) == 0 && rapid.Bool().Draw(t, "unreadable")
		m.exec(t, RecordBallot{StationAddr: s, Round: round, Candidates: marks, Blank: len(marks) == 0 && !unreadable, Unreadable: unreadable})
	case 8:
		m.exec(t, CloseCount{StationAddr: s, Round: round})
	case 9:
		m.exec(t, RecordSpoiledBallots{StationAddr: s, Round: round, Count: 1})
	}
}

func (m *stationModel) check(t *rapid.T) {
	for k, n := range m.issued {
		if n > 1 {
			t.Fatalf("voter %d checked in %d times in round %d", k[1], n, k[0])
		}
	}
	st := m.w.station(stationA)
	for r, tl := range st.Tallies {
		if tl.Issued > m.n {
			t.Fatalf("round %d: issued %d to %d voters: turnout over 100%%", r, tl.Issued, m.n)
		}
		if tl.Closed && tl.Returned > tl.Issued && !tl.BoxInvalid {
			t.Fatalf("round %d: %d returned > %d issued and box not flagged", r, tl.Returned, tl.Issued)
		}
	}
	ref := AggregateRef{Kind: KindStation, ID: stationA, Region: village}
	if got := replay(ref, m.events); !reflect.DeepEqual(got, State(st)) {
		t.Fatalf("replayed state differs from live state:\n got %+v\nwant %+v", got, st)
	}
}

func TestStationProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newStationModel(t)
		steps := rapid.IntRange(1, 120).Draw(t, "steps")
		for range steps {
			m.step(t)
		}
		m.check(t)
		checkReplay(t, m.w)
	})
}

// TestElectionProperties votes random ballots round after round and checks
// that the committee never has more members than seats, and replay.
func TestElectionProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seats := rapid.IntRange(3, 7).Draw(t, "seats")
		nc := seats + rapid.IntRange(1, 4).Draw(t, "extra")
		voters := rapid.IntRange(DefaultMinCountUnit, 25).Draw(t, "voters")
		w := prepare(t, setup{seats: seats, candidates: nc, stations: map[string]int{stationA: voters}})
		var log []Event
		for round := 1; round <= 6 && !w.election().Final; round++ {
			e := w.election()
			turnout := rapid.IntRange(0, voters).Draw(t, "turnout")
			var ballots [][]string
			for range turnout {
				k := rapid.IntRange(0, e.RoundSeats).Draw(t, "k")
				ballots = append(ballots, rapid.SliceOfNDistinct(rapid.SampledFrom(e.RoundCandidates), 0, k, func(s string) string { return s }).Draw(t, "ballot"))
			}
			vote(t, w, stationA, round, 1, turnout, ballots)
			evs, err := declare(w, round, stationA)
			if err != nil {
				t.Fatalf("declare round %d: %v", round, err)
			}
			log = append(log, evs...)
			if n := len(w.election().Members); n > seats {
				t.Fatalf("%d members for %d seats", n, seats)
			}
			if d := w.election().Results[round-1]; d.Voted > d.Registered {
				t.Fatalf("turnout %d > registered %d", d.Voted, d.Registered)
			}
		}
		_ = log
		checkReplay(t, w)
	})
}
