package domain

import (
	"slices"
	"strings"
)

// ElectionAddr addresses an election: its ULID and its 12-digit village or
// community code. Election commands embed it.
type ElectionAddr struct {
	ElectionID string `json:"election_id"`
	Region     Region `json:"region"`
}

// Target returns the election's ref.
func (a ElectionAddr) Target() AggregateRef {
	return AggregateRef{Kind: KindElection, ID: a.ElectionID, Region: a.Region}
}

// Related returns nil: most election commands read only the election.
func (ElectionAddr) Related() []AggregateRef { return nil }

func (e *Election) mustExist() error {
	if !e.Created {
		return notFound("election_not_found", "未找到该选举", "the election does not exist")
	}
	if e.Voided {
		return conflict("election_voided", "该选举结果已被宣布无效", "the election was voided")
	}
	return nil
}

func (e *Election) mustEditRoll() error {
	if err := e.mustExist(); err != nil {
		return err
	}
	if e.RollPublished {
		return ruleErr("roll_published", ruleRoll, "选民名单公布后只能通过异议处理变更", "after publication the roll changes only by decided objections")
	}
	return nil
}

// CallElection calls a committee election under a rules profile: a
// built-in name ("national", the default; "jilin"; "shanghai-2020";
// "zhejiang-2020") or the ULID of a profile an admin registered for the
// election's province. Nobody loosens a rule for one election: a command
// carrying rules of its own is refused ("rules_in_profile"). Seats must fit
// the committee size of the profile. Election committee members are public
// officials, so their names are recorded.
type CallElection struct {
	ElectionAddr
	Committee         CommitteeKind `json:"committee"`
	Seats             int           `json:"seats"`
	ElectionDay       Date          `json:"election_day"`
	ElectionCommittee []string      `json:"election_committee"`
	Profile           string        `json:"profile,omitempty"`
	Method            string        `json:"method,omitempty"`
	Rules             *Rules        `json:"rules,omitempty"`
}

// CommandType returns "call_election".
func (CallElection) CommandType() string { return "call_election" }

// Related returns the registered profile the election names, if any.
func (c CallElection) Related() []AggregateRef {
	if !validULID(c.Profile) {
		return nil
	}
	return []AggregateRef{profileRef(c.Profile, c.Region)}
}

func (c CallElection) decideElection(e *Election, env Env) ([]Event, error) {
	if e.Created {
		return nil, conflict("election_exists", "该选举已存在", "the election already exists")
	}
	if _, ok := seatDefaults[c.Committee]; !ok {
		return nil, invalid("invalid_committee", "委员会类型须为 villagers、residents 或 supervision", "committee must be villagers, residents or supervision")
	}
	if c.Rules != nil && *c.Rules != (Rules{}) {
		return nil, ruleErr("rules_in_profile", lawOf(c.Committee).name, "选举规则只能来自管理员登记的规则配置，不能在单次选举中更改",
			"rules come from a profile an admin registered; one election cannot change them")
	}
	profile, rules, err := resolveRules(c.Profile, c.Committee, c.Region, env)
	if err != nil {
		return nil, err
	}
	method, err := methodFor(c.Committee, c.Method)
	if err != nil {
		return nil, err
	}
	if !rules.seatsOK(c.Seats) {
		return nil, ruleErr("seats_out_of_range", sizeRule(c.Committee), "委员会职数不符合法定范围", "the number of seats is outside the committee size of the law")
	}
	if lead := DateOf(env.Now).DaysUntil(c.ElectionDay); !c.ElectionDay.Valid() || lead < 0 || lead > MaxCallLead {
		return nil, invalid("invalid_election_day", "选举日须为有效日期，在发生时间当日至其后366日之内",
			"election day must be a valid date from the day the call occurred to 366 days after it")
	}
	if len(c.ElectionCommittee) == 0 {
		return nil, invalid("invalid_election_committee", "须列出选举委员会成员", "list the members of the election committee")
	}
	if err := checkTexts("election_committee", c.ElectionCommittee, 1, 200); err != nil {
		return nil, err
	}
	return one(ElectionCalled{Committee: c.Committee, Seats: c.Seats, Day: c.ElectionDay,
		ElectionCommittee: c.ElectionCommittee, Profile: profile, Method: methodTag(c.Committee, method), Rules: rules, At: env.Now})
}

func nonEmptyNames(names []string) bool {
	for _, n := range names {
		if n == "" || len(n) > 200 {
			return false
		}
	}
	return true
}

// MaxVoterBatch is the most voters one [RegisterVoters] command may carry.
const MaxVoterBatch = 5000

// RegisterVoters adds up to [MaxVoterBatch] voters to the roll before it is
// published, as one event. Voters are roll numbers, never names.
type RegisterVoters struct {
	ElectionAddr
	Voters []VoterEntry `json:"voters"`
}

// CommandType returns "register_voters".
func (RegisterVoters) CommandType() string { return "register_voters" }

func (c RegisterVoters) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustEditRoll(); err != nil {
		return nil, err
	}
	if len(c.Voters) == 0 || len(c.Voters) > MaxVoterBatch {
		return nil, invalid("invalid_batch", "每批登记1至5000名选民", "a batch registers 1 to 5000 voters")
	}
	seen := make(map[int]struct{}, len(c.Voters))
	pending := map[string]int{}
	for _, v := range c.Voters {
		if err := validVoter(v); err != nil {
			return nil, err
		}
		if err := e.admits(v, pending); err != nil {
			return nil, err
		}
		if k := e.electorKey(v); k != "" {
			pending[k]++
		}
		_, onRoll := e.Roll[v.RollNo]
		if _, dup := seen[v.RollNo]; dup || onRoll {
			return nil, ruleErr("already_on_roll", ruleOneEntry, "同一选民不得重复登记", "a voter is on the roll once only")
		}
		seen[v.RollNo] = struct{}{}
	}
	return one(VotersRegistered{Voters: c.Voters})
}

func validVoter(v VoterEntry) error {
	if v.RollNo <= 0 {
		return invalid("invalid_roll_no", "选民编号须为正整数", "a roll number is a positive integer")
	}
	if !validULID(v.StationID) {
		return invalid("invalid_station_id", "投票站编号须为ULID", "a station ID must be a ULID")
	}
	if v.Household != "" && !validID(v.Household) {
		return invalid("invalid_household", "户编码格式不正确", "a household code has 1-64 letters, digits, '-', '_' or '.'")
	}
	if v.Group != "" && !validID(v.Group) {
		return invalid("invalid_group", "居民小组编码格式不正确", "a residents' group code has 1-64 letters, digits, '-', '_' or '.'")
	}
	return nil
}

// PublishRoll publishes the roll, at least Rules.RollPublishDays (20) days
// before election day: day 20 is in time, day 19 is too late.
type PublishRoll struct {
	ElectionAddr
}

// CommandType returns "publish_roll".
func (PublishRoll) CommandType() string { return "publish_roll" }

func (c PublishRoll) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustEditRoll(); err != nil {
		return nil, err
	}
	if len(e.Roll) == 0 {
		return nil, conflict("roll_empty", "选民名单为空", "the roll is empty")
	}
	today := DateOf(env.Now)
	if today.DaysUntil(e.Day) < e.Rules.RollPublishDays {
		return nil, ruleErr("roll_published_too_late", ruleRoll, "选民名单须在选举日前20日公布", "the roll must be published at least 20 days before election day")
	}
	if err := e.checkUnits(); err != nil {
		return nil, err
	}
	if err := e.checkGroups(); err != nil {
		return nil, err
	}
	return one(RollPublished{On: today, Voters: len(e.Roll)})
}

// Claims of a roll objection.
const (
	ClaimAdd    = "add"    // a voter missing from the roll
	ClaimRemove = "remove" // an entry that should not be on the roll
)

// FileRollObjection files an objection to the published roll, within
// Rules.ObjectionDays (5) days of publication: day 5 is in time, day 6 late.
type FileRollObjection struct {
	ElectionAddr
	ObjectionID string `json:"objection_id"`
	Claim       string `json:"claim"`
	RollNo      int    `json:"roll_no"`
	StationID   string `json:"station_id,omitempty"`
	Household   string `json:"household,omitempty"`
	Group       string `json:"group,omitempty"`
}

// CommandType returns "file_roll_objection".
func (FileRollObjection) CommandType() string { return "file_roll_objection" }

func (c FileRollObjection) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.RollPublished {
		return nil, conflict("roll_not_published", "选民名单尚未公布", "the roll is not published yet")
	}
	if err := c.validate(e); err != nil {
		return nil, err
	}
	today := DateOf(env.Now)
	if e.RollPublishedOn.DaysUntil(today) > e.Rules.ObjectionDays {
		return nil, ruleErr("objection_too_late", ruleRoll, "异议须在名单公布之日起5日内提出", "objections are filed within 5 days of publication")
	}
	return one(RollObjectionFiled{ObjectionID: c.ObjectionID, Claim: c.Claim, RollNo: c.RollNo,
		StationID: c.StationID, Household: c.Household, Group: c.Group, On: today})
}

func (c FileRollObjection) validate(e *Election) error {
	if !validID(c.ObjectionID) {
		return invalid("invalid_objection_id", "异议编号格式不正确", "an objection ID has 1-64 letters, digits, '-', '_' or '.'")
	}
	if e.Objections[c.ObjectionID] != nil {
		return conflict("objection_exists", "该异议已登记", "the objection is already filed")
	}
	_, onRoll := e.Roll[c.RollNo]
	switch c.Claim {
	case ClaimAdd:
		if onRoll {
			return ruleErr("already_on_roll", ruleOneEntry, "该选民已在名单上", "the voter is already on the roll")
		}
		v := VoterEntry{RollNo: c.RollNo, StationID: c.StationID, Household: c.Household, Group: c.Group}
		if err := validVoter(v); err != nil {
			return err
		}
		return e.admits(v, nil)
	case ClaimRemove:
		if !onRoll {
			return notFound("not_on_roll", "名单上没有该选民编号", "no such roll number on the roll")
		}
		return nil
	}
	return invalid("invalid_claim", "异议类型须为 add 或 remove", "claim must be add or remove")
}

// DecideRollObjection decides an objection within Rules.ObjectionDecisionDays
// (3) days of its filing; an upheld objection adds or removes the entry.
type DecideRollObjection struct {
	ElectionAddr
	ObjectionID string `json:"objection_id"`
	Upheld      bool   `json:"upheld"`
}

// CommandType returns "decide_roll_objection".
func (DecideRollObjection) CommandType() string { return "decide_roll_objection" }

func (c DecideRollObjection) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	o := e.Objections[c.ObjectionID]
	if o == nil {
		return nil, notFound("objection_not_found", "未找到该异议", "no such objection")
	}
	if o.Decided {
		return nil, conflict("objection_decided", "该异议已处理", "the objection is already decided")
	}
	today := DateOf(env.Now)
	if o.FiledOn.DaysUntil(today) > e.Rules.ObjectionDecisionDays {
		return nil, ruleErr("objection_decided_too_late", ruleRoll, "异议须在收到之日起3日内作出处理", "an objection is decided within 3 days of filing")
	}
	if _, on := e.Roll[o.RollNo]; c.Upheld && o.Claim == ClaimAdd && on {
		return nil, ruleErr("already_on_roll", ruleOneEntry, "该选民已在名单上", "the voter is already on the roll")
	}
	if c.Upheld && o.Claim == ClaimAdd {
		if err := e.admits(o.entry(), nil); err != nil {
			return nil, err
		}
	}
	return one(RollObjectionDecided{ObjectionID: c.ObjectionID, Upheld: c.Upheld, On: today})
}

func (e *Election) nominationsOpen() error {
	if err := e.mustExist(); err != nil {
		return err
	}
	firstOrBy := e.RoundKind == RoundFirst || e.RoundKind == RoundByElection
	if e.CandidatesPublished || !firstOrBy || e.RoundDeclared {
		return conflict("nominations_closed", "候选人名单已公布，提名已截止", "the candidate list is published; nominations are closed")
	}
	return nil
}

// NominateCandidate nominates a candidate for the current first round or
// by-election, before the candidate list is published. CandidateID is the
// client's stable ID for the person; the name is public.
type NominateCandidate struct {
	ElectionAddr
	CandidateID string `json:"candidate_id"`
	Name        string `json:"name"`
	NominatedBy string `json:"nominated_by,omitempty"`
}

// CommandType returns "nominate_candidate".
func (NominateCandidate) CommandType() string { return "nominate_candidate" }

func (c NominateCandidate) decideElection(e *Election, _ Env) ([]Event, error) {
	if err := e.nominationsOpen(); err != nil {
		return nil, err
	}
	if !validID(c.CandidateID) || c.Name == "" {
		return nil, invalid("invalid_candidate", "候选人编号或姓名格式不正确", "a candidate needs an ID (1-64 letters, digits, '-', '_', '.') and a name")
	}
	if err := checkText("name", c.Name, 1, 200); err != nil {
		return nil, err
	}
	if err := checkText("nominated_by", c.NominatedBy, 0, 200); err != nil {
		return nil, err
	}
	if e.Candidates[c.CandidateID] != nil {
		return nil, conflict("candidate_exists", "该候选人已被提名", "the candidate is already nominated")
	}
	return one(CandidateNominated{CandidateID: c.CandidateID, Name: c.Name, Round: e.Round, NominatedBy: c.NominatedBy})
}

// WithdrawCandidate withdraws a candidate before the list is published.
type WithdrawCandidate struct {
	ElectionAddr
	CandidateID string `json:"candidate_id"`
}

// CommandType returns "withdraw_candidate".
func (WithdrawCandidate) CommandType() string { return "withdraw_candidate" }

func (c WithdrawCandidate) decideElection(e *Election, _ Env) ([]Event, error) {
	if err := e.nominationsOpen(); err != nil {
		return nil, err
	}
	cand := e.Candidates[c.CandidateID]
	if cand == nil || cand.Round != e.Round || cand.Withdrawn {
		return nil, notFound("candidate_not_found", "本轮没有该候选人", "no such candidate in this round")
	}
	return one(CandidateWithdrawn{CandidateID: c.CandidateID})
}

// PublishCandidates publishes the list of the current round's candidates;
// there must be more candidates than seats (差额).
type PublishCandidates struct {
	ElectionAddr
}

// CommandType returns "publish_candidates".
func (PublishCandidates) CommandType() string { return "publish_candidates" }

func (c PublishCandidates) decideElection(e *Election, _ Env) ([]Event, error) {
	if err := e.nominationsOpen(); err != nil {
		return nil, err
	}
	var ids []string
	for id, cand := range e.Candidates {
		if cand.Round == e.Round && !cand.Withdrawn {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) <= e.RoundSeats {
		return nil, ruleErr("not_competitive", ruleCompetitive, "候选人数须多于应选人数", "there must be more candidates than seats")
	}
	return one(CandidatesPublished{Round: e.Round, Seats: e.RoundSeats, Candidates: ids})
}

// RegisterProxy registers a written proxy from the principal to a near
// relative on the same roll, before the cut-off (Rules.ProxyCutoffDays before
// election day) and before the proxy list is published. A holder holds at
// most Rules.MaxProxiesPerHolder (3); no re-delegation.
type RegisterProxy struct {
	ElectionAddr
	PrincipalRollNo int      `json:"principal_roll_no"`
	HolderRollNo    int      `json:"holder_roll_no"`
	Relation        Relation `json:"relation"`
	Written         bool     `json:"written"`
}

// CommandType returns "register_proxy".
func (RegisterProxy) CommandType() string { return "register_proxy" }

func (c RegisterProxy) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if e.ProxiesPublished {
		return nil, conflict("proxies_published", "委托投票名单已公布", "the proxy list is already published")
	}
	if DateOf(env.Now).DaysUntil(e.Day) < e.Rules.ProxyCutoffDays {
		return nil, ruleErr("proxy_too_late", ruleProxy, "委托投票须在截止日前办理", "proxies are registered before the cut-off")
	}
	if err := c.check(e); err != nil {
		return nil, err
	}
	return one(ProxyRegistered{Proxy{Principal: c.PrincipalRollNo, Holder: c.HolderRollNo, Relation: c.Relation}})
}

func (c RegisterProxy) check(e *Election) error {
	switch {
	case !c.Written:
		return ruleErr("proxy_not_written", ruleProxy, "委托须有书面委托书", "a proxy must be given in writing")
	case !c.Relation.valid():
		return ruleErr("not_near_relative", ruleProxy, "只能委托近亲属", "a proxy may be given only to a near relative")
	case c.PrincipalRollNo == c.HolderRollNo:
		return invalid("proxy_to_self", "不能委托本人", "a voter cannot hold their own proxy")
	}
	_, p := e.Roll[c.PrincipalRollNo]
	_, h := e.Roll[c.HolderRollNo]
	if !p || !h {
		return ruleErr("not_on_roll", ruleProxy, "委托人和受托人须在同一选民名单上", "principal and holder must both be on this roll")
	}
	if _, ok := e.Proxies[c.PrincipalRollNo]; ok {
		return conflict("already_delegated", "该选民已委托他人", "the principal has already given a proxy")
	}
	_, holderIsPrincipal := e.Proxies[c.HolderRollNo]
	if holderIsPrincipal || e.ProxyHolders[c.PrincipalRollNo] > 0 {
		return ruleErr("redelegation", ruleProxy, "受托人不得再委托，委托人不得受托", "no re-delegation: a holder cannot delegate, a principal cannot hold")
	}
	if e.ProxyHolders[c.HolderRollNo] >= e.Rules.MaxProxiesPerHolder {
		return ruleErr("proxy_limit_exceeded", ruleProxy, "每人接受委托不得超过3人", "a holder may hold at most 3 proxies")
	}
	return nil
}

// PublishProxies publishes the proxy list; afterwards no proxy is registered
// and proxy check-ins are allowed.
type PublishProxies struct {
	ElectionAddr
}

// CommandType returns "publish_proxies".
func (PublishProxies) CommandType() string { return "publish_proxies" }

func (c PublishProxies) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if e.ProxiesPublished {
		return nil, conflict("proxies_published", "委托投票名单已公布", "the proxy list is already published")
	}
	return one(ProxiesPublished{Count: len(e.Proxies), On: DateOf(env.Now)})
}

// AnnounceResult announces the final result of the election (or by-election).
type AnnounceResult struct {
	ElectionAddr
}

// CommandType returns "announce_result".
func (AnnounceResult) CommandType() string { return "announce_result" }

func (c AnnounceResult) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.Final || e.Announced {
		return nil, conflict("nothing_to_announce", "没有待公布的最终结果", "there is no final result to announce")
	}
	return one(ResultAnnounced{At: env.Now})
}

// CertifyResult certifies an announced result. While a fraud finding about
// the election is open, certification is refused unless OverrideReason
// says why it goes ahead; the override and the findings are recorded.
type CertifyResult struct {
	ElectionAddr
	CertifiedBy    string `json:"certified_by"`
	OverrideReason string `json:"override_reason,omitempty"`
}

// CommandType returns "certify_result".
func (CertifyResult) CommandType() string { return "certify_result" }

func (c CertifyResult) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.Announced || e.Certified {
		return nil, conflict("nothing_to_certify", "没有待确认的已公布结果", "there is no announced result to certify")
	}
	if !textOK(c.CertifiedBy) || (c.OverrideReason != "" && !textOK(c.OverrideReason)) {
		return nil, invalid("invalid_certifier", "须写明确认机关", "name the certifying body")
	}
	open := e.openFraudFindings()
	if len(open) > 0 && c.OverrideReason == "" {
		return nil, ruleErr("open_fraud_finding", ruleFraud, "有未结的舞弊认定，确认结果须写明理由（override_reason）: "+strings.Join(open, ", "),
			"a fraud finding about this election is open; certifying needs a recorded override reason: "+strings.Join(open, ", "))
	}
	ev := ResultCertified{CertifiedBy: c.CertifiedBy, At: env.Now}
	if len(open) > 0 {
		ev.OverrideReason, ev.OpenFraudFindings = c.OverrideReason, open
	}
	return one(ev)
}

// SealBallots records that the ballots of a certified result are sealed and
// archived (kept until the next election is over).
type SealBallots struct {
	ElectionAddr
	Place string `json:"place"`
}

// CommandType returns "seal_ballots".
func (SealBallots) CommandType() string { return "seal_ballots" }

func (c SealBallots) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if !e.Certified || e.Sealed {
		return nil, ruleErr("not_certified", ruleArchive, "结果确认后方可封存选票", "ballots are sealed after the result is certified")
	}
	if c.Place == "" {
		return nil, invalid("invalid_place", "须写明封存地点", "name the archive place")
	}
	if err := checkText("place", c.Place, 1, 200); err != nil {
		return nil, err
	}
	return one(BallotsSealed{Place: c.Place, At: env.Now})
}
