package domain

import (
	"slices"
	"testing"
)

// TestOneVoterBoxAttack repeats the attack of a mobile box with a single
// registered voter: alone it is refused at setup; counted with a fixed
// station its ballot can only be recorded in the station's count, mixed
// with the station's ballots before the first is read out, so that no
// event of the box, and no event order, tells its vote.
func TestOneVoterBoxAttack(t *testing.T) {
	w := newWorld(at(electionDay, -30))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3, ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
	var roll []VoterEntry
	for n := 1; n <= 10; n++ {
		roll = append(roll, VoterEntry{RollNo: n, StationID: stationA})
	}
	roll = append(roll, VoterEntry{RollNo: 11, StationID: mobileBox})
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: roll})
	w.now = at(electionDay, -20)
	_, err := w.exec(PublishRoll{ElectionAddr: ea})
	wantCode(t, err, "count_unit_too_small")
	if e := w.election(); e.RollPublished || len(w.log[ea.Target()]) != 2 {
		t.Fatalf("a refused roll wrote something: published %v, %d events", e.RollPublished, len(w.log[ea.Target()]))
	}
	de, _ := AsError(err)
	if de.Rule == "" || de.ZH == "" || de.EN == "" {
		t.Errorf("error %+v lacks its rule or a message", de)
	}
	w.must(t, MergeCount{ElectionAddr: ea, StationID: mobileBox, CountWith: stationA})
	w.must(t, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= 4; i++ {
		w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
	}
	w.must(t, PublishCandidates{ElectionAddr: ea})
	w.must(t, EstablishStation{StationAddr: sa(stationA), Place: "村委会", Scrutineers: []string{"甲"}})
	w.must(t, EstablishStation{StationAddr: sa(mobileBox), Mobile: true, Approved: true, Place: "敬老院", Scrutineers: []string{"甲", "乙", "丙"}})
	w.must(t, PublishStationVoters{StationAddr: sa(mobileBox)})
	w.now = at(electionDay, 0)
	w.must(t, OpenPolls{StationAddr: sa(mobileBox), Round: 1})
	w.must(t, CheckIn{StationAddr: sa(mobileBox), RollNo: 11, Mode: ModeMobile})
	w.must(t, ClosePolls{StationAddr: sa(mobileBox)})
	w.must(t, SealBox{StationAddr: sa(mobileBox), SealNo: "F-1", SealedBy: []string{"甲", "乙"}})
	_, err = w.exec(RecordBallot{StationAddr: sa(mobileBox), Round: 1, Candidates: []string{cand(2), cand(3)}})
	wantCode(t, err, "counted_with_host")
	_, err = w.exec(RecordBallots{StationAddr: sa(mobileBox), Round: 1, Ballots: []BallotMarks{{Candidates: []string{cand(2)}}}})
	wantCode(t, err, "counted_with_host")
	_, err = w.exec(CloseCount{StationAddr: sa(mobileBox), Round: 1})
	wantCode(t, err, "counted_with_host")

	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	for n := 1; n <= 6; n++ {
		w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: n, Mode: ModeInPerson})
	}
	w.must(t, ClosePolls{StationAddr: sa(stationA)})
	_, err = declare(w, 1, stationA, mobileBox)
	wantCode(t, err, "count_not_closed")
	w.must(t, MergeBox{StationAddr: sa(stationA), BoxID: mobileBox})
	_, err = w.exec(MergeBox{StationAddr: sa(stationA), BoxID: mobileBox})
	wantCode(t, err, "box_already_merged")
	ballots := concat(repeat(1, cand(2), cand(3)), repeat(6, cand(1), cand(2)))
	for _, b := range ballots {
		w.must(t, RecordBallot{StationAddr: sa(stationA), Round: 1, Candidates: b})
	}
	w.must(t, CloseCount{StationAddr: sa(stationA), Round: 1})
	if _, err := declare(w, 1, stationA, mobileBox); err != nil {
		t.Fatal(err)
	}
	if d := lastResult(t, w); d.Voted != 7 || d.Cast != 7 || !d.Valid {
		t.Errorf("declared voted %d cast %d valid %v, want 7, 7, valid", d.Voted, d.Cast, d.Valid)
	}
	boxRef := AggregateRef{Kind: KindStation, ID: mobileBox, Region: village}
	for _, ev := range w.log[boxRef] {
		switch ev.(type) {
		case BallotRecorded, CountClosed:
			t.Errorf("the one-voter box recorded %s: its vote can be read", ev.EventType())
		}
	}
	hostLog := w.log[AggregateRef{Kind: KindStation, ID: stationA, Region: village}]
	merged := slices.IndexFunc(hostLog, func(ev Event) bool { _, ok := ev.(BoxMerged); return ok })
	first := slices.IndexFunc(hostLog, func(ev Event) bool { _, ok := ev.(BallotRecorded); return ok })
	if merged < 0 || first < merged {
		t.Errorf("box merged at event %d, first ballot at %d: a ballot before the merge is not mixed", merged, first)
	}
	checkReplay(t, w)
}

// TestMergeBoxAfterCountStarted: a box arriving after the first ballot
// was read out cannot be mixed in any more, and the round cannot be
// declared without it.
func TestMergeBoxAfterCountStarted(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, mobileBox: 2},
		merge: map[string]string{mobileBox: stationA}})
	w.must(t, OpenPolls{StationAddr: sa(mobileBox), Round: 1})
	w.must(t, CheckIn{StationAddr: sa(mobileBox), RollNo: 11, Mode: ModeMobile})
	w.must(t, ClosePolls{StationAddr: sa(mobileBox)})
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	for n := 1; n <= 6; n++ {
		w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: n, Mode: ModeInPerson})
	}
	w.must(t, ClosePolls{StationAddr: sa(stationA)})
	w.must(t, RecordBallot{StationAddr: sa(stationA), Round: 1, Candidates: []string{cand(1)}})
	_, err := w.exec(MergeBox{StationAddr: sa(stationA), BoxID: mobileBox})
	wantCode(t, err, "count_started")
	w.must(t, CloseCount{StationAddr: sa(stationA), Round: 1})
	_, err = declare(w, 1, stationA, mobileBox)
	wantCode(t, err, "box_not_merged")
}

func TestCountUnitSetup(t *testing.T) {
	tests := []struct {
		name string
		cmds []MergeCount
		want string
	}{
		{"merged into itself", []MergeCount{{StationID: stationB, CountWith: stationB}}, "invalid_count_unit"},
		{"not a ULID", []MergeCount{{StationID: "x", CountWith: stationA}}, "invalid_count_unit"},
		{"host merged elsewhere", []MergeCount{{StationID: stationA, CountWith: stationB}, {StationID: mobileBox, CountWith: stationA}}, "count_unit_chain"},
		{"a host merged elsewhere", []MergeCount{{StationID: mobileBox, CountWith: stationA}, {StationID: stationA, CountWith: stationB}}, "count_unit_chain"},
		{"twice the same", []MergeCount{{StationID: mobileBox, CountWith: stationA}, {StationID: mobileBox, CountWith: stationA}}, "count_unit_exists"},
		{"moved to another host", []MergeCount{{StationID: mobileBox, CountWith: stationA}, {StationID: mobileBox, CountWith: stationB}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := calledWithVoters(t, 10)
			var err error
			for _, c := range tt.cmds {
				c.ElectionAddr = ea
				if _, err = w.exec(c); err != nil {
					break
				}
			}
			wantCode(t, err, tt.want)
		})
	}
}

// TestMobileBoxCountsWithAFixedStation: a mobile box is counted with a
// fixed station whatever its size.
func TestMobileBoxCountsWithAFixedStation(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, mobileBox: 10}})
	delete(w.states, AggregateRef{Kind: KindStation, ID: mobileBox, Region: village})
	w.must(t, EstablishStation{StationAddr: sa(mobileBox), Mobile: true, Approved: true, Place: "敬老院", Scrutineers: []string{"甲", "乙", "丙"}})
	_, err := w.exec(PublishStationVoters{StationAddr: sa(mobileBox)})
	wantCode(t, err, "mobile_box_not_merged")
}

// TestCountUnitShrunkByObjection: an upheld objection that leaves a unit
// under K stops its polls from opening until it is merged with another.
func TestCountUnitShrunkByObjection(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, stationB: 10}})
	w.now = at(electionDay, -19)
	w.must(t, FileRollObjection{ElectionAddr: ea, ObjectionID: "o1", Claim: ClaimRemove, RollNo: 1})
	w.must(t, DecideRollObjection{ElectionAddr: ea, ObjectionID: "o1", Upheld: true})
	w.now = at(electionDay, 0)
	_, err := w.exec(OpenPolls{StationAddr: sa(stationA), Round: 1})
	wantCode(t, err, "count_unit_too_small")
	_, err = w.exec(MergeCount{ElectionAddr: ea, StationID: stationA, CountWith: stationB})
	wantCode(t, err, "count_units_fixed")
	w.now = at(electionDay, -1)
	w.must(t, MergeCount{ElectionAddr: ea, StationID: stationA, CountWith: stationB})
	w.now = at(electionDay, 0)
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
}
