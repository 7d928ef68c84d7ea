package domain

import (
	"slices"
	"time"
)

// ConsultationAddr addresses a consultation: its ULID and the 12-digit code
// of its community or village. Consultation commands embed it.
type ConsultationAddr struct {
	ConsultationID string `json:"consultation_id"`
	Region         Region `json:"region"`
}

// Target returns the consultation's ref.
func (a ConsultationAddr) Target() AggregateRef {
	return AggregateRef{Kind: KindConsultation, ID: a.ConsultationID, Region: a.Region}
}

// Related returns nil: consultation commands read only the consultation.
func (ConsultationAddr) Related() []AggregateRef { return nil }

func (c *Consultation) mustExist() error {
	if !c.Proposed {
		return notFound("consultation_not_found", "未找到该协商", "the consultation does not exist")
	}
	if c.FeedbackPublished {
		return conflict("consultation_closed", "协商已反馈完毕", "the consultation is closed by its feedback")
	}
	return nil
}

// ProposeTopic proposes a consultation topic. A proposal by residents needs
// signatures of at least one fifth of them (Rules.Proposal).
type ProposeTopic struct {
	ConsultationAddr
	Topic      string            `json:"topic"`
	ProposedBy string            `json:"proposed_by"`
	Signatures int               `json:"signatures,omitempty"`
	Residents  int               `json:"residents,omitempty"`
	Rules      ConsultationRules `json:"rules"`
}

// CommandType returns "propose_topic".
func (ProposeTopic) CommandType() string { return "propose_topic" }

func (p ProposeTopic) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if c.Proposed {
		return nil, conflict("consultation_exists", "该协商已存在", "the consultation already exists")
	}
	rules := p.Rules.WithDefaults()
	if !textOK(p.Topic) || rules.NoticeDays < 0 || !rules.Proposal.valid() || !rules.Quorum.valid() || !rules.Majority.valid() {
		return nil, invalid("invalid_topic", "议题或规则不正确", "the topic or the rules are malformed")
	}
	switch p.ProposedBy {
	case ProposerCommittee, ProposerGroup, ProposerSupervision, ProposerOther:
	case ProposerOneFifth:
		if !rules.Proposal.Met(p.Signatures, p.Residents) {
			return nil, ruleErr("too_few_signatures", ruleConsult, "联名居民不足五分之一", "fewer signatures than one fifth of residents")
		}
	default:
		return nil, invalid("invalid_proposer", "提议主体不正确", "proposed_by is not a known proposer")
	}
	return one(TopicProposed{Topic: p.Topic, ProposedBy: p.ProposedBy, Signatures: p.Signatures,
		Residents: p.Residents, Rules: rules, At: env.Now})
}

// ConsultResidents records that residents were asked about the topic.
type ConsultResidents struct {
	ConsultationAddr
	Asked    int    `json:"asked"`
	Opinions int    `json:"opinions"`
	Summary  string `json:"summary"`
}

// CommandType returns "consult_residents".
func (ConsultResidents) CommandType() string { return "consult_residents" }

func (p ConsultResidents) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if p.Asked <= 0 || p.Opinions < 0 || p.Opinions > p.Asked || !textOK(p.Summary) {
		return nil, invalid("invalid_survey", "征询人数或意见数不正确", "asked must be positive and opinions between 0 and asked")
	}
	return one(ResidentsConsulted{Asked: p.Asked, Opinions: p.Opinions, Summary: p.Summary})
}

// DetermineParticipants sets who takes part, by category, counts only
// (residents, non-registered residents, owners' committee, ...). Residents
// must have been asked first, and the notice not yet published.
type DetermineParticipants struct {
	ConsultationAddr
	Participants []ParticipantCount `json:"participants"`
}

// CommandType returns "determine_participants".
func (DetermineParticipants) CommandType() string { return "determine_participants" }

func (p DetermineParticipants) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if c.Asked == 0 {
		return nil, ruleErr("residents_not_asked", ruleConsult, "确定议题须先征询居民意见", "residents are asked before participants are chosen")
	}
	if c.NoticePublished {
		return nil, conflict("notice_published", "通知已发布", "the notice is already published")
	}
	total := 0
	for _, pc := range p.Participants {
		if !slices.Contains(participantCategories, pc.Category) || pc.Count <= 0 {
			return nil, invalid("invalid_participants", "参与者类别或人数不正确", "unknown participant category or non-positive count")
		}
		total += pc.Count
	}
	if total == 0 {
		return nil, invalid("invalid_participants", "须确定参与者", "list the participants")
	}
	return one(ParticipantsDetermined{Participants: p.Participants, Total: total})
}

// PublishNotice publishes the meeting's content at least Rules.NoticeDays
// (3) calendar days before the meeting.
type PublishNotice struct {
	ConsultationAddr
	Content   string    `json:"content"`
	Place     string    `json:"place"`
	MeetingAt time.Time `json:"meeting_at"`
}

// CommandType returns "publish_notice".
func (PublishNotice) CommandType() string { return "publish_notice" }

func (p PublishNotice) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if c.ParticipantsTotal == 0 || c.NoticePublished {
		return nil, conflict("notice_not_allowed", "须先确定参与者且尚未发布通知", "participants must be set and no notice published yet")
	}
	if !textOK(p.Content) || !textOK(p.Place) {
		return nil, invalid("invalid_notice", "须写明协商内容和地点", "give the content and the place")
	}
	today := DateOf(env.Now)
	if today.DaysUntil(DateOf(p.MeetingAt)) < c.Rules.NoticeDays {
		return nil, ruleErr("notice_too_late", ruleConsult, "协商内容须提前公布", "the content must be published in advance of the meeting")
	}
	return one(NoticePublished{Content: p.Content, Place: p.Place, MeetingAt: p.MeetingAt, On: today})
}

// HoldMeeting records the meeting: not before the announced time; quorate
// when more than half of the participants are present.
type HoldMeeting struct {
	ConsultationAddr
	Present int `json:"present"`
}

// CommandType returns "hold_meeting".
func (HoldMeeting) CommandType() string { return "hold_meeting" }

func (p HoldMeeting) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.NoticePublished || c.Held {
		return nil, conflict("meeting_not_allowed", "须先发布通知，且会议尚未召开", "a notice must be published and the meeting not yet held")
	}
	if env.Now.Before(c.MeetingAt) {
		return nil, conflict("meeting_too_early", "会议不得早于通知时间召开", "the meeting cannot be held before the announced time")
	}
	if p.Present < 0 || p.Present > c.ParticipantsTotal {
		return nil, invalid("invalid_attendance", "出席人数不正确", "present must be between 0 and the participants")
	}
	return one(MeetingHeld{Present: p.Present, Participants: c.ParticipantsTotal,
		Quorate: c.Rules.Quorum.Met(p.Present, c.ParticipantsTotal), At: env.Now})
}

// RecordOpinion records one opinion voiced at the meeting.
type RecordOpinion struct {
	ConsultationAddr
	Category string `json:"category"`
	Summary  string `json:"summary"`
}

// CommandType returns "record_opinion".
func (RecordOpinion) CommandType() string { return "record_opinion" }

func (p RecordOpinion) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.Held || c.Voted {
		return nil, conflict("meeting_not_in_session", "会议未召开或已表决", "the meeting is not in session")
	}
	if !slices.Contains(participantCategories, p.Category) || !textOK(p.Summary) {
		return nil, invalid("invalid_opinion", "意见类别或内容不正确", "unknown category or empty summary")
	}
	if c.Participants[p.Category] == 0 {
		return nil, invalid("category_not_participating", "该类别没有人参加本次协商: "+p.Category, "no participant of this category takes part: "+p.Category)
	}
	return one(OpinionRecorded{Category: p.Category, Summary: p.Summary})
}

// VoteResolution records the vote on a resolution at a quorate meeting;
// adopted by a majority of those present (not merely of votes cast).
type VoteResolution struct {
	ConsultationAddr
	Text    string `json:"text"`
	For     int    `json:"for"`
	Against int    `json:"against"`
	Abstain int    `json:"abstain"`
}

// CommandType returns "vote_resolution".
func (VoteResolution) CommandType() string { return "vote_resolution" }

func (p VoteResolution) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.Held || c.Voted {
		return nil, conflict("meeting_not_in_session", "会议未召开或已表决", "the meeting is not in session")
	}
	if !c.Quorate {
		return nil, ruleErr("no_quorum", ruleMeeting, "出席人数未过半，不能表决", "without more than half present there is no vote")
	}
	if !textOK(p.Text) || p.For < 0 || p.Against < 0 || p.Abstain < 0 || p.For+p.Against+p.Abstain > c.Present {
		return nil, invalid("invalid_vote", "票数不合理", "vote counts are inconsistent with attendance")
	}
	return one(ResolutionVoted{Text: p.Text, For: p.For, Against: p.Against, Abstain: p.Abstain,
		Present: c.Present, Adopted: c.Rules.Majority.Met(p.For, c.Present)})
}

// PostponeConsultation puts the matter off after a meeting when the parties
// disagree strongly (or the meeting was not quorate); a new notice follows.
type PostponeConsultation struct {
	ConsultationAddr
	Reason string `json:"reason"`
}

// CommandType returns "postpone_consultation".
func (PostponeConsultation) CommandType() string { return "postpone_consultation" }

func (p PostponeConsultation) decideConsultation(c *Consultation, _ Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.Held || c.Adopted {
		return nil, conflict("cannot_postpone", "只有已召开且未通过决议的协商可以暂缓", "only a held meeting without an adopted resolution can be postponed")
	}
	if !textOK(p.Reason) {
		return nil, invalid("invalid_reason", "须写明理由", "give a reason")
	}
	return one(ConsultationPostponed{Reason: p.Reason})
}

// AssignTask assigns an implementation task of the adopted resolution.
type AssignTask struct {
	ConsultationAddr
	TaskID   string `json:"task_id"`
	Title    string `json:"title"`
	Owner    string `json:"owner"`
	Deadline Date   `json:"deadline"`
}

// CommandType returns "assign_task".
func (AssignTask) CommandType() string { return "assign_task" }

func (p AssignTask) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.Adopted {
		return nil, conflict("no_resolution", "尚无通过的决议", "no resolution has been adopted")
	}
	if !validID(p.TaskID) || !textOK(p.Title) || !textOK(p.Owner) || !p.Deadline.Valid() || DateOf(env.Now).DaysUntil(p.Deadline) < 0 {
		return nil, invalid("invalid_task", "任务须有编号、名称、责任方和今后的期限", "a task needs an ID, a title, an owner and a deadline not in the past")
	}
	if c.taskIndex(p.TaskID) >= 0 {
		return nil, conflict("task_exists", "该任务已存在", "the task already exists")
	}
	return one(TaskAssigned{Task{ID: p.TaskID, Title: p.Title, Owner: p.Owner, Deadline: p.Deadline}})
}

// CompleteTask records that a task is done.
type CompleteTask struct {
	ConsultationAddr
	TaskID string `json:"task_id"`
	Note   string `json:"note"`
}

// CommandType returns "complete_task".
func (CompleteTask) CommandType() string { return "complete_task" }

func (p CompleteTask) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	i := c.taskIndex(p.TaskID)
	if i < 0 || c.Tasks[i].Done {
		return nil, conflict("task_not_open", "没有未完成的该任务", "no such open task")
	}
	if !textOK(p.Note) {
		return nil, invalid("invalid_note", "须写明完成情况", "say how the task was done")
	}
	return one(TaskCompleted{TaskID: p.TaskID, Note: p.Note, On: DateOf(env.Now)})
}

// PublishFeedback reports back to participants and residents once every
// task is done; the consultation is then closed.
type PublishFeedback struct {
	ConsultationAddr
	Content string `json:"content"`
}

// CommandType returns "publish_feedback".
func (PublishFeedback) CommandType() string { return "publish_feedback" }

func (p PublishFeedback) decideConsultation(c *Consultation, env Env) ([]Event, error) {
	if err := c.mustExist(); err != nil {
		return nil, err
	}
	if !c.Voted || slices.ContainsFunc(c.Tasks, func(t Task) bool { return !t.Done }) {
		return nil, ruleErr("tasks_open", ruleConsult, "决议事项落实后方可反馈", "feedback follows the vote and the completion of every task")
	}
	if !textOK(p.Content) {
		return nil, invalid("invalid_feedback", "须写明反馈内容", "give the feedback")
	}
	return one(FeedbackPublished{Content: p.Content, On: DateOf(env.Now)})
}
