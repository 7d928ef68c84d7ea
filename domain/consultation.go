package domain

import (
	"slices"
	"time"
)

// Who may propose a consultation topic.
const (
	ProposerCommittee   = "committee"           // the residents' or villagers' committee
	ProposerGroup       = "residents_group"     // a residents' or villagers' group
	ProposerOneFifth    = "one_fifth_residents" // one fifth of residents, by signature
	ProposerSupervision = "supervision_committee"
	ProposerOther       = "other"
)

// Participant categories of a consultation (counts only, no names).
var participantCategories = []string{"resident", "non_registered_resident", "owners_committee",
	"property_company", "unit", "social_organization", "representative", "expert", "other"}

// ConsultationRules are a consultation's thresholds; zero fields mean the defaults.
type ConsultationRules struct {
	NoticeDays int       `json:"notice_days,omitempty"` // content announced at least this many days before the meeting (3)
	Proposal   Threshold `json:"proposal,omitzero"`     // signatures / residents for a residents' proposal: at least 1/5
	Quorum     Threshold `json:"quorum,omitzero"`       // present / participants: more than 1/2
	Majority   Threshold `json:"majority,omitzero"`     // for / present: more than 1/2
}

// WithDefaults returns r with zero fields set to the defaults.
func (r ConsultationRules) WithDefaults() ConsultationRules {
	r.NoticeDays = orInt(r.NoticeDays, 3)
	r.Proposal = orThreshold(r.Proposal, oneFifth)
	r.Quorum = orThreshold(r.Quorum, moreThanHalf)
	r.Majority = orThreshold(r.Majority, moreThanHalf)
	return r
}

// Task is an implementation task of an adopted resolution.
type Task struct {
	ID       string `json:"task_id"`
	Title    string `json:"title"`
	Owner    string `json:"owner"` // an organization or a role, not a private person
	Deadline Date   `json:"deadline"`
	Done     bool   `json:"done"`
	DoneOn   Date   `json:"done_on,omitempty"`
}

// Consultation is the state of one community consultation. The caller owns it (see [State]).
type Consultation struct {
	ID       string
	Region   Region
	Proposed bool

	Topic      string
	ProposedBy string
	Rules      ConsultationRules

	Asked, Opinions   int            // residents asked before the topic was settled, opinions received
	Participants      map[string]int // category -> count
	ParticipantsTotal int
	NoticePublished   bool
	MeetingAt         time.Time
	Place             string
	Held              bool
	Present           int
	Quorate           bool
	OpinionsRecorded  int
	Voted, Adopted    bool
	Postponed         int // times postponed
	Tasks             []Task
	FeedbackPublished bool
	Postings          []PublicationPosted // 公开栏 postings, in the order recorded
	Reviewed          bool                // the outcome's democratic review is recorded
}

// Kind returns KindConsultation.
func (*Consultation) Kind() AggregateKind { return KindConsultation }

// OverdueTasks returns the tasks whose deadline is before now's date (China
// time) and that are not done. Pure; the returned slice is a new one.
func (c *Consultation) OverdueTasks(now time.Time) []Task {
	today := DateOf(now)
	var out []Task
	for _, t := range c.Tasks {
		if !t.Done && t.Deadline.DaysUntil(today) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func (c *Consultation) taskIndex(id string) int {
	return slices.IndexFunc(c.Tasks, func(t Task) bool { return t.ID == id })
}

// TopicProposed records a proposed consultation topic.
type TopicProposed struct {
	Topic      string            `json:"topic"`
	ProposedBy string            `json:"proposed_by"`
	Signatures int               `json:"signatures,omitempty"`
	Residents  int               `json:"residents,omitempty"`
	Rules      ConsultationRules `json:"rules"`
	At         time.Time         `json:"at"`
}

// EventType returns "consultation.topic_proposed".
func (TopicProposed) EventType() string { return "consultation.topic_proposed" }

func (ev TopicProposed) applyConsultation(c *Consultation) {
	c.Proposed, c.Topic, c.ProposedBy, c.Rules = true, ev.Topic, ev.ProposedBy, ev.Rules
	c.Participants = map[string]int{}
}

// ResidentsConsulted records that residents were asked about the topic.
type ResidentsConsulted struct {
	Asked    int    `json:"asked"`
	Opinions int    `json:"opinions"`
	Summary  string `json:"summary"`
}

// EventType returns "consultation.residents_consulted".
func (ResidentsConsulted) EventType() string { return "consultation.residents_consulted" }

func (ev ResidentsConsulted) applyConsultation(c *Consultation) {
	c.Asked += ev.Asked
	c.Opinions += ev.Opinions
}

// ParticipantCount is the number of participants of one category.
type ParticipantCount struct {
	Category string `json:"category"`
	Count    int    `json:"count"`
}

// ParticipantsDetermined records who takes part (by category, counts only).
type ParticipantsDetermined struct {
	Participants []ParticipantCount `json:"participants"`
	Total        int                `json:"total"`
}

// EventType returns "consultation.participants_determined".
func (ParticipantsDetermined) EventType() string { return "consultation.participants_determined" }

func (ev ParticipantsDetermined) applyConsultation(c *Consultation) {
	clear(c.Participants)
	for _, p := range ev.Participants {
		c.Participants[p.Category] += p.Count
	}
	c.ParticipantsTotal = ev.Total
}

// NoticePublished records the notice of the meeting with its content.
type NoticePublished struct {
	Content   string    `json:"content"`
	Place     string    `json:"place"`
	MeetingAt time.Time `json:"meeting_at"`
	On        Date      `json:"on"`
}

// EventType returns "consultation.notice_published".
func (NoticePublished) EventType() string { return "consultation.notice_published" }

func (ev NoticePublished) applyConsultation(c *Consultation) {
	c.NoticePublished, c.MeetingAt, c.Place = true, ev.MeetingAt, ev.Place
}

// MeetingHeld records the meeting and its attendance.
type MeetingHeld struct {
	Present      int       `json:"present"`
	Participants int       `json:"participants"`
	Quorate      bool      `json:"quorate"`
	At           time.Time `json:"at"`
}

// EventType returns "consultation.meeting_held".
func (MeetingHeld) EventType() string { return "consultation.meeting_held" }

func (ev MeetingHeld) applyConsultation(c *Consultation) {
	c.Held, c.Present, c.Quorate = true, ev.Present, ev.Quorate
}

// OpinionRecorded records one opinion voiced at the meeting (by category, not by name).
type OpinionRecorded struct {
	Category string `json:"category"`
	Summary  string `json:"summary"`
}

// EventType returns "consultation.opinion_recorded".
func (OpinionRecorded) EventType() string { return "consultation.opinion_recorded" }

func (OpinionRecorded) applyConsultation(c *Consultation) { c.OpinionsRecorded++ }

// ResolutionVoted records the vote on a resolution; Adopted with a majority
// of those present.
type ResolutionVoted struct {
	Text    string `json:"text"`
	For     int    `json:"for"`
	Against int    `json:"against"`
	Abstain int    `json:"abstain"`
	Present int    `json:"present"`
	Adopted bool   `json:"adopted"`
}

// EventType returns "consultation.resolution_voted".
func (ResolutionVoted) EventType() string { return "consultation.resolution_voted" }

func (ev ResolutionVoted) applyConsultation(c *Consultation) { c.Voted, c.Adopted = true, ev.Adopted }

// ConsultationPostponed records that the matter is put off because the
// parties disagree strongly; a new notice and meeting follow.
type ConsultationPostponed struct {
	Reason string `json:"reason"`
}

// EventType returns "consultation.postponed".
func (ConsultationPostponed) EventType() string { return "consultation.postponed" }

func (ConsultationPostponed) applyConsultation(c *Consultation) {
	c.Postponed++
	c.NoticePublished, c.Held, c.Quorate, c.Present, c.Voted, c.Adopted = false, false, false, 0, false, false
	c.MeetingAt, c.Place = time.Time{}, ""
}

// TaskAssigned records an implementation task of an adopted resolution.
type TaskAssigned struct {
	Task
}

// EventType returns "consultation.task_assigned".
func (TaskAssigned) EventType() string { return "consultation.task_assigned" }

func (ev TaskAssigned) applyConsultation(c *Consultation) { c.Tasks = append(c.Tasks, ev.Task) }

// TaskCompleted records that a task is done.
type TaskCompleted struct {
	TaskID string `json:"task_id"`
	Note   string `json:"note"`
	On     Date   `json:"on"`
}

// EventType returns "consultation.task_completed".
func (TaskCompleted) EventType() string { return "consultation.task_completed" }

func (ev TaskCompleted) applyConsultation(c *Consultation) {
	if i := c.taskIndex(ev.TaskID); i >= 0 {
		c.Tasks[i].Done, c.Tasks[i].DoneOn = true, ev.On
	}
}

// FeedbackPublished records the report back to participants and residents.
type FeedbackPublished struct {
	Content string `json:"content"`
	On      Date   `json:"on"`
}

// EventType returns "consultation.feedback_published".
func (FeedbackPublished) EventType() string { return "consultation.feedback_published" }

func (FeedbackPublished) applyConsultation(c *Consultation) { c.FeedbackPublished = true }
