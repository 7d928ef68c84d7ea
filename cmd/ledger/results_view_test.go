package main

import (
	"strings"
	"testing"

	"ledger/domain"
	"ledger/projections"
)

// TestResultsViewSaysWhy: the text view says a round's label, status and
// why it failed, the boxes set aside, a tie as 并列/tie, vacant seats and
// why, and a recall's outcome with its numbers.
func TestResultsViewSaysWhy(t *testing.T) {
	r := projections.ElectionResults{ElectionID: "E", Committee: domain.CommitteeVillagers, Seats: 3,
		Rounds: []projections.RoundResults{
			{Round: 1, Kind: domain.RoundFirst, Label: "正式选举", LabelEN: "regular election", Declared: true,
				Status: projections.RoundInvalid, Reason: domain.ReasonBallotsExcess, InvalidBoxes: []string{"B1"}},
			{Round: 2, Kind: domain.RoundFirst, Label: "重新选举", LabelEN: "repeat election", Declared: true,
				Status: projections.RoundValid, Tied: []string{"c2", "c3"},
				Tally: []domain.Votes{{ID: "c2", Votes: 4}, {ID: "c3", Votes: 4}}, Vacant: 1, VacantReason: domain.ReasonNoCandidateLeft},
		},
		Recalls: []projections.RecallOutcome{{RecallID: "r1", MemberID: "c1", Registered: 10, Cast: 5, For: 5, Outcome: projections.RecallInvalid}},
	}
	v := resultsView(r)
	text := strings.Join(v.lines, "\n")
	for _, want := range []string{"正式选举", "重新选举", "round invalid (无效)", "投票数多于投票人数", "B1",
		"并列 / tie", "1 seats left vacant", "no candidate left", "recall r1 of c1: invalid", "cast 5, for 5"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if got := v.tables[1].rows[0]; got[len(got)-1] != "并列/tie" {
		t.Errorf("tally row %v, want 并列/tie", got)
	}
}
