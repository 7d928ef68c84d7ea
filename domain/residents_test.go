package domain

import (
	"fmt"
	"strings"
	"testing"
)

// residents calls a residents' committee election (5 seats) with method m.
func residents(t *testing.T, m string) *world {
	t.Helper()
	w := newWorld(at(electionDay, -40))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeResidents, Seats: 5, ElectionDay: electionDay,
		ElectionCommittee: []string{"王某"}, Method: m})
	return w
}

// reps returns roll entries from roll number first at station A, each
// representing the household or group unit(i).
func reps(first, n int, unit func(i int) (household, group string)) []VoterEntry {
	var out []VoterEntry
	for i := range n {
		h, g := unit(i)
		out = append(out, VoterEntry{RollNo: first + i, StationID: stationA, Household: h, Group: g})
	}
	return out
}

func TestResidentsElectionMethods(t *testing.T) {
	byHousehold := func(i int) (string, string) { return fmt.Sprintf("h%d", i), "" }
	byGroup := func(i int) (string, string) { return "", fmt.Sprintf("g%d", i/2) } // 2 a group
	tests := []struct {
		name      string
		committee CommitteeKind
		method    string
		voters    []VoterEntry
		wantCall  string
		wantReg   string
		wantRoll  string
	}{
		{"direct, the default", CommitteeResidents, "", reps(1, 10, func(int) (string, string) { return "", "" }), "", "", ""},
		{"one representative a household", CommitteeResidents, MethodHousehold, reps(1, 10, byHousehold), "", "", ""},
		{"a second representative of a household", CommitteeResidents, MethodHousehold,
			append(reps(1, 10, byHousehold), VoterEntry{RollNo: 11, StationID: stationA, Household: "h3"}), "", "household_represented", ""},
		{"a household representative without a household", CommitteeResidents, MethodHousehold,
			reps(1, 10, func(int) (string, string) { return "", "" }), "", "elector_unit_missing", ""},
		{"2 representatives a group", CommitteeResidents, MethodGroupDelegates, reps(1, 10, byGroup), "", "", ""},
		{"3 representatives a group", CommitteeResidents, MethodGroupDelegates,
			reps(1, 12, func(i int) (string, string) { return "", fmt.Sprintf("g%d", i/3) }), "", "", ""},
		{"a fourth representative of a group", CommitteeResidents, MethodGroupDelegates,
			reps(1, 12, func(i int) (string, string) { return "", fmt.Sprintf("g%d", i/4) }), "", "too_many_group_representatives", ""},
		{"a group of one representative", CommitteeResidents, MethodGroupDelegates,
			append(reps(1, 10, byGroup), VoterEntry{RollNo: 11, StationID: stationA, Group: "lonely"}), "", "", "too_few_group_representatives"},
		{"a villagers' committee by households", CommitteeVillagers, MethodHousehold, nil, "method_not_for_committee", "", ""},
		{"an unknown method", CommitteeResidents, "lottery", nil, "invalid_method", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(at(electionDay, -40))
			seats := Floor(tt.committee).MinSeats
			_, err := w.exec(CallElection{ElectionAddr: ea, Committee: tt.committee, Seats: seats, ElectionDay: electionDay,
				ElectionCommittee: []string{"王某"}, Method: tt.method})
			wantCode(t, err, tt.wantCall)
			if err != nil {
				return
			}
			_, err = w.exec(RegisterVoters{ElectionAddr: ea, Voters: tt.voters})
			wantCode(t, err, tt.wantReg)
			if err != nil {
				citesArt8(t, err)
				if w.election().Registered() != 0 {
					t.Errorf("a refused batch registered %d voters", w.election().Registered())
				}
				return
			}
			w.now = at(electionDay, -20)
			_, err = w.exec(PublishRoll{ElectionAddr: ea})
			wantCode(t, err, tt.wantRoll)
			if err != nil {
				citesArt8(t, err)
			}
			checkReplay(t, w)
		})
	}
}

func citesArt8(t *testing.T, err error) {
	t.Helper()
	de, _ := AsError(err)
	if !strings.Contains(de.Rule, "城市居民委员会组织法") || !strings.Contains(de.Rule, "第八条") || strings.Contains(de.Rule, "村民委员会组织法") {
		t.Errorf("rule %q: want the residents' law, art. 8", de.Rule)
	}
	if de.ZH == "" || de.EN == "" {
		t.Errorf("error %+v lacks a message", de)
	}
}

// TestHouseholdRepresentativeReplaced: a household's representative
// removed by an upheld objection may be replaced by another, but a second
// one is refused at filing and at decision.
func TestHouseholdRepresentativeReplaced(t *testing.T) {
	w := residents(t, MethodHousehold)
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: reps(1, 10, func(i int) (string, string) { return fmt.Sprintf("h%d", i), "" })})
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	_, err := w.exec(FileRollObjection{ElectionAddr: ea, ObjectionID: "o1", Claim: ClaimAdd, RollNo: 20, StationID: stationA, Household: "h0"})
	wantCode(t, err, "household_represented")
	w.must(t, FileRollObjection{ElectionAddr: ea, ObjectionID: "o2", Claim: ClaimRemove, RollNo: 1})
	w.must(t, DecideRollObjection{ElectionAddr: ea, ObjectionID: "o2", Upheld: true})
	w.must(t, FileRollObjection{ElectionAddr: ea, ObjectionID: "o3", Claim: ClaimAdd, RollNo: 20, StationID: stationA, Household: "h0"})
	w.must(t, FileRollObjection{ElectionAddr: ea, ObjectionID: "o4", Claim: ClaimAdd, RollNo: 21, StationID: stationA, Household: "h0"})
	w.must(t, DecideRollObjection{ElectionAddr: ea, ObjectionID: "o3", Upheld: true})
	_, err = w.exec(DecideRollObjection{ElectionAddr: ea, ObjectionID: "o4", Upheld: true})
	wantCode(t, err, "household_represented")
	if got := w.election().Represented["h0"]; got != 1 {
		t.Errorf("household h0 has %d representatives, want 1", got)
	}
	checkReplay(t, w)
}

// TestRepresentativesElectorate: under a representatives' method the
// roll is the electorate, and the profile's thresholds apply to it.
func TestRepresentativesElectorate(t *testing.T) {
	w := residents(t, MethodGroupDelegates)
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: reps(1, 10, func(i int) (string, string) { return "", fmt.Sprintf("g%d", i/2) })})
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= 6; i++ {
		w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
	}
	w.must(t, PublishCandidates{ElectionAddr: ea})
	w.must(t, EstablishStation{StationAddr: sa(stationA), Place: "社区", Scrutineers: []string{"甲"}})
	w.now = at(electionDay, 0)
	vote(t, w, stationA, 1, 1, 5, repeat(5, cand(1), cand(2), cand(3), cand(4), cand(5)))
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	if d := lastResult(t, w); d.Registered != 10 || d.Valid || d.Reason != ReasonTurnout {
		t.Errorf("5 of 10 representatives: registered %d valid %v reason %q, want 10, invalid for turnout", d.Registered, d.Valid, d.Reason)
	}
}
