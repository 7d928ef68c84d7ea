package domain

import (
	"slices"
	"time"
)

// StationAddr addresses a polling station: its ULID, its election's ULID and
// the election's 12-digit region. Station commands embed it.
type StationAddr struct {
	StationID  string `json:"station_id"`
	ElectionID string `json:"election_id"`
	Region     Region `json:"region"`
}

// Target returns the station's ref.
func (a StationAddr) Target() AggregateRef {
	return AggregateRef{Kind: KindStation, ID: a.StationID, Region: a.Region}
}

// Related returns nil; commands that read the election override it.
func (StationAddr) Related() []AggregateRef { return nil }

func (a StationAddr) electionRef() []AggregateRef {
	return []AggregateRef{relatedRef(KindElection, a.ElectionID, a.Region)}
}

func (a StationAddr) election(s *Station, env Env) (*Election, error) {
	if s.ElectionID != a.ElectionID {
		return nil, invalid("station_of_other_election", "该投票站不属于本选举", "the station belongs to another election")
	}
	e, err := relatedElection(env, a.ElectionID, a.Region)
	if err != nil {
		return nil, err
	}
	if e.Voided {
		return nil, conflict("election_voided", "该选举结果已被宣布无效", "the election was voided")
	}
	return e, nil
}

// electionIn checks that the station is in one of phases and returns its
// election (see election).
func (a StationAddr) electionIn(s *Station, env Env, phases ...StationPhase) (*Election, error) {
	if err := s.mustBe(phases...); err != nil {
		return nil, err
	}
	return a.election(s, env)
}

func (s *Station) mustExist() error {
	if !s.Established {
		return notFound("station_not_found", "未找到该投票站", "the polling station does not exist")
	}
	return nil
}

func (s *Station) mustBe(phases ...StationPhase) error {
	if err := s.mustExist(); err != nil {
		return err
	}
	if !slices.Contains(phases, s.Phase) {
		return conflict("station_"+string(s.Phase), "投票站当前状态不允许此操作: "+string(s.Phase), "the station's state does not allow this now: "+string(s.Phase))
	}
	return nil
}

// EstablishStation establishes a polling station or a mobile ballot box
// (流动票箱) of an election. A mobile box must be approved and have at least
// Rules.MobileBoxMinScrutineers (3) scrutineers, recorded by name (public
// officials). Related: the election.
type EstablishStation struct {
	StationAddr
	Mobile      bool     `json:"mobile"`
	Approved    bool     `json:"approved"`
	Place       string   `json:"place"`
	Scrutineers []string `json:"scrutineers"`
}

// CommandType returns "establish_station".
func (EstablishStation) CommandType() string { return "establish_station" }

// Related returns the election.
func (c EstablishStation) Related() []AggregateRef { return c.electionRef() }

func (c EstablishStation) decideStation(s *Station, env Env) ([]Event, error) {
	if s.Established {
		return nil, conflict("station_exists", "该投票站已设立", "the station already exists")
	}
	e, err := relatedElection(env, c.ElectionID, c.Region)
	if err != nil {
		return nil, err
	}
	if c.Place == "" || len(c.Scrutineers) == 0 || slices.Contains(c.Scrutineers, "") || hasDuplicate(c.Scrutineers) {
		return nil, invalid("invalid_station", "须写明地点，监票人姓名不得为空或重复", "give a place and distinct, non-empty scrutineer names")
	}
	if err := checkText("place", c.Place, 1, 200); err != nil {
		return nil, err
	}
	if err := checkTexts("scrutineers", c.Scrutineers, 1, 200); err != nil {
		return nil, err
	}
	if c.Mobile && (!c.Approved || len(c.Scrutineers) < e.Rules.MobileBoxMinScrutineers) {
		return nil, ruleErr("mobile_box_rules", ruleMobile, "流动票箱须经批准并至少有3名监票人", "a mobile ballot box must be approved and have at least 3 scrutineers")
	}
	return one(StationEstablished{ElectionID: c.ElectionID, Mobile: c.Mobile, Place: c.Place,
		Scrutineers: c.Scrutineers, ElectionDay: e.Day})
}

func hasDuplicate(xs []string) bool {
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}

// PublishStationVoters publishes the list of the station's voters (by roll
// number); a mobile box cannot open its polls before it. Related: the election.
type PublishStationVoters struct {
	StationAddr
}

// CommandType returns "publish_station_voters".
func (PublishStationVoters) CommandType() string { return "publish_station_voters" }

// Related returns the election.
func (c PublishStationVoters) Related() []AggregateRef { return c.electionRef() }

func (c PublishStationVoters) decideStation(s *Station, env Env) ([]Event, error) {
	e, err := c.electionIn(s, env, StationReady)
	if err != nil {
		return nil, err
	}
	n := e.RollStations[s.ID]
	if n == 0 || !e.RollPublished {
		return nil, conflict("no_station_voters", "选民名单未公布或本站没有选民", "the roll is not published or has no voters at this station")
	}
	if err := s.unitOK(e); err != nil {
		return nil, err
	}
	return one(StationVotersPublished{Voters: n, On: DateOf(env.Now)})
}

// OpenPolls opens the polls for the election's current round, on or after
// the round's day. Related: the election.
type OpenPolls struct {
	StationAddr
	Round int `json:"round"`
}

// CommandType returns "open_polls".
func (OpenPolls) CommandType() string { return "open_polls" }

// Related returns the election.
func (c OpenPolls) Related() []AggregateRef { return c.electionRef() }

func (c OpenPolls) decideStation(s *Station, env Env) ([]Event, error) {
	phases := []StationPhase{StationReady, StationCounted}
	if s.CountWith != "" { // a box merged into its host's count is done with its round once closed
		phases = append(phases, StationClosed, StationSealed)
	}
	e, err := c.electionIn(s, env, phases...)
	if err != nil {
		return nil, err
	}
	if c.Round != e.Round || c.Round <= s.Round || !e.votingOpen() {
		return nil, conflict("round_not_open", "本轮投票未开始（名单或候选人未公布）", "this round is not open for voting (roll or candidates unpublished)")
	}
	if DateOf(env.Now).DaysUntil(e.RoundDay) > 0 {
		return nil, ruleErr("before_election_day", ruleSecret, "选举日前不得投票", "polls do not open before election day")
	}
	if s.Mobile && !s.VoterListPublished {
		return nil, ruleErr("mobile_voters_unpublished", ruleMobile, "流动票箱的选民名单须先公布", "a mobile box's voter list must be published first")
	}
	if err := s.unitOK(e); err != nil {
		return nil, err
	}
	return one(PollsOpened{Round: e.Round, Seats: e.RoundSeats, Candidates: e.RoundCandidates,
		CountWith: e.CountWith[s.ID], At: env.Now})
}

// unitOK refuses a station whose counting unit breaks the rules: a mobile
// box not counted with a fixed station, a mobile box hosting others, or a
// unit of fewer than K registered voters (the roll may have shrunk by
// upheld objections since it was published).
func (s *Station) unitOK(e *Election) error {
	switch {
	case s.Mobile && e.CountWith[s.ID] == "":
		return ruleErr("mobile_box_not_merged", ruleCountUnit, "流动票箱须与固定投票站合并计票（merge_count）",
			"a mobile box is counted with a fixed station (merge_count)")
	case s.Mobile && e.hosts(s.ID) > 0:
		return ruleErr("count_with_mobile", ruleCountUnit, "流动票箱不能作为合并计票的主站", "a mobile box cannot host a counting unit")
	}
	return e.checkUnit(e.UnitOf(s.ID))
}

// CheckIn records that a ballot is issued to roll number RollNo at this
// station: in person, by the registered proxy holder, or at a mobile box;
// once per voter and round; only while the polls are open; only voters of
// this station. Related: the election (for its roll and proxies). O(1).
type CheckIn struct {
	StationAddr
	RollNo            int    `json:"roll_no"`
	Mode              string `json:"mode"`
	ProxyHolderRollNo int    `json:"proxy_holder_roll_no,omitempty"`
}

// CommandType returns "check_in".
func (CheckIn) CommandType() string { return "check_in" }

// Related returns the election.
func (c CheckIn) Related() []AggregateRef { return c.electionRef() }

func (c CheckIn) decideStation(s *Station, env Env) ([]Event, error) {
	e, err := c.electionIn(s, env, StationOpen)
	if err != nil {
		return nil, err
	}
	if err := c.check(s, e); err != nil {
		return nil, err
	}
	return one(c.event(s, env.Now))
}

// check applies the rules of one check-in to the open station s of
// election e.
func (c CheckIn) check(s *Station, e *Election) error {
	entry, ok := e.Roll[c.RollNo]
	if !ok {
		return notFound("not_on_roll", "选民名单上没有该编号", "no such roll number on the roll")
	}
	if e.StationOf(entry) != s.ID {
		return ruleErr("wrong_station", ruleOneEntry, "该选民不属于本投票站", "the voter does not vote at this station")
	}
	if r, ok := s.CheckedIn[c.RollNo]; ok && r >= s.Round {
		return alreadyCheckedIn()
	}
	if a, ok := e.CheckedInAway[c.RollNo]; ok && a.Round >= s.Round {
		return conflict("checked_in_elsewhere", "该选民本轮已在投票站 "+a.Station+" 领取选票(边缘节点记录)", "an edge recorded a ballot issued to the voter at station "+a.Station+" in this round")
	}
	return c.checkMode(s, e)
}

func alreadyCheckedIn() *Error {
	return conflict("already_checked_in", "该选民本轮已领取选票", "the voter already received a ballot in this round")
}

// Item returns c as an item of a [CheckIns] batch, issued at.
func (c CheckIn) Item(at time.Time) CheckInItem {
	return CheckInItem{RollNo: c.RollNo, Mode: c.Mode, ProxyHolderRollNo: c.ProxyHolderRollNo, At: at}
}

func (c CheckIn) event(s *Station, at time.Time) VoterCheckedIn {
	return VoterCheckedIn{Round: s.Round, RollNo: c.RollNo, Mode: c.Mode, ProxyHolder: c.ProxyHolderRollNo, At: at}
}

func (c CheckIn) checkMode(s *Station, e *Election) error {
	switch {
	case c.Mode == ModeMobile && s.Mobile, c.Mode == ModeInPerson && !s.Mobile:
		if c.ProxyHolderRollNo != 0 {
			return invalid("unexpected_proxy_holder", "本人投票不应填写受托人", "an in-person check-in has no proxy holder")
		}
		return nil
	case c.Mode == ModeProxy && !s.Mobile:
		p, ok := e.Proxies[c.RollNo]
		if !ok || p.Holder != c.ProxyHolderRollNo || !e.ProxiesPublished {
			return ruleErr("not_a_registered_proxy", ruleProxy, "受托人没有经公布的该选民委托", "the holder has no published proxy of this voter")
		}
		return nil
	}
	return invalid("invalid_mode", "领票方式与投票站类型不符", "the mode does not fit the station: in_person or proxy at a fixed station, mobile_box at a mobile box")
}

// ClosePolls closes the polls of the current round. Round, when given, must
// be the station's round ("wrong_round").
type ClosePolls struct {
	StationAddr
	Round int `json:"round,omitempty"`
}

// CommandType returns "close_polls".
func (ClosePolls) CommandType() string { return "close_polls" }

func (c ClosePolls) decideStation(s *Station, env Env) ([]Event, error) {
	if err := s.mustBe(StationOpen); err != nil {
		return nil, err
	}
	if err := s.roundIs(c.Round); err != nil {
		return nil, err
	}
	return one(PollsClosed{Round: s.Round, At: env.Now})
}

// SealBox records the sealing of a closed box by its scrutineers. Round,
// when given, must be the station's round ("wrong_round").
type SealBox struct {
	StationAddr
	Round    int      `json:"round,omitempty"`
	SealNo   string   `json:"seal_no"`
	SealedBy []string `json:"sealed_by"`
}

// CommandType returns "seal_box".
func (SealBox) CommandType() string { return "seal_box" }

func (c SealBox) decideStation(s *Station, env Env) ([]Event, error) {
	if err := s.mustBe(StationClosed); err != nil {
		return nil, err
	}
	if err := s.roundIs(c.Round); err != nil {
		return nil, err
	}
	if c.SealNo == "" || len(c.SealedBy) == 0 || !nonEmptyNames(c.SealedBy) {
		return nil, invalid("invalid_seal", "须写明封条编号和封箱人", "give the seal number and who sealed the box")
	}
	if err := checkText("seal_no", c.SealNo, 1, 64); err != nil {
		return nil, err
	}
	if err := checkTexts("sealed_by", c.SealedBy, 1, 200); err != nil {
		return nil, err
	}
	return one(BoxSealed{Round: s.Round, SealNo: c.SealNo, SealedBy: c.SealedBy, At: env.Now})
}

// RecordBallot records one ballot of the public count of a closed (or sealed)
// box. It carries no voter reference. A ballot marking more names than the
// round's seats, or unreadable, is counted invalid. O(marks).
type RecordBallot struct {
	StationAddr
	Round      int      `json:"round"`
	Candidates []string `json:"candidates"`
	WriteIns   []string `json:"write_ins"`
	Blank      bool     `json:"blank"`
	Unreadable bool     `json:"unreadable"`
}

// CommandType returns "record_ballot".
func (RecordBallot) CommandType() string { return "record_ballot" }

func (c RecordBallot) decideStation(s *Station, _ Env) ([]Event, error) {
	if err := countOpen(s, c.Round); err != nil {
		return nil, err
	}
	if err := c.validate(s); err != nil {
		return nil, err
	}
	return one(c.event(s))
}

// roundIs refuses a round given by the caller (0: not given) that is not
// the station's current round.
func (s *Station) roundIs(round int) error {
	if round != 0 && round != s.Round {
		return conflict("wrong_round", "轮次不符：本站当前为第"+itoa(s.Round)+"轮", "not the station's round: it is in round "+itoa(s.Round))
	}
	return nil
}

// countOpen reports whether ballots of round may be counted at s now.
func countOpen(s *Station, round int) error {
	if err := s.mustExist(); err != nil {
		return err
	}
	if s.Phase != StationClosed && s.Phase != StationSealed {
		return ruleErr("box_not_closed", ruleSecret, "票箱关闭后、计票结束前方可公开计票", "ballots are counted in public after the box is closed and before the count is closed")
	}
	if round != s.Round {
		return conflict("wrong_round", "轮次不符", "the ballot's round is not the station's round")
	}
	return s.countedWithHost()
}

func (c RecordBallot) event(s *Station) BallotRecorded {
	marks := len(c.Candidates) + len(c.WriteIns)
	return BallotRecorded{Round: c.Round, Candidates: c.Candidates, WriteIns: c.WriteIns, Blank: c.Blank,
		Unreadable: c.Unreadable, Invalid: c.Unreadable || marks > s.Seats}
}

func (c RecordBallot) validate(s *Station) error {
	marks := len(c.Candidates) + len(c.WriteIns)
	if c.Blank && (marks > 0 || c.Unreadable) || !c.Blank && !c.Unreadable && marks == 0 {
		return invalid("invalid_marks", "空白票不得有标记；无标记的选票须标为空白票", "a blank ballot has no marks, and a ballot without marks is blank")
	}
	for i, id := range c.Candidates {
		if !s.Candidates[id] || slices.Contains(c.Candidates[:i], id) {
			return invalid("invalid_candidate_mark", "选票标记了非本轮候选人或重复标记", "a mark names no candidate of this round, or one twice")
		}
	}
	for _, w := range c.WriteIns {
		if w == "" || len(w) > 200 {
			return invalid("invalid_write_in", "另选他人须写明姓名", "a write-in needs a name")
		}
	}
	if err := checkTexts("write_ins", c.WriteIns, 1, 200); err != nil {
		return err
	}
	return nil
}

// RecordSpoiledBallots records ballots spoiled and replaced during voting.
type RecordSpoiledBallots struct {
	StationAddr
	Round int `json:"round"`
	Count int `json:"count"`
}

// CommandType returns "record_spoiled_ballots".
func (RecordSpoiledBallots) CommandType() string { return "record_spoiled_ballots" }

func (c RecordSpoiledBallots) decideStation(s *Station, _ Env) ([]Event, error) {
	if err := s.mustBe(StationOpen, StationClosed, StationSealed); err != nil {
		return nil, err
	}
	if c.Round != s.Round || c.Count <= 0 {
		return nil, invalid("invalid_spoiled", "轮次或数量不正确", "wrong round or a non-positive count")
	}
	return one(SpoiledRecorded{Round: c.Round, Count: c.Count})
}

// CloseCount closes the count of the round and reconciles the box: more
// ballots returned than issued makes this box's vote invalid.
type CloseCount struct {
	StationAddr
	Round int `json:"round"`
}

// CommandType returns "close_count".
func (CloseCount) CommandType() string { return "close_count" }

func (c CloseCount) decideStation(s *Station, _ Env) ([]Event, error) {
	if err := s.mustBe(StationClosed, StationSealed); err != nil {
		return nil, err
	}
	if err := s.countedWithHost(); err != nil {
		return nil, err
	}
	if c.Round != s.Round {
		return nil, conflict("wrong_round", "轮次不符", "not the station's round")
	}
	t := s.Tallies[s.Round]
	return one(CountClosed{Round: s.Round, Issued: t.Issued, Returned: t.Returned, Spoiled: t.Spoiled,
		Blank: t.Blank, Invalid: t.Invalid, BoxInvalid: t.Returned > t.Issued})
}
