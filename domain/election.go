package domain

import "time"

// CommitteeKind is the committee an election fills.
type CommitteeKind string

const (
	// CommitteeVillagers is a villagers' committee (村民委员会), 3-7 seats.
	CommitteeVillagers CommitteeKind = "villagers"
	// CommitteeResidents is a residents' committee (居民委员会), 5-9 seats.
	CommitteeResidents CommitteeKind = "residents"
	// CommitteeSupervision is a village or residents' affairs supervision committee (监督委员会), 3-5 seats.
	CommitteeSupervision CommitteeKind = "supervision"
)

// RoundKind says why a voting round takes place.
type RoundKind string

const (
	// RoundFirst is the first vote of an election.
	RoundFirst RoundKind = "first"
	// RoundRunoff is a second round (另行选举) for seats left, or a run-off
	// between tied candidates. A round invalid for lack of turnout is repeated
	// with the same kind.
	RoundRunoff RoundKind = "runoff"
	// RoundByElection fills seats vacated by recall, disqualification or review (补选).
	RoundByElection RoundKind = "by_election"
)

// Relation is the kinship of a proxy holder to the principal (近亲属).
type Relation string

// The near relatives who may hold a proxy.
const (
	RelationSpouse            Relation = "spouse"
	RelationParent            Relation = "parent"
	RelationChild             Relation = "child"
	RelationSibling           Relation = "sibling"
	RelationGrandparent       Relation = "grandparent"
	RelationGrandchild        Relation = "grandchild"
	RelationOtherNearRelative Relation = "other_near_relative"
)

func (r Relation) valid() bool {
	switch r {
	case RelationSpouse, RelationParent, RelationChild, RelationSibling,
		RelationGrandparent, RelationGrandchild, RelationOtherNearRelative:
		return true
	}
	return false
}

// RollEntry is one voter on the roll, known by roll number only (the map
// key): the voter's polling station, as its index in the election's
// Stations. It holds no pointer, so a roll of thousands of voters costs
// the garbage collector nothing to scan and about 16 bytes a voter. (The
// household code stays in the VotersRegistered event; no rule reads it
// back from the state.)
type RollEntry struct {
	Station int32
}

// VoterEntry is one voter of a [RegisterVoters] batch: roll number, station
// and an optional household code. Never a name or an ID number.
type VoterEntry struct {
	RollNo    int    `json:"roll_no"`
	StationID string `json:"station_id"`
	Household string `json:"household,omitempty"`
	Group     string `json:"group,omitempty"` // the residents' group (居民小组) a group representative stands for
}

// Objection is an objection to the published roll (选民名单异议).
type Objection struct {
	ID        string
	Claim     string // "add" or "remove"
	RollNo    int
	StationID string
	Household string
	Group     string
	FiledOn   Date
	Decided   bool
	Upheld    bool
}

// Candidate is a nominee; candidates are public persons, so the name is kept.
type Candidate struct {
	ID        string
	Name      string
	Round     int // the round whose nominations included it (1, or a by-election's round)
	Withdrawn bool
}

// Proxy is a registered written proxy (委托投票) between two roll numbers.
type Proxy struct {
	Principal int      `json:"principal_roll_no"`
	Holder    int      `json:"holder_roll_no"`
	Relation  Relation `json:"relation"`
}

// Member is an elected committee member: a candidate, or a write-in (另选他人).
type Member struct {
	ID      string `json:"id"` // candidate ID, or "write-in:<name>"
	Name    string `json:"name"`
	WriteIn bool   `json:"write_in,omitempty"`
	Round   int    `json:"round"`
	Votes   int    `json:"votes"`
}

// Recall is a recall (罢免) of one member.
type Recall struct {
	ID       string
	MemberID string
	Voted    bool
	Passed   bool
}

// Election is the state of one committee election. The caller owns it (see [State]).
type Election struct {
	ID      string
	Region  Region
	Created bool
	Voided  bool

	Committee         CommitteeKind
	Seats             int
	Day               Date
	ElectionCommittee []string
	Profile           string    // the rules profile named at the call
	Method            string    // how the committee is elected: MethodDirect, or a residents' committee's MethodHousehold or MethodGroupDelegates
	CalledAt          time.Time // when the election was called (the calendar's start)
	Rules             Rules

	Roll            map[int]RollEntry
	Stations        []string          // the stations of the roll, in the order first named
	stationNo       map[string]int32  // station ID -> index in Stations
	RollStations    map[string]int    // station ID -> voters on the roll there
	CountWith       map[string]string // station ID -> the station it is counted with (合并计票); nil until the first
	Represented     map[string]int    // household or residents' group -> its representatives on the roll (not under MethodDirect)
	representing    map[int]string    // roll number -> the household or group it represents
	RollPublished   bool
	RollPublishedOn Date
	Objections      map[string]*Objection

	Candidates          map[string]*Candidate
	CandidatesPublished bool // for the current round

	Proxies          map[int]Proxy // by principal
	ProxyHolders     map[int]int   // holder -> proxies held
	ProxiesPublished bool

	Round           int
	RoundKind       RoundKind
	RoundSeats      int
	RoundDay        Date
	RoundCandidates []string
	RoundDeclared   bool
	Results         []RoundDeclared

	Members   []Member
	Vacancies int
	Final     bool // every seat of the latest rounds is decided (filled or left vacant)
	Announced bool
	Certified bool
	Sealed    bool

	FraudFindings    map[string]FraudRef // open fraud findings flagged on the election, by "inspection/finding"
	Recalls          map[string]*Recall
	Supervisors      []string // members confirmed under art. 32 (supervision committees)
	LastReviewYear   int
	RatedIncompetent map[string]bool // member ID -> rated incompetent in the last review

	EdgeIrregularities int                 // conflicts the hub found in what edges recorded
	CheckedInAway      map[int]AwayCheckIn // roll number -> a check-in an edge recorded outside the voter's station
}

// Kind returns KindElection.
func (*Election) Kind() AggregateKind { return KindElection }

// Registered returns the number of voters on the roll.
func (e *Election) Registered() int { return len(e.Roll) }

// IsMember reports whether id is a current member of the committee.
func (e *Election) IsMember(id string) bool { return e.memberIndex(id) >= 0 }

func (e *Election) memberIndex(id string) int {
	for i, m := range e.Members {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// votingOpen reports whether ballots may be issued in the current round.
func (e *Election) votingOpen() bool {
	return e.Created && !e.Voided && e.RollPublished && e.CandidatesPublished && !e.RoundDeclared
}

// ElectionCalled records the call of an election with its rules (defaults filled in).
type ElectionCalled struct {
	Committee         CommitteeKind `json:"committee"`
	Seats             int           `json:"seats"`
	Day               Date          `json:"election_day"`
	ElectionCommittee []string      `json:"election_committee"`
	Profile           string        `json:"profile,omitempty"`
	Method            string        `json:"method,omitempty"` // residents' committees: direct, household or group_representatives
	Rules             Rules         `json:"rules"`
	At                time.Time     `json:"at"`
}

// EventType returns "election.called".
func (ElectionCalled) EventType() string { return "election.called" }

func (ev ElectionCalled) applyElection(e *Election) {
	e.Created = true
	e.Committee, e.Seats, e.Day, e.Rules, e.Profile = ev.Committee, ev.Seats, ev.Day, ev.Rules, ev.Profile
	e.ElectionCommittee, e.CalledAt, e.Method = ev.ElectionCommittee, ev.At, ev.Method
	e.Roll = map[int]RollEntry{}
	e.stationNo = map[string]int32{}
	e.RollStations = map[string]int{}
	e.Objections = map[string]*Objection{}
	e.Candidates = map[string]*Candidate{}
	e.Proxies = map[int]Proxy{}
	e.ProxyHolders = map[int]int{}
	e.Recalls = map[string]*Recall{}
	e.RatedIncompetent = map[string]bool{}
	e.Round, e.RoundKind, e.RoundSeats, e.RoundDay = 1, RoundFirst, ev.Seats, ev.Day
}

// VotersRegistered adds a batch of voters to the roll.
type VotersRegistered struct {
	Voters []VoterEntry `json:"voters"`
}

// EventType returns "election.voters_registered".
func (VotersRegistered) EventType() string { return "election.voters_registered" }

func (ev VotersRegistered) applyElection(e *Election) {
	for _, v := range ev.Voters {
		e.addVoter(v)
	}
}

func (e *Election) addVoter(v VoterEntry) {
	n, ok := e.stationNo[v.StationID]
	if !ok {
		n = int32(len(e.Stations))
		e.Stations = append(e.Stations, v.StationID)
		e.stationNo[v.StationID] = n
	}
	e.Roll[v.RollNo] = RollEntry{Station: n}
	e.RollStations[v.StationID]++
	e.represent(v.RollNo, e.electorKey(v), 1)
}

// StationOf returns the ID of the station a voter on the roll votes at.
func (e *Election) StationOf(r RollEntry) string { return e.Stations[r.Station] }

func (e *Election) removeVoter(n int) {
	entry, ok := e.Roll[n]
	if !ok {
		return
	}
	delete(e.Roll, n)
	e.represent(n, e.representing[n], -1)
	if id := e.StationOf(entry); e.RollStations[id] == 1 {
		delete(e.RollStations, id)
	} else {
		e.RollStations[id]--
	}
	if p, ok := e.Proxies[n]; ok {
		e.dropProxy(p)
	}
	for _, p := range e.Proxies {
		if p.Holder == n {
			e.dropProxy(p)
		}
	}
}

func (e *Election) dropProxy(p Proxy) {
	delete(e.Proxies, p.Principal)
	if e.ProxyHolders[p.Holder]--; e.ProxyHolders[p.Holder] == 0 {
		delete(e.ProxyHolders, p.Holder)
	}
}

// RollPublished records the publication of the roll (选民名单公布).
type RollPublished struct {
	On     Date `json:"on"`
	Voters int  `json:"voters"`
}

// EventType returns "election.roll_published".
func (RollPublished) EventType() string { return "election.roll_published" }

func (ev RollPublished) applyElection(e *Election) {
	e.RollPublished, e.RollPublishedOn = true, ev.On
}

// RollObjectionFiled records an objection to the published roll.
type RollObjectionFiled struct {
	ObjectionID string `json:"objection_id"`
	Claim       string `json:"claim"`
	RollNo      int    `json:"roll_no"`
	StationID   string `json:"station_id,omitempty"`
	Household   string `json:"household,omitempty"`
	Group       string `json:"group,omitempty"`
	On          Date   `json:"on"`
}

// EventType returns "election.roll_objection_filed".
func (RollObjectionFiled) EventType() string { return "election.roll_objection_filed" }

func (ev RollObjectionFiled) applyElection(e *Election) {
	e.Objections[ev.ObjectionID] = &Objection{ID: ev.ObjectionID, Claim: ev.Claim, RollNo: ev.RollNo,
		StationID: ev.StationID, Household: ev.Household, Group: ev.Group, FiledOn: ev.On}
}

// RollObjectionDecided records the decision on an objection; an upheld
// objection adds or removes the roll entry.
type RollObjectionDecided struct {
	ObjectionID string `json:"objection_id"`
	Upheld      bool   `json:"upheld"`
	On          Date   `json:"on"`
}

// EventType returns "election.roll_objection_decided".
func (RollObjectionDecided) EventType() string { return "election.roll_objection_decided" }

func (ev RollObjectionDecided) applyElection(e *Election) {
	o := e.Objections[ev.ObjectionID]
	if o == nil {
		return
	}
	o.Decided, o.Upheld = true, ev.Upheld
	switch {
	case !ev.Upheld:
	case o.Claim == ClaimAdd:
		e.addVoter(o.entry())
	case o.Claim == ClaimRemove:
		e.removeVoter(o.RollNo)
	}
}

// CandidateNominated records a nomination (候选人提名).
type CandidateNominated struct {
	CandidateID string `json:"candidate_id"`
	Name        string `json:"name"`
	Round       int    `json:"round"`
	NominatedBy string `json:"nominated_by,omitempty"`
}

// EventType returns "election.candidate_nominated".
func (CandidateNominated) EventType() string { return "election.candidate_nominated" }

func (ev CandidateNominated) applyElection(e *Election) {
	e.Candidates[ev.CandidateID] = &Candidate{ID: ev.CandidateID, Name: ev.Name, Round: ev.Round}
}

// CandidateWithdrawn records a withdrawal before the list is published.
type CandidateWithdrawn struct {
	CandidateID string `json:"candidate_id"`
}

// EventType returns "election.candidate_withdrawn".
func (CandidateWithdrawn) EventType() string { return "election.candidate_withdrawn" }

func (ev CandidateWithdrawn) applyElection(e *Election) {
	if c := e.Candidates[ev.CandidateID]; c != nil {
		c.Withdrawn = true
	}
}

// CandidatesPublished records the published candidate list of a round.
type CandidatesPublished struct {
	Round      int      `json:"round"`
	Seats      int      `json:"seats"`
	Candidates []string `json:"candidates"`
}

// EventType returns "election.candidates_published".
func (CandidatesPublished) EventType() string { return "election.candidates_published" }

func (ev CandidatesPublished) applyElection(e *Election) {
	e.CandidatesPublished, e.RoundCandidates = true, ev.Candidates
}

// ProxyRegistered records a written proxy.
type ProxyRegistered struct {
	Proxy
}

// EventType returns "election.proxy_registered".
func (ProxyRegistered) EventType() string { return "election.proxy_registered" }

func (ev ProxyRegistered) applyElection(e *Election) {
	e.Proxies[ev.Principal] = ev.Proxy
	e.ProxyHolders[ev.Holder]++
}

// ProxiesPublished records the publication of the proxy list.
type ProxiesPublished struct {
	Count int  `json:"count"`
	On    Date `json:"on"`
}

// EventType returns "election.proxies_published".
func (ProxiesPublished) EventType() string { return "election.proxies_published" }

func (ProxiesPublished) applyElection(e *Election) { e.ProxiesPublished = true }
