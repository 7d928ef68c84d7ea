package projections

import (
	"bytes"
	"context"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
)

// ConsultationView is one consultation: its meeting, participation,
// resolution and follow-up tasks, with those overdue as of a given time.
type ConsultationView struct {
	ID                   string        `json:"id"`
	Region               string        `json:"region"`
	Topic                string        `json:"topic"`
	ProposedBy           string        `json:"proposed_by"`
	Participants         int           `json:"participants"`
	Present              int           `json:"present"`
	ParticipationPercent float64       `json:"participation_percent"`
	MeetingAt            time.Time     `json:"meeting_at,omitzero"`
	Held                 bool          `json:"held"`
	Quorate              bool          `json:"quorate"`
	Voted                bool          `json:"voted"`
	Adopted              bool          `json:"adopted"`
	Postponed            int           `json:"postponed,omitempty"`
	OpinionsRecorded     int           `json:"opinions_recorded"`
	Tasks                []domain.Task `json:"tasks,omitempty"`
	OverdueTasks         []domain.Task `json:"overdue_tasks,omitempty"`
	FeedbackPublished    bool          `json:"feedback_published"`
}

// CommunityConsultations sums the consultations of one community or village.
type CommunityConsultations struct {
	Region        string `json:"region"`
	Consultations int    `json:"consultations"`
	Meetings      int    `json:"meetings"`
	Resolutions   int    `json:"resolutions"`
	Adopted       int    `json:"adopted"`
	OpenTasks     int    `json:"open_tasks"`
	OverdueTasks  int    `json:"overdue_tasks"`
}

// ConsultationReport lists the consultations of a region (any level, by
// code prefix) and sums them per community, both in region then ID order.
type ConsultationReport struct {
	Communities   []CommunityConsultations `json:"communities"`
	Consultations []ConsultationView       `json:"consultations"`
}

// ConsultationsIn returns the consultations under region, with tasks
// overdue as of now. Its cost grows with the consultations in the region.
func ConsultationsIn(ctx context.Context, db pebble.Reader, region string, now time.Time) (ConsultationReport, error) {
	var rep ConsultationReport
	err := scanIndex(ctx, db, shortConsult, region, func(id string) error {
		var c domain.Consultation
		found, err := getJSON(db, key(nil, shortConsult, "c/", id), &c)
		if err != nil || !found {
			return err
		}
		v := consultationView(&c, now)
		rep.Consultations = append(rep.Consultations, v)
		rep.addCommunity(v)
		return nil
	})
	return rep, err
}

// ConsultationOf returns one consultation as of now.
func ConsultationOf(ctx context.Context, db pebble.Reader, id string, now time.Time) (ConsultationView, error) {
	var c domain.Consultation
	found, err := getJSON(db, key(nil, shortConsult, "c/", id), &c)
	if err != nil || !found {
		return ConsultationView{}, notFoundOr(err, "consultation "+id)
	}
	return consultationView(&c, now), nil
}

func consultationView(c *domain.Consultation, now time.Time) ConsultationView {
	return ConsultationView{ID: c.ID, Region: string(c.Region), Topic: c.Topic, ProposedBy: c.ProposedBy,
		Participants: c.ParticipantsTotal, Present: c.Present,
		ParticipationPercent: percent(int64(c.Present), int64(c.ParticipantsTotal)), MeetingAt: c.MeetingAt,
		Held: c.Held, Quorate: c.Quorate, Voted: c.Voted, Adopted: c.Adopted, Postponed: c.Postponed,
		OpinionsRecorded: c.OpinionsRecorded, Tasks: c.Tasks, OverdueTasks: c.OverdueTasks(now),
		FeedbackPublished: c.FeedbackPublished}
}

func (rep *ConsultationReport) addCommunity(v ConsultationView) {
	n := len(rep.Communities)
	if n == 0 || rep.Communities[n-1].Region != v.Region {
		rep.Communities = append(rep.Communities, CommunityConsultations{Region: v.Region})
		n++
	}
	c := &rep.Communities[n-1]
	c.Consultations++
	c.Meetings += b2i(v.Held)
	c.Resolutions += b2i(v.Voted)
	c.Adopted += b2i(v.Adopted)
	for _, t := range v.Tasks {
		c.OpenTasks += b2i(!t.Done)
	}
	c.OverdueTasks += len(v.OverdueTasks)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanIndex calls fn with the ID of each aggregate indexed under a region
// prefix ("p<short>/r/<region>\x00<id>").
func scanIndex(ctx context.Context, db pebble.Reader, short, region string, fn func(id string) error) error {
	return scan(ctx, db, key(nil, short, "r/", region), func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return nil
		}
		return fn(string(k[i+1:]))
	})
}

// InspectionView is one supervision action with its findings and orders.
type InspectionView struct {
	ID         string        `json:"id"`
	Region     string        `json:"region"`
	Title      string        `json:"title"`
	Scope      domain.Scope  `json:"scope"`
	Open       bool          `json:"open"`
	Inspectors []string      `json:"inspectors"`
	Findings   []FindingView `json:"findings,omitempty"`
	Orders     []OrderView   `json:"orders,omitempty"`
	Evidence   int           `json:"evidence"`
}

// FindingView is one finding.
type FindingView struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	ElectionID string `json:"election_id,omitempty"`
	MemberID   string `json:"member_id,omitempty"`
	Summary    string `json:"summary"`
}

// OrderView is one rectification order. Due: not yet accepted. Overdue:
// due, not reported, and its deadline has passed as of the query's now.
type OrderView struct {
	ID          string      `json:"id"`
	FindingID   string      `json:"finding_id"`
	Responsible string      `json:"responsible"`
	Deadline    domain.Date `json:"deadline"`
	Reported    bool        `json:"reported"`
	Accepted    bool        `json:"accepted"`
	Rejections  int         `json:"rejections,omitempty"`
	Due         bool        `json:"due"`
	Overdue     bool        `json:"overdue"`
}

// SupervisionReport sums the inspections of a region (by code prefix:
// inspections scoped to it or to any region below it) and lists them.
type SupervisionReport struct {
	Region            string           `json:"region"`
	Open              int              `json:"open"`
	Closed            int              `json:"closed"`
	Findings          int              `json:"findings"`
	RectificationsDue int              `json:"rectifications_due"`
	Overdue           int              `json:"overdue"`
	Inspections       []InspectionView `json:"inspections"`
}

// SupervisionIn returns the supervision report of region as of now.
func SupervisionIn(ctx context.Context, db pebble.Reader, region string, now time.Time) (SupervisionReport, error) {
	rep := SupervisionReport{Region: region}
	err := scanIndex(ctx, db, shortSuperv, region, func(id string) error {
		var in domain.Inspection
		found, err := getJSON(db, key(nil, shortSuperv, "i/", id), &in)
		if err != nil || !found {
			return err
		}
		v := inspectionView(&in, now)
		rep.Inspections = append(rep.Inspections, v)
		rep.Open += b2i(v.Open)
		rep.Closed += b2i(!v.Open)
		rep.Findings += len(v.Findings)
		for _, o := range v.Orders {
			rep.RectificationsDue += b2i(o.Due)
			rep.Overdue += b2i(o.Overdue)
		}
		return nil
	})
	return rep, err
}

func inspectionView(in *domain.Inspection, now time.Time) InspectionView {
	v := InspectionView{ID: in.ID, Region: string(in.Region), Title: in.Title, Scope: in.Scope, Open: !in.Closed,
		Inspectors: in.Inspectors, Evidence: len(in.Evidence)}
	for _, f := range sortedValues(in.Findings) {
		v.Findings = append(v.Findings, FindingView{ID: f.ID, Kind: f.Kind, ElectionID: f.ElectionID, MemberID: f.MemberID, Summary: f.Summary})
	}
	today := domain.DateOf(now)
	for _, o := range sortedValues(in.Orders) {
		due := !o.Accepted
		v.Orders = append(v.Orders, OrderView{ID: o.ID, FindingID: o.FindingID, Responsible: o.Responsible,
			Deadline: o.Deadline, Reported: o.Reported, Accepted: o.Accepted, Rejections: o.Rejections,
			Due: due, Overdue: due && !o.Reported && o.Deadline.DaysUntil(today) > 0})
	}
	return v
}

func sortedValues[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slicesSort(keys)
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
