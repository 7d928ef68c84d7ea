package domain

import (
	"slices"
	"strings"
)

// FollowUps returns the commands the law requires once cmd's events are
// recorded, in the order they must run: a disqualified member's seat is
// vacated ([VacateSeat]); a fraud finding is flagged on its election
// ([FlagFraudFinding]), so that the result cannot be certified unnoticed;
// a closed inspection clears its fraud findings' flags
// ([ClearFraudFinding]). st is the target's state after the events. Pure:
// the caller records each follow-up as a command of its own, caused by cmd.
func FollowUps(cmd Command, events []Event, st State) []Command {
	ia := InspectionAddr{InspectionID: cmd.Target().ID, Region: cmd.Target().Region}
	var out []Command
	for _, ev := range events {
		switch e := ev.(type) {
		case MemberDisqualified:
			out = append(out, VacateSeat{ElectionAddr: ElectionAddr{ElectionID: e.ElectionID, Region: regionOr(e.ElectionRegion, ia.Region)},
				MemberID: e.MemberID, InspectionID: ia.InspectionID, InspectionRegion: ia.Region})
		case FindingRecorded:
			if e.Kind == FindingFraud {
				out = append(out, FlagFraudFinding{fraudRef(ia, e.ElectionID, e.ElectionRegion, e.FindingID)})
			}
		case InspectionClosed:
			out = append(out, clearFlags(ia, st)...)
		}
	}
	return out
}

func clearFlags(ia InspectionAddr, st State) []Command {
	in, _ := st.(*Inspection)
	if in == nil {
		return nil
	}
	var out []Command
	for _, f := range in.Findings {
		if f.Kind == FindingFraud {
			out = append(out, ClearFraudFinding{fraudRef(ia, f.ElectionID, f.ElectionRegion, f.ID)})
		}
	}
	slices.SortFunc(out, func(a, b Command) int {
		return strings.Compare(a.(ClearFraudFinding).FindingID, b.(ClearFraudFinding).FindingID)
	})
	return out
}

func fraudRef(ia InspectionAddr, electionID string, region Region, findingID string) FraudRef {
	return FraudRef{ElectionAddr: ElectionAddr{ElectionID: electionID, Region: regionOr(region, ia.Region)},
		InspectionID: ia.InspectionID, InspectionRegion: ia.Region, FindingID: findingID}
}

// Offered returns the commands the law offers next on st, for people to
// decide on: "call_by_election" for an election with vacant seats.
func Offered(st State) []string {
	if e, ok := st.(*Election); ok && e.Created && !e.Voided && e.Final && e.Vacancies > 0 {
		return []string{"call_by_election"}
	}
	return nil
}

// FraudRef names a fraud finding of an inspection about an election.
type FraudRef struct {
	ElectionAddr
	InspectionID     string `json:"inspection_id"`
	InspectionRegion Region `json:"inspection_region"`
	FindingID        string `json:"finding_id"`
}

// Related returns the inspection.
func (r FraudRef) Related() []AggregateRef {
	return []AggregateRef{relatedRef(KindInspection, r.InspectionID, r.InspectionRegion)}
}

func (r FraudRef) key() string { return r.InspectionID + "/" + r.FindingID }

func (r FraudRef) finding(e *Election, env Env) (*Inspection, error) {
	if !e.Created {
		return nil, notFound("election_not_found", "未找到该选举", "the election does not exist")
	}
	in, err := relatedInspection(env, r.InspectionID, r.InspectionRegion)
	if err != nil {
		return nil, err
	}
	f := in.Findings[r.FindingID]
	if f == nil || f.Kind != FindingFraud || f.ElectionID != e.ID {
		return nil, ruleErr("no_fraud_finding", ruleFraud, "监督检查中没有针对本选举的舞弊认定", "the inspection holds no fraud finding for this election")
	}
	return in, nil
}

// FlagFraudFinding flags an open fraud finding on its election (a
// follow-up of [RecordFinding]): while flagged, the result is certified only
// with a recorded override. Related: the inspection.
type FlagFraudFinding struct {
	FraudRef
}

// CommandType returns "flag_fraud_finding".
func (FlagFraudFinding) CommandType() string { return "flag_fraud_finding" }

func (c FlagFraudFinding) decideElection(e *Election, env Env) ([]Event, error) {
	if _, err := c.finding(e, env); err != nil {
		return nil, err
	}
	if _, ok := e.FraudFindings[c.key()]; ok {
		return nil, conflict("already_flagged", "该舞弊认定已登记在本选举", "the finding is already flagged on this election")
	}
	return one(FraudFindingFlagged(c))
}

// ClearFraudFinding clears a fraud finding's flag once its inspection is
// closed (a follow-up of [CloseInspection]). Related: the inspection.
type ClearFraudFinding struct {
	FraudRef
}

// CommandType returns "clear_fraud_finding".
func (ClearFraudFinding) CommandType() string { return "clear_fraud_finding" }

func (c ClearFraudFinding) decideElection(e *Election, env Env) ([]Event, error) {
	in, err := c.finding(e, env)
	if err != nil {
		return nil, err
	}
	if !in.Closed {
		return nil, conflict("inspection_open", "监督检查尚未结束", "the inspection is still open")
	}
	if _, ok := e.FraudFindings[c.key()]; !ok {
		return nil, conflict("not_flagged", "该舞弊认定未登记在本选举", "the finding is not flagged on this election")
	}
	return one(FraudFindingCleared(c))
}

// FraudFindingFlagged records that an inspection holds an open fraud finding about the election.
type FraudFindingFlagged struct {
	FraudRef
}

// EventType returns "election.fraud_finding_flagged".
func (FraudFindingFlagged) EventType() string { return "election.fraud_finding_flagged" }

func (ev FraudFindingFlagged) applyElection(e *Election) {
	if e.FraudFindings == nil {
		e.FraudFindings = map[string]FraudRef{}
	}
	e.FraudFindings[ev.key()] = ev.FraudRef
}

// FraudFindingCleared records that the inspection holding a fraud finding is closed.
type FraudFindingCleared struct {
	FraudRef
}

// EventType returns "election.fraud_finding_cleared".
func (FraudFindingCleared) EventType() string { return "election.fraud_finding_cleared" }

func (ev FraudFindingCleared) applyElection(e *Election) { delete(e.FraudFindings, ev.key()) }

// openFraudFindings returns the flagged findings as "inspection/finding", sorted.
func (e *Election) openFraudFindings() []string {
	out := make([]string, 0, len(e.FraudFindings))
	for k := range e.FraudFindings {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
