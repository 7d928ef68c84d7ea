package domain

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheckIn(t *testing.T) {
	tests := []struct {
		name string
		cmd  CheckIn
		want string
	}{
		{"voter of this station", CheckIn{RollNo: 1, Mode: ModeInPerson}, ""},
		{"checked in twice", CheckIn{RollNo: 2, Mode: ModeInPerson}, "already_checked_in"},
		{"voter of another station", CheckIn{RollNo: 5, Mode: ModeInPerson}, "wrong_station"},
		{"not on the roll", CheckIn{RollNo: 99, Mode: ModeInPerson}, "not_on_roll"},
		{"registered proxy", CheckIn{RollNo: 3, Mode: ModeProxy, ProxyHolderRollNo: 4}, ""},
		{"unregistered proxy", CheckIn{RollNo: 1, Mode: ModeProxy, ProxyHolderRollNo: 4}, "not_a_registered_proxy"},
		{"mobile mode at a fixed station", CheckIn{RollNo: 1, Mode: ModeMobile}, "invalid_mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := stationWithProxy(t)
			_, err := w.exec(OpenPolls{StationAddr: sa(stationA), Round: 1})
			wantCode(t, err, "before_election_day")
			w.now = at(electionDay, 0)
			w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
			w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 2, Mode: ModeInPerson})
			tt.cmd.StationAddr = sa(stationA)
			_, err = w.exec(tt.cmd)
			wantCode(t, err, tt.want)
		})
	}
}

// stationWithProxy prepares an election whose station A has voters 1 to 4
// (3 has given a published proxy to 4) and 6 to 11, and station B voters
// 5 and 12 to 20; it ends
// 20 days before election day, with station A established.
func stationWithProxy(t tb) *world {
	w := newWorld(at(electionDay, -30))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3, ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: []VoterEntry{{RollNo: 1, StationID: stationA}, {RollNo: 2, StationID: stationA}, {RollNo: 3, StationID: stationA}, {RollNo: 4, StationID: stationA}, {RollNo: 5, StationID: stationB}}})
	var more []VoterEntry // counting units of at least K = 10: A has 1-4 and 6-11, B 5 and 12-20
	for n := 6; n <= 20; n++ {
		more = append(more, VoterEntry{RollNo: n, StationID: map[bool]string{true: stationA, false: stationB}[n <= 11]})
	}
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: more})
	w.must(t, RegisterProxy{ElectionAddr: ea, PrincipalRollNo: 3, HolderRollNo: 4, Relation: RelationSpouse, Written: true})
	w.must(t, PublishProxies{ElectionAddr: ea})
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= 4; i++ {
		w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
	}
	w.must(t, PublishCandidates{ElectionAddr: ea})
	w.must(t, EstablishStation{StationAddr: sa(stationA), Place: "村委会", Scrutineers: []string{"甲"}})
	return w
}

func TestMobileBox(t *testing.T) {
	tests := []struct {
		name        string
		approved    bool
		scrutineers []string
		want        string
	}{
		{"three scrutineers", true, []string{"甲", "乙", "丙"}, ""},
		{"two scrutineers", true, []string{"甲", "乙"}, "mobile_box_rules"},
		{"not approved", false, []string{"甲", "乙", "丙"}, "mobile_box_rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, mobileBox: 3},
				merge: map[string]string{mobileBox: stationA}})
			delete(w.states, AggregateRef{Kind: KindStation, ID: mobileBox, Region: village})
			_, err := w.exec(EstablishStation{StationAddr: sa(mobileBox), Mobile: true, Approved: tt.approved, Place: "流动", Scrutineers: tt.scrutineers})
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			_, err = w.exec(OpenPolls{StationAddr: sa(mobileBox), Round: 1})
			wantCode(t, err, "mobile_voters_unpublished")
			w.must(t, PublishStationVoters{StationAddr: sa(mobileBox)})
			w.must(t, OpenPolls{StationAddr: sa(mobileBox), Round: 1})
			w.must(t, CheckIn{StationAddr: sa(mobileBox), RollNo: 11, Mode: ModeMobile})
		})
	}
}

func TestBallotOnlyAfterBoxClosed(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	ballot := RecordBallot{StationAddr: sa(stationA), Round: 1, Candidates: []string{cand(1)}}
	_, err := w.exec(ballot)
	wantCode(t, err, "box_not_closed")
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 1, Mode: ModeInPerson})
	_, err = w.exec(ballot)
	wantCode(t, err, "box_not_closed")
	w.must(t, ClosePolls{StationAddr: sa(stationA)})
	w.must(t, SealBox{StationAddr: sa(stationA), SealNo: "F-001", SealedBy: []string{"甲", "乙"}})
	w.must(t, ballot)
	w.must(t, CloseCount{StationAddr: sa(stationA), Round: 1})
	_, err = w.exec(ballot)
	wantCode(t, err, "box_not_closed")
}

func TestBallotValidity(t *testing.T) {
	tests := []struct {
		name        string
		ballot      RecordBallot
		wantErr     string
		wantInvalid bool
	}{
		{"as many marks as seats", RecordBallot{Candidates: []string{cand(1), cand(2)}, WriteIns: []string{"赵某"}}, "", false},
		{"more marks than seats", RecordBallot{Candidates: []string{cand(1), cand(2), cand(3), cand(4)}}, "", true},
		{"unreadable", RecordBallot{Unreadable: true}, "", true},
		{"blank", RecordBallot{Blank: true}, "", false},
		{"no marks, not blank", RecordBallot{}, "invalid_marks", false},
		{"unknown candidate", RecordBallot{Candidates: []string{"nobody"}}, "invalid_candidate_mark", false},
		{"candidate twice", RecordBallot{Candidates: []string{cand(1), cand(1)}}, "invalid_candidate_mark", false},
		{"wrong round", RecordBallot{Round: 2, Blank: true}, "wrong_round", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
			w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
			w.must(t, ClosePolls{StationAddr: sa(stationA)})
			tt.ballot.StationAddr = sa(stationA)
			if tt.ballot.Round == 0 {
				tt.ballot.Round = 1
			}
			evs, err := w.exec(tt.ballot)
			wantCode(t, err, tt.wantErr)
			if err == nil && evs[0].(BallotRecorded).Invalid != tt.wantInvalid {
				t.Errorf("invalid = %v, want %v", !tt.wantInvalid, tt.wantInvalid)
			}
		})
	}
}

// TestOverIssuedBox: by the national rule a box returning more ballots
// than it issued makes the round invalid (and a revote follows); only a
// profile citing its provincial rule sets the box aside instead, and then
// validity is recomputed without it and the rule is stated.
func TestOverIssuedBox(t *testing.T) {
	perBox := &Rules{SpoiledBox: SpoiledBox, SpoiledBoxRule: "某省办法 第十九条"}
	tests := []struct {
		name             string
		rules            *Rules
		voted, cast      int
		valid            bool
		reason, setAside string
		next             RoundKind
	}{
		{"national: round invalid", nil, 10, 11, false, ReasonBallotsExcess, "", RoundFirst},
		{"profile: box set aside", perBox, 8, 8, false, ReasonTurnout, perBox.SpoiledBoxRule, RoundFirst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, stationB: 10}, rules: tt.rules})
			vote(t, w, stationA, 1, 1, 2, repeat(3, cand(1))) // 3 returned, 2 issued
			vote(t, w, stationB, 1, 11, 8, repeat(8, cand(1), cand(2), cand(3)))
			if !w.station(stationA).Tallies[1].BoxInvalid {
				t.Fatal("box A not flagged invalid")
			}
			evs, err := declare(w, 1, stationA, stationB)
			if err != nil {
				t.Fatal(err)
			}
			got := lastResult(t, w)
			if got.Voted != tt.voted || got.Cast != tt.cast || got.Valid != tt.valid || got.Reason != tt.reason ||
				got.SetAsideRule != tt.setAside || len(got.InvalidBoxes) != 1 || got.InvalidBoxes[0] != stationA {
				t.Errorf("got voted %d cast %d valid %v reason %q set aside %q boxes %v", got.Voted, got.Cast, got.Valid,
					got.Reason, got.SetAsideRule, got.InvalidBoxes)
			}
			if len(evs) != 2 || evs[1].(RoundStarted).Kind != tt.next {
				t.Errorf("events %+v, want a revote", evs)
			}
		})
	}
}

// TestBallotSecrecy checks that no ballot or count event can carry a voter reference.
func TestBallotSecrecy(t *testing.T) {
	for _, ev := range EventTypes() {
		typ := ev.EventType()
		if !strings.HasPrefix(typ, "station.ballot") && !strings.Contains(typ, "count") && !strings.HasPrefix(typ, "station.spoiled") {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			for _, f := range fieldNames(reflect.TypeOf(ev)) {
				l := strings.ToLower(f)
				if strings.Contains(l, "roll") || strings.Contains(l, "voter") || strings.Contains(l, "holder") {
					t.Errorf("field %q could link a voter to a ballot", f)
				}
			}
		})
	}
	for _, c := range []Command{RecordBallot{}, RecordBallots{}, CloseCount{}, RecordSpoiledBallots{}} {
		for _, f := range fieldNames(reflect.TypeOf(c)) {
			if l := strings.ToLower(f); strings.Contains(l, "roll") || strings.Contains(l, "voter") {
				t.Errorf("%s field %q could link a voter to a ballot", c.CommandType(), f)
			}
		}
	}
}

// fieldNames returns the Go and JSON names of every field of t, recursively.
func fieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
		return nil
	}
	var out []string
	for f := range t.Fields() {
		out = append(out, f.Name, f.Tag.Get("json"))
		out = append(out, fieldNames(f.Type)...)
	}
	return out
}
