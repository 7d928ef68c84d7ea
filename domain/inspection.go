package domain

import (
	"strings"
	"time"
)

// Scope kinds of an inspection.
const (
	ScopeElection  = "election"
	ScopeMeeting   = "meeting" // a consultation or villagers' meeting
	ScopeCommittee = "committee"
	ScopeMember    = "member"
	ScopeRegion    = "region" // a community, village or any region below the inspection's, by its code
)

// Finding kinds. A FindingFraud names the election it concerns.
const (
	FindingFraud     = "fraud"     // election won by fraud (art. 17)
	FindingProcedure = "procedure" // a rule of procedure broken
	FindingFinance   = "finance"   // village or community affairs finances
	FindingConduct   = "conduct"   // a member's conduct
	FindingOther     = "other"
)

// Scope is what an inspection looks at: an election, a meeting
// (consultation), a committee (by the election that filled it, or by its
// community's code alone), one member of a committee, or a region by its
// code. Region is where the election, consultation or committee is (a
// 12-digit code), or the region inspected; empty means the inspection's
// own region. It always lies within the inspection's region.
type Scope struct {
	Kind     string `json:"kind"`
	ID       string `json:"id,omitempty"`        // the election or consultation ULID
	Region   Region `json:"region,omitempty"`    // see above
	MemberID string `json:"member_id,omitempty"` // for ScopeMember
}

// within reports whether r lies in (or is) the region outer.
func (r Region) within(outer Region) bool {
	return r.Level() != LevelInvalid && strings.HasPrefix(string(r), string(outer))
}

// Finding is a finding of an inspection.
type Finding struct {
	ID             string
	Kind           string
	ElectionID     string
	ElectionRegion Region
	MemberID       string
	Summary        string
	Evidence       []string
}

// Order is a rectification order (整改通知).
type Order struct {
	ID          string
	FindingID   string
	Responsible string
	Deadline    Date
	Reported    bool
	ReportedBy  string // the actor who recorded the latest report
	Accepted    bool
	Rejections  int
}

// Inspection is the state of one supervision action. The caller owns it (see [State]).
type Inspection struct {
	ID         string
	Region     Region
	Opened     bool
	Closed     bool
	Title      string
	Scope      Scope
	Inspectors []string

	Evidence     map[string]string // evidence ID -> referenced event ID
	Findings     map[string]*Finding
	Orders       map[string]*Order
	Disqualified map[string]bool // disqualKey(election, member)
}

// Kind returns KindInspection.
func (*Inspection) Kind() AggregateKind { return KindInspection }

func disqualKey(electionID, memberID string) string { return electionID + "/" + memberID }

// InspectionOpened records the opening of a supervision action.
type InspectionOpened struct {
	Title      string    `json:"title"`
	Scope      Scope     `json:"scope"`
	Inspectors []string  `json:"inspectors"`
	At         time.Time `json:"at"`
}

// EventType returns "inspection.opened".
func (InspectionOpened) EventType() string { return "inspection.opened" }

func (ev InspectionOpened) applyInspection(in *Inspection) {
	in.Opened, in.Title, in.Scope, in.Inspectors = true, ev.Title, ev.Scope, ev.Inspectors
	in.Evidence, in.Findings = map[string]string{}, map[string]*Finding{}
	in.Orders, in.Disqualified = map[string]*Order{}, map[string]bool{}
}

// EvidenceAttached records a piece of evidence: a recorded event (EventID,
// checked to exist within the inspection's region), a document described
// in Description, or both.
type EvidenceAttached struct {
	EvidenceID  string `json:"evidence_id"`
	EventID     string `json:"event_id,omitempty"`
	Description string `json:"description"`
}

// EventType returns "inspection.evidence_attached".
func (EvidenceAttached) EventType() string { return "inspection.evidence_attached" }

func (ev EvidenceAttached) applyInspection(in *Inspection) { in.Evidence[ev.EvidenceID] = ev.EventID }

// FindingRecorded records a finding.
type FindingRecorded struct {
	FindingID      string   `json:"finding_id"`
	Kind           string   `json:"kind"`
	ElectionID     string   `json:"election_id,omitempty"`
	ElectionRegion Region   `json:"election_region,omitempty"`
	MemberID       string   `json:"member_id,omitempty"`
	Summary        string   `json:"summary"`
	Evidence       []string `json:"evidence"`
}

// EventType returns "inspection.finding_recorded".
func (FindingRecorded) EventType() string { return "inspection.finding_recorded" }

func (ev FindingRecorded) applyInspection(in *Inspection) {
	in.Findings[ev.FindingID] = &Finding{ID: ev.FindingID, Kind: ev.Kind, ElectionID: ev.ElectionID,
		ElectionRegion: ev.ElectionRegion, MemberID: ev.MemberID, Summary: ev.Summary, Evidence: ev.Evidence}
}

// RectificationOrdered records a rectification order with its deadline.
type RectificationOrdered struct {
	OrderID     string `json:"order_id"`
	FindingID   string `json:"finding_id"`
	Responsible string `json:"responsible"`
	Deadline    Date   `json:"deadline"`
}

// EventType returns "inspection.rectification_ordered".
func (RectificationOrdered) EventType() string { return "inspection.rectification_ordered" }

func (ev RectificationOrdered) applyInspection(in *Inspection) {
	in.Orders[ev.OrderID] = &Order{ID: ev.OrderID, FindingID: ev.FindingID, Responsible: ev.Responsible, Deadline: ev.Deadline}
}

// RectificationReported records the responsible party's report.
type RectificationReported struct {
	OrderID    string `json:"order_id"`
	Report     string `json:"report"`
	On         Date   `json:"on"`
	Late       bool   `json:"late"`
	ReportedBy string `json:"reported_by,omitempty"` // the actor who recorded it
}

// EventType returns "inspection.rectification_reported".
func (RectificationReported) EventType() string { return "inspection.rectification_reported" }

func (ev RectificationReported) applyInspection(in *Inspection) {
	if o := in.Orders[ev.OrderID]; o != nil {
		o.Reported, o.ReportedBy = true, ev.ReportedBy
	}
}

// RectificationReviewed records acceptance or rejection of a report; a
// rejected report must be reported again.
type RectificationReviewed struct {
	OrderID    string `json:"order_id"`
	Accepted   bool   `json:"accepted"`
	Note       string `json:"note"`
	ReviewedBy string `json:"reviewed_by,omitempty"` // the actor who recorded it, never the reporter
}

// EventType returns "inspection.rectification_reviewed".
func (RectificationReviewed) EventType() string { return "inspection.rectification_reviewed" }

func (ev RectificationReviewed) applyInspection(in *Inspection) {
	o := in.Orders[ev.OrderID]
	if o == nil {
		return
	}
	o.Accepted, o.Reported = ev.Accepted, ev.Accepted
	if !ev.Accepted {
		o.Rejections++
	}
}

// MemberDisqualified records that a committee member is disqualified; the
// election's seat is vacated by the follow-up the law requires (see
// [FollowUps]), and a by-election may then be called.
type MemberDisqualified struct {
	ElectionID     string `json:"election_id"`
	ElectionRegion Region `json:"election_region,omitempty"`
	MemberID       string `json:"member_id"`
	FindingID      string `json:"finding_id"`
}

// EventType returns "inspection.member_disqualified".
func (MemberDisqualified) EventType() string { return "inspection.member_disqualified" }

func (ev MemberDisqualified) applyInspection(in *Inspection) {
	in.Disqualified[disqualKey(ev.ElectionID, ev.MemberID)] = true
}

// InspectionClosed records the closing of the inspection.
type InspectionClosed struct {
	Conclusion string    `json:"conclusion"`
	At         time.Time `json:"at"`
}

// EventType returns "inspection.closed".
func (InspectionClosed) EventType() string { return "inspection.closed" }

func (InspectionClosed) applyInspection(in *Inspection) { in.Closed = true }
