package domain

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// DeclareResult sums the closed counts of every station of the current round
// and declares its result. Related: every station of the election (at least
// every station that has voters on the roll).
type DeclareResult struct {
	ElectionAddr
	Round      int      `json:"round"`
	StationIDs []string `json:"station_ids"`
}

// CommandType returns "declare_result".
func (DeclareResult) CommandType() string { return "declare_result" }

// Related returns the refs of the listed stations.
func (c DeclareResult) Related() []AggregateRef {
	refs := make([]AggregateRef, len(c.StationIDs))
	for i, id := range c.StationIDs {
		refs[i] = relatedRef(KindStation, id, c.Region)
	}
	return refs
}

// roundSum is the sum of the closed counts of a round's stations.
type roundSum struct {
	voted, cast    int
	blank, invalid int
	votes          map[string]int
	writeIns       map[string]int
	invalidBoxes   []string
}

func (c DeclareResult) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if c.Round != e.Round || !e.votingOpen() {
		return nil, conflict("round_not_open", "本轮投票未进行或已宣布结果", "this round is not being voted or is already declared")
	}
	sum, err := c.sum(e, env)
	if err != nil {
		return nil, err
	}
	decl := e.declare(sum, c.StationIDs)
	next, ok := e.nextRound(&decl, DateOf(env.Now))
	if !ok {
		return one(decl)
	}
	return []Event{decl, next}, nil
}

func (c DeclareResult) sum(e *Election, env Env) (roundSum, error) {
	s := roundSum{votes: map[string]int{}, writeIns: map[string]int{}}
	listed := make(map[string]*Station, len(c.StationIDs))
	for _, id := range c.StationIDs {
		if listed[id] != nil {
			return s, invalid("duplicate_station", "投票站重复", "a station is listed twice")
		}
		st, err := relatedStation(env, id, c.Region)
		if err != nil {
			return s, err
		}
		listed[id] = st
	}
	for _, id := range c.StationIDs {
		if err := s.add(listed[id], e, listed); err != nil {
			return s, err
		}
	}
	for id := range e.RollStations {
		if listed[id] == nil {
			return s, conflict("station_missing", "有投票站未列入计票: "+id, "a station with voters is not included: "+id)
		}
	}
	return s, nil
}

// add adds the closed count of station st (a counting unit's host) to s. A
// box counted with a host adds nothing: its ballots are in its host's
// count, which must have merged it.
func (s *roundSum) add(st *Station, e *Election, listed map[string]*Station) error {
	if st.ElectionID != e.ID {
		return invalid("station_of_other_election", "该投票站不属于本选举", "the station belongs to another election")
	}
	t := st.Tallies[e.Round]
	if t != nil && t.CountWith != "" {
		host := listed[t.CountWith]
		if host == nil || host.Tallies[e.Round] == nil || !slices.Contains(host.Tallies[e.Round].Merged, st.ID) {
			return conflict("box_not_merged", "票箱尚未并入合并计票的投票站: "+st.ID, "the box is not merged into its counting unit's count: "+st.ID)
		}
		return nil
	}
	if t == nil || !t.Closed {
		return conflict("count_not_closed", "投票站计票尚未结束: "+st.ID, "the station's count is not closed: "+st.ID)
	}
	if t.BoxInvalid {
		s.invalidBoxes = append(s.invalidBoxes, st.ID)
		if e.Rules.SpoiledBox == SpoiledBox {
			return nil // set aside under the profile's provincial rule
		}
	}
	s.voted += t.Issued
	s.cast += t.Returned
	s.blank += t.Blank
	s.invalid += t.Invalid
	for id, n := range t.Votes {
		s.votes[id] += n
	}
	for name, n := range t.WriteIns {
		s.writeIns[name] += n
	}
	return nil
}

// WriteInPrefix prefixes the ID of a write-in (另选他人) in tallies and members.
const WriteInPrefix = "write-in:"

func (e *Election) tally(s roundSum) []Votes {
	out := make([]Votes, 0, len(e.RoundCandidates)+len(s.writeIns))
	for _, id := range e.RoundCandidates {
		out = append(out, Votes{ID: id, Name: e.Candidates[id].Name, Votes: s.votes[id]})
	}
	for name, n := range s.writeIns {
		out = append(out, Votes{ID: WriteInPrefix + name, Name: name, WriteIn: true, Votes: n})
	}
	slices.SortFunc(out, func(a, b Votes) int {
		return cmp.Or(cmp.Compare(b.Votes, a.Votes), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (e *Election) declare(s roundSum, stations []string) RoundDeclared {
	registered := len(e.Roll)
	d := RoundDeclared{Round: e.Round, Kind: e.RoundKind, Seats: e.RoundSeats, Stations: stations,
		InvalidBoxes: s.invalidBoxes, Registered: registered, Voted: s.voted, Cast: s.cast,
		ValidBallots: s.cast - s.blank - s.invalid, Blank: s.blank, InvalidBallots: s.invalid,
		Valid: e.Rules.Validity.Met(s.voted, registered), Tally: e.tally(s), Remaining: e.RoundSeats}
	switch {
	case len(s.invalidBoxes) > 0 && e.Rules.SpoiledBox == SpoiledBox:
		d.SetAsideRule = e.Rules.SpoiledBoxRule
	case len(s.invalidBoxes) > 0:
		d.Valid, d.Reason = false, ReasonBallotsExcess
		return d
	}
	if !d.Valid {
		d.Reason = ReasonTurnout
		return d
	}
	th := e.Rules.Election
	if e.RoundKind == RoundRunoff {
		th = e.Rules.SecondRound
	}
	elected, tied := elect(d.Tally, e.RoundSeats, s.cast, th)
	for _, v := range elected {
		d.Elected = append(d.Elected, Member{ID: v.ID, Name: v.Name, WriteIn: v.WriteIn, Round: e.Round, Votes: v.Votes})
	}
	d.Tied, d.Remaining = tied, e.RoundSeats-len(elected)
	return d
}

// elect returns the entries of tally (sorted by votes, descending) that
// meet th out of cast, at most seats of them. Candidates tied across the
// last seat are returned in tied and none of them is elected.
func elect(tally []Votes, seats, cast int, th Threshold) (elected []Votes, tied []string) {
	n := 0
	for n < len(tally) && th.Met(tally[n].Votes, cast) {
		n++
	}
	eligible := tally[:n]
	if len(eligible) <= seats {
		return eligible, nil
	}
	cut := eligible[seats-1].Votes
	if eligible[seats].Votes < cut {
		return eligible[:seats], nil
	}
	for _, v := range eligible {
		if v.Votes > cut {
			elected = append(elected, v)
		} else if v.Votes == cut {
			tied = append(tied, v.ID)
		}
	}
	return elected, tied
}

// nextRound completes decl (Final, Vacant) and returns the round that must
// follow it, if any: a revote of an invalid round, a second round for seats
// left after a first round or by-election, or a run-off of tied candidates.
func (e *Election) nextRound(decl *RoundDeclared, today Date) (RoundStarted, bool) {
	next := RoundStarted{Round: e.Round + 1, Kind: e.RoundKind, Seats: decl.Remaining, Day: today}
	switch {
	case !decl.Valid:
		next.Candidates = e.RoundCandidates
	case decl.Remaining == 0:
		decl.Final = true
		return next, false
	case e.RoundKind != RoundRunoff:
		next.Kind, next.Candidates = RoundRunoff, runoffCandidates(decl)
	default:
		next.Candidates = decl.Tied
	}
	if len(next.Candidates) == 0 {
		decl.Final, decl.Vacant, decl.VacantReason = true, decl.Remaining, ReasonNoCandidateLeft
		return next, false
	}
	return next, true
}

// runoffCandidates returns the nominated candidates not elected with the
// most votes: remaining seats + 1 of them, extended to everyone tied with the
// last one (第一次投票未当选的人员得票多的为候选人).
func runoffCandidates(decl *RoundDeclared) []string {
	var out []string
	last := -1
	elected := make(map[string]bool, len(decl.Elected))
	for _, m := range decl.Elected {
		elected[m.ID] = true
	}
	for _, v := range decl.Tally {
		if v.WriteIn || elected[v.ID] || v.Votes == 0 {
			continue
		}
		if len(out) > decl.Remaining && v.Votes < last {
			break
		}
		out, last = append(out, v.ID), v.Votes
	}
	slices.Sort(out)
	return out
}

// VoidResult voids a certified result won by fraud (art. 17). Related: the
// inspection, which must hold a finding of kind "fraud" for this election.
type VoidResult struct {
	ElectionAddr
	InspectionID     string `json:"inspection_id"`
	InspectionRegion Region `json:"inspection_region"`
	FindingID        string `json:"finding_id"`
	Reason           string `json:"reason"`
}

// CommandType returns "void_result".
func (VoidResult) CommandType() string { return "void_result" }

// Related returns the inspection's ref.
func (c VoidResult) Related() []AggregateRef {
	return []AggregateRef{relatedRef(KindInspection, c.InspectionID, c.InspectionRegion)}
}

func (c VoidResult) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.Certified && !e.Announced {
		return nil, conflict("not_certified", "只有已公布或已确认的结果可被宣布无效", "only an announced or certified result can be voided")
	}
	if !textOK(c.Reason) {
		return nil, invalid("invalid_reason", "须写明理由", "give a reason")
	}
	in, err := relatedInspection(env, c.InspectionID, c.InspectionRegion)
	if err != nil {
		return nil, err
	}
	f := in.Findings[c.FindingID]
	if f == nil || f.Kind != FindingFraud || f.ElectionID != e.ID {
		return nil, ruleErr("no_fraud_finding", ruleFraud, "监督检查中没有针对本选举的舞弊认定", "the inspection holds no fraud finding for this election")
	}
	return one(ElectionVoided{InspectionID: c.InspectionID, FindingID: c.FindingID, Reason: c.Reason})
}

// Who may propose a recall.
const (
	RecallByVoters          = "voters"          // 1/5 of registered voters
	RecallByRepresentatives = "representatives" // 1/3 of villagers' representatives
)

// ProposeRecall proposes the recall of a current member with the signatures
// of at least 1/5 of registered voters or 1/3 of representatives.
type ProposeRecall struct {
	ElectionAddr
	RecallID        string `json:"recall_id"`
	MemberID        string `json:"member_id"`
	By              string `json:"by"`
	Signatures      int    `json:"signatures"`
	Representatives int    `json:"representatives,omitempty"`
	Reason          string `json:"reason"`
}

// CommandType returns "propose_recall".
func (ProposeRecall) CommandType() string { return "propose_recall" }

func (c ProposeRecall) decideElection(e *Election, _ Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !validID(c.RecallID) || c.Reason == "" || c.Signatures < 0 {
		return nil, invalid("invalid_recall", "罢免须有编号、理由和联名人数", "a recall needs an ID, a reason and a signature count")
	}
	if e.Recalls[c.RecallID] != nil {
		return nil, conflict("recall_exists", "该罢免已提出", "the recall already exists")
	}
	if !e.IsMember(c.MemberID) {
		return nil, notFound("member_not_found", "该人不是委员会成员", "not a current member")
	}
	base, th := len(e.Roll), e.Rules.RecallProposal
	switch c.By {
	case RecallByVoters:
	case RecallByRepresentatives:
		base, th = c.Representatives, e.Rules.RecallByRepresentatives
	default:
		return nil, invalid("invalid_recall_by", "提议人须为 voters 或 representatives", "by must be voters or representatives")
	}
	if !th.Met(c.Signatures, base) {
		return nil, ruleErr("too_few_signatures", ruleRecall, "联名人数不足五分之一选民或三分之一代表", "fewer signatures than 1/5 of voters or 1/3 of representatives")
	}
	return one(RecallProposed{RecallID: c.RecallID, MemberID: c.MemberID, By: c.By,
		Signatures: c.Signatures, Base: base, Reason: c.Reason})
}

// RecordRecallVote records the recall vote's totals. It is valid when more
// than half of registered voters voted and passes with more than half of the
// ballots cast; a passed recall removes the member.
type RecordRecallVote struct {
	ElectionAddr
	RecallID string `json:"recall_id"`
	Cast     int    `json:"cast"`
	For      int    `json:"for"`
	Against  int    `json:"against"`
}

// CommandType returns "record_recall_vote".
func (RecordRecallVote) CommandType() string { return "record_recall_vote" }

func (c RecordRecallVote) decideElection(e *Election, _ Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	r := e.Recalls[c.RecallID]
	if r == nil || r.Voted {
		return nil, conflict("recall_not_open", "没有待表决的该罢免", "no such recall awaiting a vote")
	}
	reg := len(e.Roll)
	if c.Cast < 0 || c.For < 0 || c.Against < 0 || c.Cast > reg || c.For+c.Against > c.Cast {
		return nil, invalid("invalid_recall_vote", "票数不合理", "vote counts are inconsistent")
	}
	ev := RecallVoted{RecallID: c.RecallID, MemberID: r.MemberID, Registered: reg, Cast: c.Cast,
		For: c.For, Against: c.Against, Valid: e.Rules.RecallValidity.Met(c.Cast, reg)}
	ev.Passed = ev.Valid && e.Rules.RecallPass.Met(c.For, c.Cast)
	if !ev.Passed || !e.IsMember(r.MemberID) {
		return one(ev)
	}
	return []Event{ev, MemberRemoved{MemberID: r.MemberID, Cause: RemovedByRecall, Ref: c.RecallID}}, nil
}

// CallByElection calls a by-election (补选) for vacant seats; nominations
// reopen and the usual rules of a first round apply.
type CallByElection struct {
	ElectionAddr
	Seats int  `json:"seats"`
	Day   Date `json:"day"`
}

// CommandType returns "call_by_election".
func (CallByElection) CommandType() string { return "call_by_election" }

func (c CallByElection) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.Final {
		return nil, conflict("election_in_progress", "选举尚未结束", "the election is still in progress")
	}
	if c.Seats <= 0 || c.Seats > e.Vacancies {
		return nil, conflict("no_vacancy", "补选名额超过空缺", "more seats than vacancies")
	}
	if !c.Day.Valid() || DateOf(env.Now).DaysUntil(c.Day) < 0 {
		return nil, invalid("invalid_day", "补选日须为今天或以后的有效日期", "by-election day must be a valid date, today or later")
	}
	return one(ByElectionCalled{Round: e.Round + 1, Seats: c.Seats, Day: c.Day})
}

// VacateSeat removes a member disqualified by a supervision action.
// Related: the inspection, which must record the disqualification.
type VacateSeat struct {
	ElectionAddr
	MemberID         string `json:"member_id"`
	InspectionID     string `json:"inspection_id"`
	InspectionRegion Region `json:"inspection_region"`
}

// CommandType returns "vacate_seat".
func (VacateSeat) CommandType() string { return "vacate_seat" }

// Related returns the inspection's ref.
func (c VacateSeat) Related() []AggregateRef {
	return []AggregateRef{relatedRef(KindInspection, c.InspectionID, c.InspectionRegion)}
}

func (c VacateSeat) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.IsMember(c.MemberID) {
		return nil, notFound("member_not_found", "该人不是委员会成员", "not a current member")
	}
	in, err := relatedInspection(env, c.InspectionID, c.InspectionRegion)
	if err != nil {
		return nil, err
	}
	if !in.Disqualified[disqualKey(e.ID, c.MemberID)] {
		return nil, conflict("not_disqualified", "监督检查未认定该成员丧失资格", "the inspection did not disqualify this member")
	}
	return one(MemberRemoved{MemberID: c.MemberID, Cause: RemovedByDisqualified, Ref: c.InspectionID})
}

// Declaration is what a supervision committee member declares under art. 32.
type Declaration struct {
	CommitteeMember      bool     `json:"committee_member"`
	RelativesOnCommittee []string `json:"relatives_on_committee"` // member IDs of the committee they are near relatives of
}

// AppointSupervisor confirms an elected member of a supervision committee
// against the committee it supervises (art. 32). Related: that committee's
// election (same region).
type AppointSupervisor struct {
	ElectionAddr
	MemberID            string      `json:"member_id"`
	CommitteeElectionID string      `json:"committee_election_id"`
	Declaration         Declaration `json:"declaration"`
}

// CommandType returns "appoint_supervisor".
func (AppointSupervisor) CommandType() string { return "appoint_supervisor" }

// Related returns the supervised committee's election.
func (c AppointSupervisor) Related() []AggregateRef {
	return []AggregateRef{relatedRef(KindElection, c.CommitteeElectionID, c.Region)}
}

func (c AppointSupervisor) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if e.Committee != CommitteeSupervision || !e.IsMember(c.MemberID) || slices.Contains(e.Supervisors, c.MemberID) {
		return nil, conflict("not_a_supervision_member", "该人不是本监督委员会待确认的成员", "not an unconfirmed member of this supervision committee")
	}
	com, err := relatedElection(env, c.CommitteeElectionID, c.Region)
	if err != nil {
		return nil, err
	}
	if c.Declaration.CommitteeMember || com.IsMember(c.MemberID) || com.hasMemberNamed(e.Members[e.memberIndex(c.MemberID)].Name) {
		return nil, ruleErr("committee_member", ruleSupervisors, "委员会成员不得担任监督委员会成员", "a committee member cannot sit on the supervision committee")
	}
	for _, rel := range c.Declaration.RelativesOnCommittee {
		if !com.IsMember(rel) {
			return nil, notFound("member_not_found", "申报的近亲属不是该委员会成员: "+rel, "the declared relative is not a member of that committee: "+rel)
		}
		if com.IsMember(rel) {
			return nil, ruleErr("near_relative_of_committee_member", ruleSupervisors, "委员会成员的近亲属不得担任监督委员会成员", "a near relative of a committee member cannot sit on the supervision committee")
		}
	}
	return one(SupervisorAppointed{MemberID: c.MemberID, CommitteeElectionID: c.CommitteeElectionID})
}

func (e *Election) hasMemberNamed(name string) bool {
	for _, m := range e.Members {
		if sameName(m.Name, name) {
			return true
		}
	}
	return false
}

// sameName compares two names ignoring spaces (全角 too) and letter case.
func sameName(a, b string) bool {
	norm := func(s string) string {
		return strings.ToLower(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '·' || r == '•' {
				return -1
			}
			return r
		}, s))
	}
	return norm(a) != "" && norm(a) == norm(b)
}

// RecordDemocraticReview records the annual democratic review (民主评议).
// A member rated incompetent by more than half of the ratings in two
// consecutive yearly reviews leaves office (art. 33).
type RecordDemocraticReview struct {
	ElectionAddr
	Year    int      `json:"year"`
	Ratings []Rating `json:"ratings"`
}

// CommandType returns "record_democratic_review".
func (RecordDemocraticReview) CommandType() string { return "record_democratic_review" }

func (c RecordDemocraticReview) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if y, _ := strconv.Atoi(string(DateOf(env.Now))[:4]); c.Year > y {
		return nil, invalid("review_year_in_future", fmt.Sprintf("评议年度 %d 晚于发生时间所在年度 %d", c.Year, y), fmt.Sprintf("review year %d lies after the year it occurred in (%d)", c.Year, y))
	}
	if c.Year <= e.LastReviewYear || c.Year < 1949 || len(c.Ratings) == 0 {
		return nil, conflict("review_year", "评议年度须晚于上次评议", "the review year must follow the last review")
	}
	if err := c.validate(e); err != nil {
		return nil, err
	}
	ev := ReviewRecorded{Year: c.Year, Ratings: make([]Rating, len(c.Ratings))}
	var out []Event
	for i, r := range c.Ratings {
		r.RatedIncompetent = e.Rules.ReviewIncompetent.Met(r.Incompetent, r.Competent+r.BasicallyCompetent+r.Incompetent)
		ev.Ratings[i] = r
		if r.RatedIncompetent && e.RatedIncompetent[r.MemberID] && c.Year == e.LastReviewYear+1 {
			out = append(out, MemberRemoved{MemberID: r.MemberID, Cause: RemovedByReview, Ref: strconv.Itoa(c.Year)})
		}
	}
	return append([]Event{ev}, out...), nil
}

func (c RecordDemocraticReview) validate(e *Election) error {
	seen := make(map[string]bool, len(c.Ratings))
	for _, r := range c.Ratings {
		counts := r.Competent >= 0 && r.BasicallyCompetent >= 0 && r.Incompetent >= 0 && r.Competent+r.BasicallyCompetent+r.Incompetent > 0
		if !e.IsMember(r.MemberID) || seen[r.MemberID] || !counts {
			return invalid("invalid_rating", "评议对象须为现任成员且不重复，票数须为非负数", "ratings are of distinct current members, with non-negative counts")
		}
		seen[r.MemberID] = true
	}
	return nil
}
