package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckIns(t *testing.T) {
	in := func(roll int) CheckInItem { return CheckInItem{RollNo: roll, Mode: ModeInPerson} }
	tests := []struct {
		name    string
		items   []CheckInItem
		want    string
		wantMsg string // in the English message
	}{
		{"voters of this station and a proxy", []CheckInItem{in(1), in(4), {RollNo: 3, Mode: ModeProxy, ProxyHolderRollNo: 4}}, "", ""},
		{"the same voter twice in the batch", []CheckInItem{in(1), in(4), in(1)}, "already_checked_in", "check-in 3: "},
		{"a voter checked in before the batch", []CheckInItem{in(1), in(2)}, "already_checked_in", "check-in 2: "},
		{"a voter of another station", []CheckInItem{in(5)}, "wrong_station", "check-in 1: "},
		{"not on the roll", []CheckInItem{in(1), in(99)}, "not_on_roll", "check-in 2: "},
		{"unregistered proxy", []CheckInItem{{RollNo: 1, Mode: ModeProxy, ProxyHolderRollNo: 4}}, "not_a_registered_proxy", "check-in 1: "},
		{"a check-in after the batch's time", []CheckInItem{in(1), {RollNo: 4, Mode: ModeInPerson, At: at(electionDay, 0).Add(time.Second)}}, "check_in_after_batch", "check-in 2: "},
		{"empty", nil, "invalid_batch", ""},
		{"too many", make([]CheckInItem, MaxStationBatch+1), "invalid_batch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := stationWithProxy(t)
			w.now = at(electionDay, 0)
			w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
			w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 2, Mode: ModeInPerson})
			before := len(w.station(stationA).CheckedIn)
			evs, err := w.exec(CheckIns{StationAddr: sa(stationA), CheckIns: tt.items})
			wantCode(t, err, tt.want)
			if err != nil {
				if !strings.HasPrefix(err.(*Error).EN, tt.wantMsg) {
					t.Errorf("message %q, want it to start with %q", err.(*Error).EN, tt.wantMsg)
				}
				if got := len(w.station(stationA).CheckedIn); got != before {
					t.Errorf("a refused batch changed the station: %d check-ins, want %d", got, before)
				}
				return
			}
			if len(evs) != len(tt.items) {
				t.Fatalf("%d events for %d check-ins", len(evs), len(tt.items))
			}
			for i, ev := range evs {
				c := ev.(VoterCheckedIn)
				if c.RollNo != tt.items[i].RollNo || c.Round != 1 || !c.At.Equal(w.now) {
					t.Errorf("event %d = %+v", i, c)
				}
			}
		})
	}
}

// TestCheckInsAsSingles checks that a batch records the very events its
// check-ins record one by one, each at its own time.
func TestCheckInsAsSingles(t *testing.T) {
	one := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 20}})
	batch := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 20}})
	for _, w := range []*world{one, batch} {
		w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	}
	var items []CheckInItem
	var want []Event
	for i, roll := range []int{7, 3, 12, 1, 20, 9} {
		one.now = at(electionDay, 0).Add(time.Duration(i) * time.Minute)
		want = append(want, one.must(t, CheckIn{StationAddr: sa(stationA), RollNo: roll, Mode: ModeInPerson})...)
		items = append(items, CheckInItem{RollNo: roll, Mode: ModeInPerson, At: one.now})
	}
	batch.now = one.now
	got := batch.must(t, CheckIns{StationAddr: sa(stationA), CheckIns: items})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batch events\n%v\nwant\n%v", got, want)
	}
	if !reflect.DeepEqual(batch.station(stationA), one.station(stationA)) {
		t.Error("the station's state differs after the batch")
	}
	checkReplay(t, batch)
}

func TestRecordBallots(t *testing.T) {
	good := BallotMarks{Candidates: []string{cand(1), cand(2)}}
	tests := []struct {
		name    string
		round   int
		ballots []BallotMarks
		want    string
		wantMsg string
	}{
		{"valid, blank, unreadable and over-marked", 1, []BallotMarks{good, {Blank: true}, {Unreadable: true}, {Candidates: []string{cand(1), cand(2), cand(3), cand(4)}}}, "", ""},
		{"an unknown candidate", 1, []BallotMarks{good, good, {Candidates: []string{"nobody"}}}, "invalid_candidate_mark", "ballot 3: "},
		{"no marks, not blank", 1, []BallotMarks{{}}, "invalid_marks", "ballot 1: "},
		{"wrong round", 2, []BallotMarks{good}, "wrong_round", "the ballot's round"},
		{"empty", 1, nil, "invalid_batch", ""},
		{"too many", 1, make([]BallotMarks, MaxStationBatch+1), "invalid_batch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
			w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
			_, err := w.exec(RecordBallots{StationAddr: sa(stationA), Round: 1, Ballots: []BallotMarks{good}})
			wantCode(t, err, "box_not_closed")
			w.must(t, ClosePolls{StationAddr: sa(stationA)})
			evs, err := w.exec(RecordBallots{StationAddr: sa(stationA), Round: tt.round, Ballots: tt.ballots})
			wantCode(t, err, tt.want)
			if err != nil {
				if !strings.HasPrefix(err.(*Error).EN, tt.wantMsg) {
					t.Errorf("message %q, want it to start with %q", err.(*Error).EN, tt.wantMsg)
				}
				if got := w.station(stationA).Tallies[1]; got != nil && got.Returned != 0 {
					t.Errorf("a refused batch counted %d ballots", got.Returned)
				}
				return
			}
			var invalid []bool
			for _, ev := range evs {
				invalid = append(invalid, ev.(BallotRecorded).Invalid)
			}
			if want := []bool{false, false, true, true}; !reflect.DeepEqual(invalid, want) {
				t.Errorf("invalid flags %v, want %v", invalid, want)
			}
			checkReplay(t, w)
		})
	}
}
