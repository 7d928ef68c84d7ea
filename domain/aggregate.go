package domain

import (
	"time"

	"github.com/oklog/ulid/v2"
)

// AggregateKind names one of the four kinds of aggregate.
type AggregateKind string

const (
	// KindElection is a committee election (also holds roll, candidates, proxies, results, recall).
	KindElection AggregateKind = "election"
	// KindStation is a polling station or a mobile ballot box (流动票箱) of one election: check-ins, ballots, reconciliation.
	KindStation AggregateKind = "station"
	// KindConsultation is a community consultation (社区协商).
	KindConsultation AggregateKind = "consultation"
	// KindInspection is a supervision action or inspection.
	KindInspection AggregateKind = "inspection"
)

// AggregateRef addresses one aggregate. ID is a ULID string chosen by the
// client; Region is the aggregate's administrative division (an election, its
// stations and a consultation: the 12-digit village or community code; an
// inspection: the region of its scope, any level).
type AggregateRef struct {
	Kind   AggregateKind `json:"kind"`
	ID     string        `json:"id"`
	Region Region        `json:"region"`
}

// Event is one fact recorded in the log. EventType is a stable dotted name,
// e.g. "station.voter_checked_in". All payloads are JSON of [SchemaVersion].
type Event interface {
	EventType() string
}

// SchemaVersion is the schema version of every event payload.
const SchemaVersion = 1

// Command is one request to change one aggregate. CommandType is a stable
// snake_case name; Target is the one aggregate the command writes; Related
// lists the other aggregates Decide must read (never writes), nil if none.
type Command interface {
	CommandType() string
	Target() AggregateRef
	Related() []AggregateRef
}

// State is the state of one aggregate: *Election, *Station, *Consultation or
// *Inspection. A State is owned by one caller: Evolve mutates it, so it must
// never be shared between goroutines without the caller's own locking.
type State interface {
	Kind() AggregateKind
}

// NewState returns the empty state of a not-yet-created aggregate at ref, or
// nil for an unknown kind.
func NewState(ref AggregateRef) State {
	switch ref.Kind {
	case KindElection:
		return &Election{ID: ref.ID, Region: ref.Region}
	case KindStation:
		return &Station{ID: ref.ID, Region: ref.Region}
	case KindConsultation:
		return &Consultation{ID: ref.ID, Region: ref.Region}
	case KindInspection:
		return &Inspection{ID: ref.ID, Region: ref.Region}
	case KindProfile:
		return &Profile{ID: ref.ID, Region: ref.Region}
	case KindRegions:
		return &Regions{ID: ref.ID, Region: ref.Region}
	}
	return nil
}

// Env is what Decide may read besides the target's state.
type Env struct {
	// Now is the moment the command takes effect (occurred-at as reported, else server time).
	Now time.Time
	// Last is when the target's latest event occurred (zero for a new
	// aggregate): Now may not lie before it (code "occurred_out_of_order").
	Last time.Time
	// Actor is who sends the command, as recorded in the envelopes; rules
	// that separate duties (who reports a rectification never reviews it)
	// read it. Empty means unknown.
	Actor string
	// Related holds the states of cmd.Related(), loaded by the caller; a missing entry means not found.
	Related map[AggregateRef]State
	// Cited holds the recorded events a [Citer] command names, by event
	// ID, looked up by the caller; a missing entry means not found.
	Cited map[string]CitedEvent
	// Node is the edge ledger deciding the command ("" on the hub or a
	// node without edges): see [DelegateStation].
	Node string
}

// CitedEvent is what Decide knows of a recorded event a command cites.
type CitedEvent struct {
	Aggregate AggregateRef
	Type      string
}

// Citer is a command that cites recorded events by event ID (evidence):
// the caller looks each up and puts what it finds in [Env.Cited].
type Citer interface {
	Cites() []string
}

// Each aggregate kind's commands implement one of these.
type (
	electionCommand interface {
		decideElection(*Election, Env) ([]Event, error)
	}
	stationCommand interface {
		decideStation(*Station, Env) ([]Event, error)
	}
	consultationCommand interface {
		decideConsultation(*Consultation, Env) ([]Event, error)
	}
	inspectionCommand interface {
		decideInspection(*Inspection, Env) ([]Event, error)
	}
	profileCommand interface {
		decideProfile(*Profile, Env) ([]Event, error)
	}
	regionsCommand interface {
		decideRegions(*Regions, Env) ([]Event, error)
	}
)

// Each aggregate kind's events implement one of these.
type (
	electionEvent     interface{ applyElection(*Election) }
	stationEvent      interface{ applyStation(*Station) }
	consultationEvent interface{ applyConsultation(*Consultation) }
	inspectionEvent   interface{ applyInspection(*Inspection) }
	profileEvent      interface{ applyProfile(*Profile) }
	regionsEvent      interface{ applyRegions(*Regions) }
)

// Decide returns the events that cmd produces on st, or an *Error. It is
// pure: it reads st, cmd and env only, and changes none of them. A nil st
// means the aggregate does not exist yet. Decide for a check-in or a ballot
// is O(1) in the size of the roll and of the count.
func Decide(st State, cmd Command, env Env) ([]Event, error) {
	ref := cmd.Target()
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	if st == nil {
		st = NewState(ref)
	}
	if st.Kind() != ref.Kind {
		return nil, invalid("wrong_aggregate", "命令与对象类型不符", "the command does not address this kind of aggregate")
	}
	if err := inCalendar(st, env); err != nil {
		return nil, err
	}
	if err := checkOccurred(ref.Kind, env); err != nil {
		return nil, err
	}
	if err := checkOwner(st, cmd, env); err != nil {
		return nil, err
	}
	evs, err := decide(st, cmd, env)
	if e, ok := err.(*Error); ok && e.Rule != "" {
		if k := committeeOf(st, cmd, env); k == CommitteeResidents {
			c := *e
			c.Rule = citeFor(k, e.Rule)
			return nil, &c
		}
	}
	return evs, err
}

// committeeOf returns the committee kind of the election cmd concerns, ""
// when it concerns none.
func committeeOf(st State, cmd Command, env Env) CommitteeKind {
	switch s := st.(type) {
	case *Election:
		if c, ok := cmd.(CallElection); ok && !s.Created {
			return c.Committee
		}
		return s.Committee
	case *Station:
		for ref, r := range env.Related {
			if e, ok := r.(*Election); ok && ref.Kind == KindElection {
				return e.Committee
			}
		}
	}
	return ""
}

func decide(st State, cmd Command, env Env) ([]Event, error) {
	switch s := st.(type) {
	case *Election:
		if c, ok := cmd.(electionCommand); ok {
			return c.decideElection(s, env)
		}
	case *Station:
		if c, ok := cmd.(stationCommand); ok {
			return c.decideStation(s, env)
		}
	case *Consultation:
		if c, ok := cmd.(consultationCommand); ok {
			return c.decideConsultation(s, env)
		}
	case *Inspection:
		if c, ok := cmd.(inspectionCommand); ok {
			return c.decideInspection(s, env)
		}
	case *Profile:
		if c, ok := cmd.(profileCommand); ok {
			return c.decideProfile(s, env)
		}
	case *Regions:
		if c, ok := cmd.(regionsCommand); ok {
			return c.decideRegions(s, env)
		}
	}
	return nil, invalid("wrong_aggregate", "命令与对象类型不符", "the command does not address this kind of aggregate")
}

// Evolve applies ev to st and returns the new state. It mutates st (and
// returns it): the caller owns st. Events must come in the order Decide
// produced them; an event of another aggregate kind, an event of an
// aggregate not yet created, or a second creation event leaves st unchanged.
// Evolve of a check-in or a ballot is O(1).
func Evolve(st State, ev Event) State {
	switch s := st.(type) {
	case *Election:
		if e, ok := ev.(electionEvent); ok && s.Created != isCreation(ev) {
			e.applyElection(s)
		}
	case *Station:
		if e, ok := ev.(stationEvent); ok && s.Established != isCreation(ev) {
			e.applyStation(s)
		}
	case *Consultation:
		if e, ok := ev.(consultationEvent); ok && s.Proposed != isCreation(ev) {
			e.applyConsultation(s)
		}
	case *Inspection:
		if e, ok := ev.(inspectionEvent); ok && s.Opened != isCreation(ev) {
			e.applyInspection(s)
		}
	case *Profile:
		if e, ok := ev.(profileEvent); ok && s.Registered != isCreation(ev) {
			e.applyProfile(s)
		}
	case *Regions:
		if e, ok := ev.(regionsEvent); ok {
			e.applyRegions(s)
		}
	}
	return st
}

// isCreation reports whether ev creates its aggregate.
func isCreation(ev Event) bool {
	switch ev.(type) {
	case ElectionCalled, StationEstablished, TopicProposed, InspectionOpened, ProfileRegistered:
		return true
	}
	return false
}

func validateRef(ref AggregateRef) error {
	if _, err := ulid.ParseStrict(ref.ID); err != nil {
		return invalid("invalid_id", "对象编号须为ULID", "an aggregate ID must be a ULID")
	}
	lvl := ref.Region.Level()
	if lvl == LevelInvalid {
		return invalid("invalid_region", "行政区划代码须为2、4、6、9或12位数字", "a region code has 2, 4, 6, 9 or 12 digits")
	}
	if ref.Kind == KindProfile || ref.Kind == KindRegions {
		if lvl != LevelProvince {
			return invalid("region_not_province", "规则配置须使用2位省级代码", "a rules profile is addressed by a 2-digit province code")
		}
		return nil
	}
	if ref.Kind != KindInspection && lvl != LevelVillage {
		return invalid("region_not_village", "选举、投票站和协商须使用12位村（社区）代码", "elections, stations and consultations are addressed by a 12-digit village or community code")
	}
	return nil
}

// relatedRef returns the ref of a related aggregate in the target's region.
func relatedRef(kind AggregateKind, id string, region Region) AggregateRef {
	return AggregateRef{Kind: kind, ID: id, Region: region}
}

func relatedElection(env Env, id string, region Region) (*Election, error) {
	e, _ := env.Related[relatedRef(KindElection, id, region)].(*Election)
	if e == nil || !e.Created {
		return nil, notFound("election_not_found", "未找到该选举", "the election does not exist")
	}
	if e.Region != region {
		return nil, invalid("election_other_region", "该选举不在本命令所述地区", "the election lies in another region than the command names")
	}
	return e, nil
}

func relatedStation(env Env, id string, region Region) (*Station, error) {
	s, _ := env.Related[relatedRef(KindStation, id, region)].(*Station)
	if s == nil || !s.Established {
		return nil, notFound("station_not_found", "未找到该投票站: "+id, "the polling station does not exist: "+id)
	}
	if s.Region != region {
		return nil, invalid("election_other_region", "该投票站不在本选举所在地区: "+id, "the station lies in another region than its election: "+id)
	}
	return s, nil
}

func relatedInspection(env Env, id string, region Region) (*Inspection, error) {
	for ref, st := range env.Related {
		if ref.Kind == KindInspection && ref.ID == id {
			if in, _ := st.(*Inspection); in != nil && in.Opened {
				return in, nil
			}
		}
	}
	return nil, notFound("inspection_not_found", "未找到该监督检查", "the inspection does not exist")
}

func one(ev Event) ([]Event, error) { return []Event{ev}, nil }

// validID reports whether s is a plausible client identifier: 1 to 64 bytes of
// letters, digits, '-', '_' or '.'.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func validULID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}
