package domain

// InspectionAddr addresses an inspection: its ULID and the region of its
// scope (any level). Inspection commands embed it.
type InspectionAddr struct {
	InspectionID string `json:"inspection_id"`
	Region       Region `json:"region"`
}

// Target returns the inspection's ref.
func (a InspectionAddr) Target() AggregateRef {
	return AggregateRef{Kind: KindInspection, ID: a.InspectionID, Region: a.Region}
}

// Related returns nil: inspection commands read only the inspection.
func (InspectionAddr) Related() []AggregateRef { return nil }

func (in *Inspection) mustBeOpen() error {
	if !in.Opened {
		return notFound("inspection_not_found", "未找到该监督检查", "the inspection does not exist")
	}
	if in.Closed {
		return conflict("inspection_closed", "该监督检查已结束", "the inspection is closed")
	}
	return nil
}

// OpenInspection opens a supervision action with its scope. The election,
// consultation or member the scope names must exist, in a region within
// the inspection's.
type OpenInspection struct {
	InspectionAddr
	Title      string   `json:"title"`
	Scope      Scope    `json:"scope"`
	Inspectors []string `json:"inspectors"`
}

// CommandType returns "open_inspection".
func (OpenInspection) CommandType() string { return "open_inspection" }

// scopeRegion is the scope's region, by default the inspection's.
func (c OpenInspection) scopeRegion() Region {
	if c.Scope.Region != "" {
		return c.Scope.Region
	}
	return c.Region
}

// Related returns the election or consultation the scope names, if any.
func (c OpenInspection) Related() []AggregateRef {
	switch {
	case c.Scope.ID == "":
		return nil
	case c.Scope.Kind == ScopeMeeting:
		return []AggregateRef{relatedRef(KindConsultation, c.Scope.ID, c.scopeRegion())}
	case c.Scope.Kind == ScopeElection, c.Scope.Kind == ScopeCommittee, c.Scope.Kind == ScopeMember:
		return []AggregateRef{relatedRef(KindElection, c.Scope.ID, c.scopeRegion())}
	}
	return nil
}

func (c OpenInspection) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if in.Opened {
		return nil, conflict("inspection_exists", "该监督检查已存在", "the inspection already exists")
	}
	if !textOK(c.Title) || len(c.Inspectors) == 0 || !nonEmptyNames(c.Inspectors) {
		return nil, invalid("invalid_inspection", "须写明名称和检查人员", "give a title and the inspectors")
	}
	if err := checkTexts("inspectors", c.Inspectors, 1, 200); err != nil {
		return nil, err
	}
	if err := c.checkScope(env); err != nil {
		return nil, err
	}
	sc := c.Scope
	sc.Region = c.scopeRegion()
	return one(InspectionOpened{Title: c.Title, Scope: sc, Inspectors: c.Inspectors, At: env.Now})
}

func (c OpenInspection) checkScope(env Env) error {
	r := c.scopeRegion()
	if !r.within(c.Region) {
		return invalid("scope_out_of_region", "检查对象不在本监督检查的行政区域内", "the scope lies outside the inspection's region")
	}
	switch c.Scope.Kind {
	case ScopeRegion:
		if c.Scope.ID != "" || c.Scope.MemberID != "" {
			return invalid("invalid_scope", "按区域检查时只写区划代码", "a region scope names only the region code")
		}
		return nil
	case ScopeCommittee:
		if c.Scope.ID == "" {
			return villageScope(r)
		}
	case ScopeElection, ScopeMeeting, ScopeMember:
	default:
		return invalid("invalid_scope", "检查范围类型不正确", "scope kind must be election, meeting, committee, member or region")
	}
	if !validULID(c.Scope.ID) {
		return invalid("invalid_scope", "检查对象编号须为ULID", "the scope ID must be a ULID")
	}
	if err := villageScope(r); err != nil {
		return err
	}
	if c.Scope.Kind == ScopeMeeting {
		cs, _ := env.Related[relatedRef(KindConsultation, c.Scope.ID, r)].(*Consultation)
		if cs == nil || !cs.Proposed {
			return notFound("consultation_not_found", "未找到该协商", "the consultation does not exist")
		}
		return nil
	}
	e, err := relatedElection(env, c.Scope.ID, r)
	if err != nil {
		return err
	}
	if c.Scope.Kind == ScopeMember && !e.IsMember(c.Scope.MemberID) {
		return notFound("member_not_found", "该人不是委员会成员: "+c.Scope.MemberID, "not a current member: "+c.Scope.MemberID)
	}
	return nil
}

func villageScope(r Region) error {
	if r.Level() != LevelVillage {
		return invalid("invalid_scope", "选举、协商和委员会须以12位村（社区）代码指明所在地", "an election, consultation or committee is named with its 12-digit community or village code")
	}
	return nil
}

// AttachEvidence records evidence: a recorded event cited by its event ID
// (it must exist, in a region within the inspection's), a document
// described, or both.
type AttachEvidence struct {
	InspectionAddr
	EvidenceID  string `json:"evidence_id"`
	EventID     string `json:"event_id,omitempty"`
	Description string `json:"description"`
}

// CommandType returns "attach_evidence".
func (AttachEvidence) CommandType() string { return "attach_evidence" }

// Cites returns the cited event's ID, if any.
func (c AttachEvidence) Cites() []string {
	if c.EventID == "" {
		return nil
	}
	return []string{c.EventID}
}

func (c AttachEvidence) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	if !validID(c.EvidenceID) || (c.EventID != "" && !validULID(c.EventID)) || !textOK(c.Description) {
		return nil, invalid("invalid_evidence", "证据须有编号和说明，引用事件时须为事件ULID", "evidence needs an ID and a description; a cited event is named by its ULID")
	}
	if _, ok := in.Evidence[c.EvidenceID]; ok {
		return nil, conflict("evidence_exists", "该证据已登记", "the evidence is already attached")
	}
	if c.EventID != "" {
		ev, ok := env.Cited[c.EventID]
		if !ok {
			return nil, notFound("event_not_found", "未找到引用的事件: "+c.EventID, "no recorded event "+c.EventID)
		}
		if !ev.Aggregate.Region.within(in.Region) {
			return nil, invalid("evidence_out_of_region", "引用的事件不在本监督检查的行政区域内", "the cited event lies outside the inspection's region")
		}
	}
	return one(EvidenceAttached{EvidenceID: c.EvidenceID, EventID: c.EventID, Description: c.Description})
}

// RecordFinding records a finding; a fraud finding names the election, a
// finding about a member names the member and the election that seated
// them. Related: that election (ElectionRegion, default the inspection's
// region), which must exist and hold the member. A fraud finding is flagged
// on the election by the follow-up [FlagFraudFinding].
type RecordFinding struct {
	InspectionAddr
	FindingID      string   `json:"finding_id"`
	Kind           string   `json:"kind"`
	ElectionID     string   `json:"election_id,omitempty"`
	ElectionRegion Region   `json:"election_region,omitempty"`
	MemberID       string   `json:"member_id,omitempty"`
	Summary        string   `json:"summary"`
	Evidence       []string `json:"evidence"`
}

// CommandType returns "record_finding".
func (RecordFinding) CommandType() string { return "record_finding" }

func (c RecordFinding) electionRegion() Region { return regionOr(c.ElectionRegion, c.Region) }

// Related returns the election named, if any.
func (c RecordFinding) Related() []AggregateRef {
	if c.ElectionID == "" {
		return nil
	}
	return []AggregateRef{relatedRef(KindElection, c.ElectionID, c.electionRegion())}
}

func (c RecordFinding) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	if err := c.validate(in); err != nil {
		return nil, err
	}
	if err := c.checkRefs(env); err != nil {
		return nil, err
	}
	ev := FindingRecorded{FindingID: c.FindingID, Kind: c.Kind, ElectionID: c.ElectionID,
		MemberID: c.MemberID, Summary: c.Summary, Evidence: c.Evidence}
	if c.ElectionID != "" {
		ev.ElectionRegion = c.electionRegion()
	}
	return one(ev)
}

func (c RecordFinding) checkRefs(env Env) error {
	if c.ElectionID == "" {
		if c.MemberID != "" {
			return invalid("invalid_finding", "针对成员的认定须写明其当选的选举", "a finding about a member names the election that seated them")
		}
		return nil
	}
	e, err := relatedElection(env, c.ElectionID, c.electionRegion())
	if err != nil {
		return err
	}
	if c.MemberID != "" && !e.IsMember(c.MemberID) {
		return notFound("member_not_found", "该人不是委员会成员: "+c.MemberID, "not a current member: "+c.MemberID)
	}
	return nil
}

func (c RecordFinding) validate(in *Inspection) error {
	if !validID(c.FindingID) || !textOK(c.Summary) {
		return invalid("invalid_finding", "认定须有编号和摘要", "a finding needs an ID and a summary")
	}
	if in.Findings[c.FindingID] != nil {
		return conflict("finding_exists", "该认定已登记", "the finding already exists")
	}
	switch c.Kind {
	case FindingFraud:
		if !validULID(c.ElectionID) {
			return invalid("invalid_finding", "舞弊认定须写明选举编号", "a fraud finding names the election")
		}
	case FindingProcedure, FindingFinance, FindingConduct, FindingOther:
	default:
		return invalid("invalid_finding_kind", "认定类型不正确", "unknown finding kind")
	}
	for _, ev := range c.Evidence {
		if _, ok := in.Evidence[ev]; !ok {
			return notFound("evidence_not_found", "未找到引用的证据: "+ev, "no such evidence: "+ev)
		}
	}
	return nil
}

// regionOr returns r, or def when r is empty.
func regionOr(r, def Region) Region {
	if r != "" {
		return r
	}
	return def
}

// OrderRectification orders a rectification of a finding by a deadline.
type OrderRectification struct {
	InspectionAddr
	OrderID     string `json:"order_id"`
	FindingID   string `json:"finding_id"`
	Responsible string `json:"responsible"`
	Deadline    Date   `json:"deadline"`
}

// CommandType returns "order_rectification".
func (OrderRectification) CommandType() string { return "order_rectification" }

func (c OrderRectification) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	if in.Findings[c.FindingID] == nil {
		return nil, notFound("finding_not_found", "未找到该认定", "no such finding")
	}
	if !validID(c.OrderID) || !textOK(c.Responsible) || !c.Deadline.Valid() || DateOf(env.Now).DaysUntil(c.Deadline) < 0 {
		return nil, invalid("invalid_order", "整改须有编号、责任方和今后的期限", "an order needs an ID, a responsible party and a deadline not in the past")
	}
	if in.Orders[c.OrderID] != nil {
		return nil, conflict("order_exists", "该整改通知已存在", "the order already exists")
	}
	return one(RectificationOrdered{OrderID: c.OrderID, FindingID: c.FindingID, Responsible: c.Responsible, Deadline: c.Deadline})
}

// ReportRectification records the report on an order; a report after the
// deadline is accepted but flagged late.
type ReportRectification struct {
	InspectionAddr
	OrderID string `json:"order_id"`
	Report  string `json:"report"`
}

// CommandType returns "report_rectification".
func (ReportRectification) CommandType() string { return "report_rectification" }

func (c ReportRectification) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	o := in.Orders[c.OrderID]
	if o == nil || o.Reported || o.Accepted {
		return nil, conflict("order_not_open", "没有待报告的该整改", "no such order awaiting a report")
	}
	if !textOK(c.Report) {
		return nil, invalid("invalid_report", "须写明整改情况", "give the report")
	}
	today := DateOf(env.Now)
	return one(RectificationReported{OrderID: c.OrderID, Report: c.Report, On: today,
		Late: o.Deadline.DaysUntil(today) > 0, ReportedBy: env.Actor})
}

// ReviewRectification accepts or rejects a reported rectification. The
// actor who recorded the report may not review it.
type ReviewRectification struct {
	InspectionAddr
	OrderID  string `json:"order_id"`
	Accepted bool   `json:"accepted"`
	Note     string `json:"note"`
}

// CommandType returns "review_rectification".
func (ReviewRectification) CommandType() string { return "review_rectification" }

func (c ReviewRectification) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	o := in.Orders[c.OrderID]
	if o == nil || !o.Reported || o.Accepted {
		return nil, conflict("order_not_reported", "该整改尚未报告", "the order has no report to review")
	}
	if env.Actor != "" && env.Actor == o.ReportedBy {
		return nil, ruleErr("reviewer_is_reporter", ruleDuties, "报告整改情况的人不得验收该整改", "whoever reported a rectification may not review it")
	}
	if !c.Accepted && !textOK(c.Note) {
		return nil, invalid("invalid_note", "不予验收须写明理由", "a rejection gives its reason")
	}
	return one(RectificationReviewed{OrderID: c.OrderID, Accepted: c.Accepted, Note: c.Note, ReviewedBy: env.Actor})
}

// DisqualifyMember records that a committee member is disqualified on a
// finding about that member. Related: the election that seated them
// (ElectionRegion, default the inspection's region); the member must hold
// a seat. The seat is vacated by the follow-up [VacateSeat] (see
// [FollowUps]).
type DisqualifyMember struct {
	InspectionAddr
	ElectionID     string `json:"election_id"`
	ElectionRegion Region `json:"election_region,omitempty"`
	MemberID       string `json:"member_id"`
	FindingID      string `json:"finding_id"`
}

// CommandType returns "disqualify_member".
func (DisqualifyMember) CommandType() string { return "disqualify_member" }

func (c DisqualifyMember) electionRegion() Region { return regionOr(c.ElectionRegion, c.Region) }

// Related returns the election.
func (c DisqualifyMember) Related() []AggregateRef {
	return []AggregateRef{relatedRef(KindElection, c.ElectionID, c.electionRegion())}
}

func (c DisqualifyMember) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	f := in.Findings[c.FindingID]
	if f == nil || f.MemberID != c.MemberID || c.MemberID == "" || (f.ElectionID != "" && f.ElectionID != c.ElectionID) {
		return nil, notFound("finding_not_found", "没有针对该成员的认定", "no finding about this member")
	}
	if in.Disqualified[disqualKey(c.ElectionID, c.MemberID)] {
		return nil, conflict("already_disqualified", "该成员已被取消资格", "the member is already disqualified")
	}
	e, err := relatedElection(env, c.ElectionID, c.electionRegion())
	if err != nil {
		return nil, err
	}
	if !e.IsMember(c.MemberID) {
		return nil, notFound("member_not_found", "该人不是委员会成员: "+c.MemberID, "not a current member: "+c.MemberID)
	}
	return one(MemberDisqualified{ElectionID: c.ElectionID, ElectionRegion: c.electionRegion(), MemberID: c.MemberID, FindingID: c.FindingID})
}

// CloseInspection closes the inspection once every order is accepted.
type CloseInspection struct {
	InspectionAddr
	Conclusion string `json:"conclusion"`
}

// CommandType returns "close_inspection".
func (CloseInspection) CommandType() string { return "close_inspection" }

func (c CloseInspection) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	for _, o := range in.Orders {
		if !o.Accepted {
			return nil, conflict("rectification_open", "仍有整改未验收", "a rectification is not yet accepted")
		}
	}
	if !textOK(c.Conclusion) {
		return nil, invalid("invalid_conclusion", "须写明结论", "give a conclusion")
	}
	return one(InspectionClosed{Conclusion: c.Conclusion, At: env.Now})
}
