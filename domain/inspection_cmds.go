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

// OpenInspection opens a supervision action with its scope.
type OpenInspection struct {
	InspectionAddr
	Title      string   `json:"title"`
	Scope      Scope    `json:"scope"`
	Inspectors []string `json:"inspectors"`
}

// CommandType returns "open_inspection".
func (OpenInspection) CommandType() string { return "open_inspection" }

func (c OpenInspection) decideInspection(in *Inspection, env Env) ([]Event, error) {
	if in.Opened {
		return nil, conflict("inspection_exists", "该监督检查已存在", "the inspection already exists")
	}
	if !textOK(c.Title) || len(c.Inspectors) == 0 || !nonEmptyNames(c.Inspectors) {
		return nil, invalid("invalid_inspection", "须写明名称和检查人员", "give a title and the inspectors")
	}
	switch c.Scope.Kind {
	case ScopeElection, ScopeMeeting, ScopeCommittee:
	case ScopeMember:
		if !validID(c.Scope.MemberID) {
			return nil, invalid("invalid_scope", "须写明成员编号", "a member scope names the member")
		}
	default:
		return nil, invalid("invalid_scope", "检查范围类型不正确", "scope kind must be election, meeting, committee or member")
	}
	if !validULID(c.Scope.ID) {
		return nil, invalid("invalid_scope", "检查对象编号须为ULID", "the scope ID must be a ULID")
	}
	return one(InspectionOpened{Title: c.Title, Scope: c.Scope, Inspectors: c.Inspectors, At: env.Now})
}

// AttachEvidence references a recorded event (by its event ID) as evidence.
type AttachEvidence struct {
	InspectionAddr
	EvidenceID  string `json:"evidence_id"`
	EventID     string `json:"event_id"`
	Description string `json:"description"`
}

// CommandType returns "attach_evidence".
func (AttachEvidence) CommandType() string { return "attach_evidence" }

func (c AttachEvidence) decideInspection(in *Inspection, _ Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	if !validID(c.EvidenceID) || !validULID(c.EventID) || !textOK(c.Description) {
		return nil, invalid("invalid_evidence", "证据须有编号、事件ULID和说明", "evidence needs an ID, an event ULID and a description")
	}
	if _, ok := in.Evidence[c.EvidenceID]; ok {
		return nil, conflict("evidence_exists", "该证据已登记", "the evidence is already attached")
	}
	return one(EvidenceAttached{EvidenceID: c.EvidenceID, EventID: c.EventID, Description: c.Description})
}

// RecordFinding records a finding; a fraud finding names the election.
type RecordFinding struct {
	InspectionAddr
	FindingID  string   `json:"finding_id"`
	Kind       string   `json:"kind"`
	ElectionID string   `json:"election_id,omitempty"`
	MemberID   string   `json:"member_id,omitempty"`
	Summary    string   `json:"summary"`
	Evidence   []string `json:"evidence"`
}

// CommandType returns "record_finding".
func (RecordFinding) CommandType() string { return "record_finding" }

func (c RecordFinding) decideInspection(in *Inspection, _ Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	if err := c.validate(in); err != nil {
		return nil, err
	}
	return one(FindingRecorded{FindingID: c.FindingID, Kind: c.Kind, ElectionID: c.ElectionID,
		MemberID: c.MemberID, Summary: c.Summary, Evidence: c.Evidence})
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
	return one(RectificationReported{OrderID: c.OrderID, Report: c.Report, On: today, Late: o.Deadline.DaysUntil(today) > 0})
}

// ReviewRectification accepts or rejects a reported rectification.
type ReviewRectification struct {
	InspectionAddr
	OrderID  string `json:"order_id"`
	Accepted bool   `json:"accepted"`
	Note     string `json:"note"`
}

// CommandType returns "review_rectification".
func (ReviewRectification) CommandType() string { return "review_rectification" }

func (c ReviewRectification) decideInspection(in *Inspection, _ Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	o := in.Orders[c.OrderID]
	if o == nil || !o.Reported || o.Accepted {
		return nil, conflict("order_not_reported", "该整改尚未报告", "the order has no report to review")
	}
	return one(RectificationReviewed{OrderID: c.OrderID, Accepted: c.Accepted, Note: c.Note})
}

// DisqualifyMember records that a committee member is disqualified on a
// finding about that member; the election's vacate_seat then frees the seat.
type DisqualifyMember struct {
	InspectionAddr
	ElectionID string `json:"election_id"`
	MemberID   string `json:"member_id"`
	FindingID  string `json:"finding_id"`
}

// CommandType returns "disqualify_member".
func (DisqualifyMember) CommandType() string { return "disqualify_member" }

func (c DisqualifyMember) decideInspection(in *Inspection, _ Env) ([]Event, error) {
	if err := in.mustBeOpen(); err != nil {
		return nil, err
	}
	f := in.Findings[c.FindingID]
	if f == nil || f.MemberID != c.MemberID || !validULID(c.ElectionID) {
		return nil, notFound("finding_not_found", "没有针对该成员的认定", "no finding about this member")
	}
	if in.Disqualified[disqualKey(c.ElectionID, c.MemberID)] {
		return nil, conflict("already_disqualified", "该成员已被取消资格", "the member is already disqualified")
	}
	return one(MemberDisqualified{ElectionID: c.ElectionID, MemberID: c.MemberID, FindingID: c.FindingID})
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
