package domain

import (
	"slices"
	"testing"
)

func declare(w *world, round int, stations ...string) ([]Event, error) {
	return w.exec(DeclareResult{ElectionAddr: ea, Round: round, StationIDs: stations})
}

func lastResult(t *testing.T, w *world) RoundDeclared {
	t.Helper()
	e := w.election()
	if len(e.Results) == 0 {
		t.Fatal("no result declared")
	}
	return e.Results[len(e.Results)-1]
}

func memberIDs(e *Election) []string {
	var ids []string
	for _, m := range e.Members {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestElectionValidity(t *testing.T) {
	tests := []struct {
		name      string
		voted     int
		wantValid bool
	}{
		{"exactly half of registered is not more than half", 5, false},
		{"six of ten", 6, true},
		{"four of ten", 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
			vote(t, w, stationA, 1, 1, tt.voted, repeat(tt.voted, cand(1), cand(2), cand(3)))
			evs, err := declare(w, 1, stationA)
			wantCode(t, err, "")
			got := lastResult(t, w)
			if got.Valid != tt.wantValid {
				t.Errorf("valid = %v, want %v", got.Valid, tt.wantValid)
			}
			if !tt.wantValid && (len(evs) != 2 || len(w.election().Members) != 0) {
				t.Errorf("invalid round: events %v, members %v; want a revote and nobody elected", evs, w.election().Members)
			}
		})
	}
}

func TestElectedWithMoreThanHalfOfBallotsCast(t *testing.T) {
	// 10 registered, 6 voted, 6 ballots: 4 votes is more than half, 3 is exactly half.
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	ballots := concat(repeat(3, cand(1), cand(2), cand(3)), repeat(1, cand(1), cand(2)), repeat(2, cand(4)))
	vote(t, w, stationA, 1, 1, 6, ballots)
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	got := lastResult(t, w)
	// c1: 4, c2: 4, c3: 3 (exactly half), c4: 2.
	if want := []string{cand(1), cand(2)}; !slices.Equal(memberIDs(w.election()), want) {
		t.Errorf("elected = %v, want %v", memberIDs(w.election()), want)
	}
	if got.Remaining != 1 || got.Final {
		t.Errorf("remaining = %d final = %v, want 1 seat to a second round", got.Remaining, got.Final)
	}
	e := w.election()
	if e.Round != 2 || e.RoundKind != RoundRunoff || e.RoundSeats != 1 {
		t.Errorf("round = %d %s seats %d, want 2 runoff 1", e.Round, e.RoundKind, e.RoundSeats)
	}
	if want := []string{cand(3), cand(4)}; !slices.Equal(e.RoundCandidates, want) {
		t.Errorf("runoff candidates = %v, want %v", e.RoundCandidates, want)
	}
}

// runoff prepares a second round for one seat between c3 and c4: 9 of
// 10 registered voters vote.
func runoff(t *testing.T) *world {
	t.Helper()
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	ballots := concat(repeat(5, cand(1), cand(2)), repeat(4, cand(3), cand(4)))
	vote(t, w, stationA, 1, 1, 9, ballots)
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSecondRoundThird(t *testing.T) {
	tests := []struct {
		name       string
		ballots    [][]string
		wantMember bool
		wantVacant int
	}{
		{"exactly a third wins", concat(repeat(3, cand(3)), repeat(2, cand(4)), repeat(4)), true, 0},
		{"under a third leaves the seat vacant", concat(repeat(2, cand(3)), repeat(1, cand(4)), repeat(6)), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := runoff(t)
			vote(t, w, stationA, 2, 1, 9, tt.ballots)
			if _, err := declare(w, 2, stationA); err != nil {
				t.Fatal(err)
			}
			e := w.election()
			if got := e.IsMember(cand(3)); got != tt.wantMember {
				t.Errorf("c3 elected = %v, want %v", got, tt.wantMember)
			}
			if !e.Final || e.Vacancies != tt.wantVacant {
				t.Errorf("final = %v vacancies = %d, want final with %d", e.Final, e.Vacancies, tt.wantVacant)
			}
		})
	}
}

func TestTieAtLastSeatIsReported(t *testing.T) {
	// 3 seats, 10 ballots: c2 has 8 and is elected; c1, c3 and c4 have 6
	// each, above half, for the last two seats; c5 has 4.
	w := prepare(t, setup{seats: 3, candidates: 5, stations: map[string]int{stationA: 10}})
	ballots := concat(repeat(4, cand(1), cand(2), cand(3)), repeat(2, cand(1), cand(3), cand(4)), repeat(4, cand(2), cand(4), cand(5)))
	vote(t, w, stationA, 1, 1, 10, ballots)
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	got := lastResult(t, w)
	if want := []string{cand(1), cand(3), cand(4)}; !slices.Equal(got.Tied, want) {
		t.Errorf("tied = %v, want %v", got.Tied, want)
	}
	if want := []string{cand(2)}; !slices.Equal(memberIDs(w.election()), want) {
		t.Errorf("elected = %v, want %v (ties never broken silently)", memberIDs(w.election()), want)
	}
	if len(w.election().Members) > 3 {
		t.Errorf("more members than seats")
	}
}

func TestDeclareNeedsEveryStationClosed(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10, stationB: 10}})
	vote(t, w, stationA, 1, 1, 4, repeat(4, cand(1)))
	_, err := declare(w, 1, stationA)
	wantCode(t, err, "station_missing")
	w.must(t, OpenPolls{StationAddr: sa(stationB), Round: 1})
	_, err = declare(w, 1, stationA, stationB)
	wantCode(t, err, "count_not_closed")
}

func TestWriteInCanWin(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	for i := 1; i <= 6; i++ {
		w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: i, Mode: ModeInPerson})
	}
	w.must(t, ClosePolls{StationAddr: sa(stationA)})
	for i := 0; i < 6; i++ {
		w.must(t, RecordBallot{StationAddr: sa(stationA), Round: 1, Candidates: []string{cand(1), cand(2)}, WriteIns: []string{"赵某"}})
	}
	w.must(t, CloseCount{StationAddr: sa(stationA), Round: 1})
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	if !w.election().IsMember(WriteInPrefix + "赵某") {
		t.Errorf("members = %v, want the write-in elected", w.election().Members)
	}
}

func TestRecall(t *testing.T) {
	tests := []struct {
		name                string
		signatures          int
		cast, yes           int
		wantPropose, wantIn string
		wantRemoved         bool
	}{
		{"exactly a fifth, passes", 2, 6, 4, "", "", true},
		{"under a fifth", 1, 0, 0, "too_few_signatures", "", false},
		{"half voted is not valid", 2, 5, 5, "", "", false},
		{"exactly half of cast does not pass", 2, 8, 4, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := elected3of10(t)
			_, err := w.exec(ProposeRecall{ElectionAddr: ea, RecallID: "r1", MemberID: cand(1), By: RecallByVoters, Signatures: tt.signatures, Reason: "失职"})
			wantCode(t, err, tt.wantPropose)
			if err != nil {
				return
			}
			w.must(t, RecordRecallVote{ElectionAddr: ea, RecallID: "r1", Cast: tt.cast, For: tt.yes, Against: tt.cast - tt.yes})
			if got := !w.election().IsMember(cand(1)); got != tt.wantRemoved {
				t.Errorf("removed = %v, want %v", got, tt.wantRemoved)
			}
		})
	}
}

// elected3of10 returns a certified election of c1..c3 by 10 voters.
func elected3of10(t *testing.T) *world {
	t.Helper()
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	vote(t, w, stationA, 1, 1, 10, repeat(10, cand(1), cand(2), cand(3)))
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	w.must(t, AnnounceResult{ElectionAddr: ea})
	w.must(t, CertifyResult{ElectionAddr: ea, CertifiedBy: "某街道办事处"})
	return w
}

func TestDemocraticReviewTwiceIncompetent(t *testing.T) {
	w := elected3of10(t)
	bad := []Rating{{MemberID: cand(1), Competent: 2, Incompetent: 6}, {MemberID: cand(2), Competent: 5, Incompetent: 3}}
	w.must(t, RecordDemocraticReview{ElectionAddr: ea, Year: 2026, Ratings: bad})
	if !w.election().IsMember(cand(1)) {
		t.Fatal("removed after one review, want two")
	}
	_, err := w.exec(RecordDemocraticReview{ElectionAddr: ea, Year: 2027, Ratings: bad})
	wantCode(t, err, "review_year_in_future") // recorded in 2026, a review of 2027 has not happened
	w.now = at("2027-05-10", 0)
	evs := w.must(t, RecordDemocraticReview{ElectionAddr: ea, Year: 2027, Ratings: bad})
	if len(evs) != 2 || w.election().IsMember(cand(1)) || w.election().Vacancies != 1 {
		t.Errorf("events %v: want c1 removed after two consecutive incompetent ratings", evs)
	}
}
