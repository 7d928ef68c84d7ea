package domain

import "time"

// Votes is one line of a round's tally.
type Votes struct {
	ID      string `json:"id"` // candidate ID, or "write-in:<name>"
	Name    string `json:"name"`
	WriteIn bool   `json:"write_in,omitempty"`
	Votes   int    `json:"votes"`
}

// RoundDeclared records the result of one voting round, summed over all its
// stations. Valid is false when turnout was not more than the validity
// threshold or, under the national rule, when a box returned more ballots
// than it issued; Reason then says which. InvalidBoxes lists the boxes that
// returned more ballots than they issued; under a profile whose provincial
// rule sets such a box aside (SetAsideRule), their voters and ballots are
// left out and validity is computed without them. Tied lists candidates tied at the last seat, who are not
// elected (ties are never broken silently); Vacant counts seats left empty
// when Final.
type RoundDeclared struct {
	Round        int       `json:"round"`
	Kind         RoundKind `json:"kind"`
	Seats        int       `json:"seats"`
	Stations     []string  `json:"stations"`
	InvalidBoxes []string  `json:"invalid_boxes,omitempty"`
	SetAsideRule string    `json:"set_aside_rule,omitempty"`
	Registered   int       `json:"registered"`
	Voted        int       `json:"voted"`
	Cast         int       `json:"cast"`
	// ValidBallots, Blank and InvalidBallots split Cast: Cast is their sum.
	ValidBallots   int      `json:"valid_ballots"`
	Blank          int      `json:"blank"`
	InvalidBallots int      `json:"invalid_ballots"`
	Valid          bool     `json:"valid"`
	Reason         string   `json:"reason,omitempty"`
	Tally          []Votes  `json:"tally"`
	Elected        []Member `json:"elected"`
	Tied           []string `json:"tied,omitempty"`
	Remaining      int      `json:"remaining"`
	Final          bool     `json:"final"`
	Vacant         int      `json:"vacant,omitempty"`
	VacantReason   string   `json:"vacant_reason,omitempty"` // why seats are left vacant: ReasonNoCandidateLeft
}

// Why a round is invalid ([RoundDeclared.Reason]).
const (
	ReasonTurnout       = "turnout_not_met"       // not more than the validity threshold of registered voters voted
	ReasonBallotsExcess = "ballots_exceed_voters" // a box returned more ballots than it issued (每次选举所投的票数多于投票人数的无效)
	// ReasonNoCandidateLeft is why seats stay vacant: no candidate not yet
	// elected received a vote, so no further round can be held.
	ReasonNoCandidateLeft = "no_candidate_with_votes"
)

// EventType returns "election.round_declared".
func (RoundDeclared) EventType() string { return "election.round_declared" }

func (ev RoundDeclared) applyElection(e *Election) {
	e.RoundDeclared = true
	e.Results = append(e.Results, ev)
	e.Members = append(e.Members, ev.Elected...)
	if ev.Final {
		e.Final = true
		e.Vacancies += ev.Vacant
	}
}

// RoundStarted opens another voting round decided by the previous one: a
// second round for seats left, a run-off between tied candidates, or a revote
// of an invalid round. Its candidates are fixed by the previous round.
type RoundStarted struct {
	Round      int       `json:"round"`
	Kind       RoundKind `json:"kind"`
	Seats      int       `json:"seats"`
	Day        Date      `json:"day"`
	Candidates []string  `json:"candidates"`
}

// EventType returns "election.round_started".
func (RoundStarted) EventType() string { return "election.round_started" }

func (ev RoundStarted) applyElection(e *Election) {
	e.Round, e.RoundKind, e.RoundSeats, e.RoundDay = ev.Round, ev.Kind, ev.Seats, ev.Day
	e.RoundCandidates, e.CandidatesPublished, e.RoundDeclared = ev.Candidates, true, false
}

// ResultAnnounced records the announcement of the result on the spot.
type ResultAnnounced struct {
	At time.Time `json:"at"`
}

// EventType returns "election.result_announced".
func (ResultAnnounced) EventType() string { return "election.result_announced" }

func (ResultAnnounced) applyElection(e *Election) { e.Announced = true }

// ResultCertified records the certification of the result (by the township government or its equivalent).
type ResultCertified struct {
	CertifiedBy       string    `json:"certified_by"`
	At                time.Time `json:"at"`
	OverrideReason    string    `json:"override_reason,omitempty"`     // why it was certified with open fraud findings
	OpenFraudFindings []string  `json:"open_fraud_findings,omitempty"` // "inspection/finding" open at certification
}

// EventType returns "election.result_certified".
func (ResultCertified) EventType() string { return "election.result_certified" }

func (ResultCertified) applyElection(e *Election) { e.Certified = true }

// BallotsSealed records that the ballots were sealed and archived.
type BallotsSealed struct {
	Place string    `json:"place"`
	At    time.Time `json:"at"`
}

// EventType returns "election.ballots_sealed".
func (BallotsSealed) EventType() string { return "election.ballots_sealed" }

func (BallotsSealed) applyElection(e *Election) { e.Sealed = true }

// ElectionVoided records that the result is void (art. 17) on a supervision finding.
type ElectionVoided struct {
	InspectionID string `json:"inspection_id"`
	FindingID    string `json:"finding_id"`
	Reason       string `json:"reason"`
}

// EventType returns "election.voided".
func (ElectionVoided) EventType() string { return "election.voided" }

// A voided election seats nobody: its members leave with the result.
func (ElectionVoided) applyElection(e *Election) {
	e.Voided, e.Members, e.Supervisors, e.Vacancies = true, nil, nil, 0
	clear(e.RatedIncompetent)
}

// RecallProposed records a recall proposal with enough signatures.
type RecallProposed struct {
	RecallID   string `json:"recall_id"`
	MemberID   string `json:"member_id"`
	By         string `json:"by"` // "voters" or "representatives"
	Signatures int    `json:"signatures"`
	Base       int    `json:"base"` // registered voters or representatives
	Reason     string `json:"reason"`
}

// EventType returns "election.recall_proposed".
func (RecallProposed) EventType() string { return "election.recall_proposed" }

func (ev RecallProposed) applyElection(e *Election) {
	e.Recalls[ev.RecallID] = &Recall{ID: ev.RecallID, MemberID: ev.MemberID}
}

// RecallVoted records the recall vote. Valid: more than half of registered
// voters voted; Passed: valid and more than half of the ballots cast were for.
type RecallVoted struct {
	RecallID   string `json:"recall_id"`
	MemberID   string `json:"member_id"`
	Registered int    `json:"registered"`
	Cast       int    `json:"cast"`
	For        int    `json:"for"`
	Against    int    `json:"against"`
	Valid      bool   `json:"valid"`
	Passed     bool   `json:"passed"`
}

// EventType returns "election.recall_voted".
func (RecallVoted) EventType() string { return "election.recall_voted" }

func (ev RecallVoted) applyElection(e *Election) {
	if r := e.Recalls[ev.RecallID]; r != nil {
		r.Voted, r.Passed = true, ev.Passed
	}
}

// Causes of [MemberRemoved].
const (
	RemovedByRecall       = "recall"
	RemovedByDisqualified = "disqualified"
	RemovedByReview       = "review"
)

// MemberRemoved records that a member left office; the seat becomes vacant
// for a by-election. Ref is the recall, inspection or review year.
type MemberRemoved struct {
	MemberID string `json:"member_id"`
	Cause    string `json:"cause"`
	Ref      string `json:"ref"`
}

// EventType returns "election.member_removed".
func (MemberRemoved) EventType() string { return "election.member_removed" }

func (ev MemberRemoved) applyElection(e *Election) {
	i := e.memberIndex(ev.MemberID)
	if i < 0 {
		return
	}
	e.Members = append(e.Members[:i:i], e.Members[i+1:]...)
	e.Vacancies++
	delete(e.RatedIncompetent, ev.MemberID)
}

// ByElectionCalled opens a by-election (补选) round for vacant seats;
// nominations reopen for that round.
type ByElectionCalled struct {
	Round int  `json:"round"`
	Seats int  `json:"seats"`
	Day   Date `json:"day"`
}

// EventType returns "election.by_election_called".
func (ByElectionCalled) EventType() string { return "election.by_election_called" }

func (ev ByElectionCalled) applyElection(e *Election) {
	e.Round, e.RoundKind, e.RoundSeats, e.RoundDay = ev.Round, RoundByElection, ev.Seats, ev.Day
	e.RoundCandidates, e.CandidatesPublished, e.RoundDeclared = nil, false, false
	e.Final, e.Announced, e.Certified, e.Sealed = false, false, false, false
	e.Vacancies -= ev.Seats
}

// SupervisorAppointed records that an elected supervision committee member
// passed the art. 32 check against the committee they supervise.
type SupervisorAppointed struct {
	MemberID            string `json:"member_id"`
	CommitteeElectionID string `json:"committee_election_id"`
}

// EventType returns "election.supervisor_appointed".
func (SupervisorAppointed) EventType() string { return "election.supervisor_appointed" }

func (ev SupervisorAppointed) applyElection(e *Election) {
	e.Supervisors = append(e.Supervisors, ev.MemberID)
}

// Rating is one member's result in a democratic review (民主评议).
type Rating struct {
	MemberID           string `json:"member_id"`
	Competent          int    `json:"competent"`
	BasicallyCompetent int    `json:"basically_competent"`
	Incompetent        int    `json:"incompetent"`
	RatedIncompetent   bool   `json:"rated_incompetent,omitempty"` // set by Decide
}

// ReviewRecorded records the annual democratic review of the committee's members.
type ReviewRecorded struct {
	Year    int      `json:"year"`
	Ratings []Rating `json:"ratings"`
}

// EventType returns "election.review_recorded".
func (ReviewRecorded) EventType() string { return "election.review_recorded" }

func (ev ReviewRecorded) applyElection(e *Election) {
	e.LastReviewYear = ev.Year
	clear(e.RatedIncompetent)
	for _, r := range ev.Ratings {
		if r.RatedIncompetent {
			e.RatedIncompetent[r.MemberID] = true
		}
	}
}
