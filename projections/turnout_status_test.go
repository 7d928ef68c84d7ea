package projections

import (
	"context"
	"testing"
	"time"

	"ledger/domain"
)

// TestTurnoutAgreesWithResults: a round whose turnout is met but whose
// box returned more ballots than it issued is declared invalid; turnout
// says "in progress" before the declaration and then the declared status
// and reason, as the results do, for the first and a later round.
func TestTurnoutAgreesWithResults(t *testing.T) {
	ctx := context.Background()
	l := newTestLog(t, New(Options{}))
	village := domain.Region("220102001001")
	eid, sid := "01J00000000000000000000001", "01J00000000000000000000101"
	eref := domain.AggregateRef{Kind: domain.KindElection, ID: eid, Region: village}
	sref := domain.AggregateRef{Kind: domain.KindStation, ID: sid, Region: village}
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, chinaTime)
	var voters []domain.VoterEntry
	for r := 1; r <= 10; r++ {
		voters = append(voters, domain.VoterEntry{RollNo: r, StationID: sid})
	}
	l.add(eref, day, "a", domain.ElectionCalled{Committee: domain.CommitteeVillagers, Seats: 3, Day: "2026-05-01",
		Rules: domain.Floor(domain.CommitteeVillagers)})
	l.add(eref, day, "a", domain.VotersRegistered{Voters: voters})
	l.add(sref, day, "a", domain.StationEstablished{ElectionID: eid, Place: "村委会"})
	l.add(sref, day, "a", domain.PollsOpened{Round: 1, Seats: 3, Candidates: []string{"c1", "c2", "c3", "c4"}, At: day})
	for r := 1; r <= 8; r++ {
		l.add(sref, day, "a", domain.VoterCheckedIn{Round: 1, RollNo: r, Mode: domain.ModeInPerson, At: day})
	}
	l.flush()
	check := func(round int, wantStatus, wantReason string, wantMet bool) {
		t.Helper()
		tu, err := TurnoutOfElection(ctx, l.db, eid)
		if err != nil {
			t.Fatal(err)
		}
		got := RoundStatus{Status: tu.Status, Reason: tu.Reason}
		met := tu.ValidityMet
		if round > 1 {
			if len(tu.LaterRounds) < round-1 {
				t.Fatalf("turnout has %d later rounds, want round %d", len(tu.LaterRounds), round)
			}
			lr := tu.LaterRounds[round-2]
			got, met = lr.RoundStatus, lr.ValidityMet
		}
		if got.Status != wantStatus || got.Reason != wantReason || met != wantMet {
			t.Errorf("round %d turnout: status %q reason %q validity met %v, want %q %q %v", round, got.Status, got.Reason, met,
				wantStatus, wantReason, wantMet)
		}
		res, err := ResultsOf(ctx, l.db, eid)
		if err != nil || len(res.Rounds) < round {
			t.Fatalf("results: %v (%d rounds)", err, len(res.Rounds))
		}
		if rr := res.Rounds[round-1]; rr.Status != got.Status || rr.Reason != got.Reason || rr.RoundValid != met {
			t.Errorf("round %d: results say %q %q valid %v, turnout %q %q %v", round, rr.Status, rr.Reason, rr.RoundValid,
				got.Status, got.Reason, met)
		}
	}
	check(1, RoundInProgress, "", true)
	for range 9 {
		l.add(sref, day, "a", domain.BallotRecorded{Round: 1, Candidates: []string{"c1"}})
	}
	l.add(sref, day, "a", domain.CountClosed{Round: 1, Issued: 8, Returned: 9, BoxInvalid: true})
	l.add(eref, day, "a", domain.RoundDeclared{Round: 1, Kind: domain.RoundFirst, Seats: 3, Stations: []string{sid},
		InvalidBoxes: []string{sid}, Registered: 10, Voted: 8, Cast: 9, ValidBallots: 9, Reason: domain.ReasonBallotsExcess})
	l.add(eref, day, "a", domain.RoundStarted{Round: 2, Kind: domain.RoundFirst, Seats: 3, Candidates: []string{"c1", "c2", "c3", "c4"}, Day: "2026-05-01"})
	l.flush()
	check(1, RoundInvalid, domain.ReasonBallotsExcess, false)
	l.add(sref, day, "a", domain.PollsOpened{Round: 2, Seats: 3, Candidates: []string{"c1", "c2", "c3", "c4"}, At: day})
	for r := 1; r <= 4; r++ {
		l.add(sref, day, "a", domain.VoterCheckedIn{Round: 2, RollNo: r, Mode: domain.ModeInPerson, At: day})
	}
	l.flush()
	check(2, RoundInProgress, "", false)
	l.add(eref, day, "a", domain.RoundDeclared{Round: 2, Kind: domain.RoundFirst, Seats: 3, Stations: []string{sid},
		Registered: 10, Voted: 4, Reason: domain.ReasonTurnout})
	l.flush()
	check(2, RoundInvalid, domain.ReasonTurnout, false)
}
