package domain

import "time"

// RescheduleMeeting moves a noticed meeting that is not yet held to a new
// time, with a new notice period: the new time lies at least
// Rules.NoticeDays (3) calendar days after the new notice.
type RescheduleMeeting struct {
	ConsultationAddr
	MeetingAt time.Time `json:"meeting_at"`
	Place     string    `json:"place,omitempty"` // empty: the place announced
	Reason    string    `json:"reason"`
}

// CommandType returns "reschedule_meeting".
func (RescheduleMeeting) CommandType() string { return "reschedule_meeting" }

func (p RescheduleMeeting) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.NoticePublished || c.Held {
		return nil, conflict("meeting_not_scheduled", "只有已通知且尚未召开的会议可以改期", "only a noticed meeting not yet held can be rescheduled")
	}
	if !textOK(p.Reason) || (p.Place != "" && !textOK(p.Place)) {
		return nil, invalid("invalid_reschedule", "须写明改期理由", "give the reason for the new date")
	}
	today := DateOf(env.Now)
	if today.DaysUntil(DateOf(p.MeetingAt)) < c.Rules.NoticeDays {
		return nil, ruleErr("notice_too_late", ruleConsult, "改期后的会议须重新提前公告", "the new date needs a new notice period")
	}
	place := p.Place
	if place == "" {
		place = c.Place
	}
	return one(MeetingRescheduled{MeetingAt: p.MeetingAt, Place: place, Reason: p.Reason, NoticeOn: today, Previous: c.MeetingAt})
}

// MeetingRescheduled records a new time (and place) for a noticed meeting;
// NoticeOn is the day of the new notice.
type MeetingRescheduled struct {
	MeetingAt time.Time `json:"meeting_at"`
	Previous  time.Time `json:"previous"`
	Place     string    `json:"place"`
	Reason    string    `json:"reason"`
	NoticeOn  Date      `json:"notice_on"`
}

// EventType returns "consultation.meeting_rescheduled".
func (MeetingRescheduled) EventType() string { return "consultation.meeting_rescheduled" }

func (ev MeetingRescheduled) applyConsultation(c *Consultation) {
	c.MeetingAt, c.Place = ev.MeetingAt, ev.Place
}

// What a 公开栏 posting shows.
const (
	PostNotice     = "notice"
	PostResolution = "resolution"
	PostProgress   = "progress"
	PostFeedback   = "feedback"
)

// PostPublication records that a document of the consultation was put up
// on a public notice board (公开栏): where, from which day and for how many
// days.
type PostPublication struct {
	ConsultationAddr
	Subject string `json:"subject"` // notice, resolution, progress or feedback
	Place   string `json:"place"`
	Start   Date   `json:"start"`
	Days    int    `json:"days"`
}

// CommandType returns "post_publication".
func (PostPublication) CommandType() string { return "post_publication" }

func (p PostPublication) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if !c.Proposed {
		return nil, notFound("consultation_not_found", "未找到该协商", "the consultation does not exist")
	}
	ok := map[string]bool{PostNotice: c.NoticePublished, PostResolution: c.Voted, PostProgress: c.Voted, PostFeedback: c.FeedbackPublished}
	has, known := ok[p.Subject]
	if !known || !textOK(p.Place) || !p.Start.Valid() || p.Days < 1 || p.Days > 3660 {
		return nil, invalid("invalid_publication", "须写明公开内容（notice/resolution/progress/feedback）、地点、开始日期和天数", "give the subject (notice, resolution, progress or feedback), the place, the first day and the number of days")
	}
	if !has {
		return nil, conflict("nothing_to_publish", "该内容尚未形成，不能公开", "there is no such document to post yet")
	}
	if DateOf(env.Now).DaysUntil(p.Start) > 0 {
		return nil, invalid("publication_in_future", "公开开始日期不得晚于登记日期", "a posting is recorded on or after its first day")
	}
	return one(PublicationPosted{Subject: p.Subject, Place: p.Place, Start: p.Start, Days: p.Days, Until: p.Start.AddDays(p.Days - 1)})
}

// PublicationPosted records a posting on a public notice board (公开栏).
type PublicationPosted struct {
	Subject string `json:"subject"`
	Place   string `json:"place"`
	Start   Date   `json:"start"`
	Days    int    `json:"days"`
	Until   Date   `json:"until"` // the last day on the board
}

// EventType returns "consultation.publication_posted".
func (PublicationPosted) EventType() string { return "consultation.publication_posted" }

func (ev PublicationPosted) applyConsultation(c *Consultation) {
	c.Postings = append(c.Postings, ev)
}

// ReviewOutcome records the residents' democratic review (民主评议) of how a
// consultation's outcome was carried out, once its feedback is published;
// once per consultation.
type ReviewOutcome struct {
	ConsultationAddr
	Satisfied      int    `json:"satisfied"`
	BasicSatisfied int    `json:"basically_satisfied"`
	Dissatisfied   int    `json:"dissatisfied"`
	Summary        string `json:"summary"`
}

// CommandType returns "review_outcome".
func (ReviewOutcome) CommandType() string { return "review_outcome" }

func (p ReviewOutcome) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if !c.Proposed {
		return nil, notFound("consultation_not_found", "未找到该协商", "the consultation does not exist")
	}
	if !c.FeedbackPublished || c.Reviewed {
		return nil, conflict("review_not_allowed", "反馈公布后方可评议，且只评议一次", "the outcome is reviewed once, after the feedback")
	}
	total := p.Satisfied + p.BasicSatisfied + p.Dissatisfied
	if p.Satisfied < 0 || p.BasicSatisfied < 0 || p.Dissatisfied < 0 || total == 0 || !textOK(p.Summary) {
		return nil, invalid("invalid_review", "评议票数须为非负数且有总结", "counts are non-negative with at least one rating, and a summary is given")
	}
	return one(OutcomeReviewed{Satisfied: p.Satisfied, BasicSatisfied: p.BasicSatisfied, Dissatisfied: p.Dissatisfied,
		Summary: p.Summary, Approved: Threshold{Num: 1, Den: 2, Strict: true}.Met(p.Satisfied+p.BasicSatisfied, total)})
}

// OutcomeReviewed records the democratic review of a consultation's
// outcome; Approved when more than half rated it satisfied or basically
// satisfied.
type OutcomeReviewed struct {
	Satisfied      int    `json:"satisfied"`
	BasicSatisfied int    `json:"basically_satisfied"`
	Dissatisfied   int    `json:"dissatisfied"`
	Summary        string `json:"summary"`
	Approved       bool   `json:"approved"`
}

// EventType returns "consultation.outcome_reviewed".
func (OutcomeReviewed) EventType() string { return "consultation.outcome_reviewed" }

func (ev OutcomeReviewed) applyConsultation(c *Consultation) { c.Reviewed = true }
