package projections

import (
	"encoding/json"
	"slices"
	"time"

	"ledger/domain"
)

// Columns of a round's ballot counters.
const (
	colCast = iota
	colValid
	colBlank
	colInvalid
	ballotWidth
)

// roundInfo is one voting round as the election defined it.
type roundInfo struct {
	Round      int              `json:"round"`
	Kind       domain.RoundKind `json:"kind"`
	Seats      int              `json:"seats"`
	Candidates []string         `json:"candidates,omitempty"`
}

// resultsMeta is what the results read model keeps about an election,
// apart from the live tallies.
type resultsMeta struct {
	Region      string                 `json:"region"`
	Committee   domain.CommitteeKind   `json:"committee"`
	Seats       int                    `json:"seats"`
	Rules       domain.Rules           `json:"rules"`
	Candidates  map[string]string      `json:"candidates,omitempty"` // ID -> name
	Rounds      []roundInfo            `json:"rounds"`
	Declared    []domain.RoundDeclared `json:"declared,omitempty"`
	Members     []domain.Member        `json:"members,omitempty"`
	Announced   bool                   `json:"announced,omitempty"`
	Certified   bool                   `json:"certified,omitempty"`
	CertifiedBy string                 `json:"certified_by,omitempty"`
	Sealed      bool                   `json:"sealed,omitempty"`
	Voided      bool                   `json:"voided,omitempty"`
	VoidReason  string                 `json:"void_reason,omitempty"`
	// DeclaredAt is when each round was declared (the event's occurred-at).
	DeclaredAt  map[int]time.Time `json:"declared_at,omitempty"`
	AnnouncedAt time.Time         `json:"announced_at,omitzero"`
	VoidedAt    time.Time         `json:"voided_at,omitzero"`
	Removed     []Removal         `json:"removed,omitempty"`
	// Override is why the result was certified with open fraud findings.
	Override   string                  `json:"override_reason,omitempty"`
	OpenFraud  []string                `json:"open_fraud_findings,omitempty"`
	FraudFlags []string                `json:"fraud_flags,omitempty"` // open now: "inspection/finding"
	Reviews    []domain.ReviewRecorded `json:"reviews,omitempty"`
	Recalls    []RecallOutcome         `json:"recalls,omitempty"`
}

// Outcomes of a recall vote ([RecallOutcome.Outcome]).
const (
	RecallPassed  = "passed"  // valid, and more than half of the ballots cast were for
	RecallFailed  = "failed"  // valid, not passed
	RecallInvalid = "invalid" // not more than half of registered voters voted
)

// RecallOutcome is a recall vote (罢免) with its numbers and outcome.
type RecallOutcome struct {
	RecallID   string    `json:"recall_id"`
	MemberID   string    `json:"member_id"`
	Registered int       `json:"registered"`
	Cast       int       `json:"cast"`
	For        int       `json:"for"`
	Against    int       `json:"against"`
	Outcome    string    `json:"outcome"` // RecallPassed, RecallFailed or RecallInvalid
	At         time.Time `json:"at,omitzero"`
}

func recallOutcome(ev domain.RecallVoted, at time.Time) RecallOutcome {
	o := RecallOutcome{RecallID: ev.RecallID, MemberID: ev.MemberID, Registered: ev.Registered, Cast: ev.Cast,
		For: ev.For, Against: ev.Against, Outcome: RecallFailed, At: at}
	switch {
	case !ev.Valid:
		o.Outcome = RecallInvalid
	case ev.Passed:
		o.Outcome = RecallPassed
	}
	return o
}

// Removal is a member who left the committee after being elected: by
// recall, disqualification or review (domain.MemberRemoved).
type Removal struct {
	Member domain.Member `json:"member"`
	Cause  string        `json:"cause"`
	Ref    string        `json:"ref,omitempty"`
	At     time.Time     `json:"at"`
}

type resultsProj struct{}

func (resultsProj) name() string  { return Results }
func (resultsProj) short() string { return shortResults }

func (r resultsProj) apply(w *writer, e *rec) {
	switch string(e.typ) {
	case "station.ballot_recorded":
		r.ballot(w, e)
	case "station.established":
		stationEstablished(w, e)
	default:
		if len(e.kind) == len(domain.KindElection) && string(e.kind) == string(domain.KindElection) {
			r.electionEvent(w, e)
		}
	}
}

// ballot is the hot path: the round's counters and one counter per mark.
// A ballot names its box and marks, never a voter.
func (resultsProj) ballot(w *writer, e *rec) {
	var bl ballot
	if !bl.parse(e.payload) {
		w.skip(e, "ballot payload")
		return
	}
	eid := w.blob(bkey(w.kb, shortResults, "m/", e.aggID))
	if eid == nil {
		w.skip(e, "ballot of an unknown station")
		return
	}
	col := colValid
	switch {
	case bl.invalid:
		col = colInvalid
	case bl.blank:
		col = colBlank
	}
	w.kb = appendRound(append(bkey(w.kb, shortResults, "b/", eid), '/'), bl.round)
	w.add(w.kb, ballotWidth, colCast, col, 1)
	if col != colValid {
		return
	}
	w.kb = append(w.kb, '/')
	base := len(w.kb)
	mark := func(tag byte) func(s []byte) {
		return func(s []byte) {
			w.kb = append(append(w.kb[:base], tag), s...)
			w.add(w.kb, 1, 0, -1, 1)
		}
	}
	if !eachString(bl.candidates, mark('c')) || !eachString(bl.writeIns, mark('w')) {
		w.skip(e, "ballot marks")
	}
}

// foldedTypes are the election events resultsMeta.fold uses. The others
// (the roll's registrations and proxies above all, which are many and
// large) are not decoded at all.
var foldedTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, ev := range []domain.Event{domain.ElectionCalled{}, domain.CandidateNominated{}, domain.CandidatesPublished{},
		domain.RoundStarted{}, domain.ByElectionCalled{}, domain.RoundDeclared{}, domain.MemberRemoved{},
		domain.ResultAnnounced{}, domain.ResultCertified{}, domain.BallotsSealed{}, domain.ElectionVoided{},
		domain.ReviewRecorded{}, domain.FraudFindingFlagged{}, domain.FraudFindingCleared{}, domain.RecallVoted{}} {
		m[ev.EventType()] = true
	}
	return m
}()

// electionEvent folds the rare election events into the meta blob.
func (resultsProj) electionEvent(w *writer, e *rec) {
	if !foldedTypes[string(e.typ)] {
		return
	}
	ev, err := domain.DecodeEvent(string(e.typ), e.payload)
	if err != nil {
		w.skip(e, err.Error())
		return
	}
	k := bkey(w.kb, shortResults, "E/", e.aggID)
	var m resultsMeta
	if b := w.blob(k); b != nil {
		if err := json.Unmarshal(b, &m); err != nil {
			w.fail(err)
			return
		}
	}
	var at time.Time
	if sec, ok := e.occurredUnix(); ok {
		at = time.Unix(sec, 0).UTC()
	}
	if !m.fold(ev, string(e.region), at) {
		return
	}
	b, err := json.Marshal(&m)
	if err != nil {
		w.fail(err)
		return
	}
	w.setBlob(bkey(w.kb, shortResults, "E/", e.aggID), b)
}

// fold applies one election event that occurred at at; it reports whether
// m changed.
func (m *resultsMeta) fold(ev domain.Event, region string, at time.Time) bool {
	switch ev := ev.(type) {
	case domain.ElectionCalled:
		*m = resultsMeta{Region: region, Committee: ev.Committee, Seats: ev.Seats, Rules: ev.Rules.WithDefaults(ev.Committee),
			Candidates: map[string]string{}, Rounds: []roundInfo{{Round: 1, Kind: domain.RoundFirst, Seats: ev.Seats}}}
	case domain.CandidateNominated:
		if m.Candidates == nil {
			m.Candidates = map[string]string{}
		}
		m.Candidates[ev.CandidateID] = ev.Name
	case domain.CandidatesPublished:
		m.setRound(roundInfo{Round: ev.Round, Kind: m.kindOf(ev.Round), Seats: ev.Seats, Candidates: ev.Candidates})
	case domain.RoundStarted:
		m.setRound(roundInfo{Round: ev.Round, Kind: ev.Kind, Seats: ev.Seats, Candidates: ev.Candidates})
	case domain.ByElectionCalled:
		m.setRound(roundInfo{Round: ev.Round, Kind: domain.RoundByElection, Seats: ev.Seats})
		m.Announced, m.Certified, m.CertifiedBy, m.Sealed = false, false, "", false
	case domain.RoundDeclared:
		m.Declared = append(m.Declared, ev)
		m.Members = append(m.Members, ev.Elected...)
		if m.DeclaredAt == nil {
			m.DeclaredAt = map[int]time.Time{}
		}
		m.DeclaredAt[ev.Round] = at
	case domain.MemberRemoved:
		m.removeMember(ev, at)
	case domain.ResultAnnounced:
		m.Announced, m.AnnouncedAt = true, at
	case domain.ResultCertified:
		m.Certified, m.CertifiedBy, m.Override, m.OpenFraud = true, ev.CertifiedBy, ev.OverrideReason, ev.OpenFraudFindings
	case domain.BallotsSealed:
		m.Sealed = true
	case domain.ElectionVoided: // a voided election seats nobody
		m.Voided, m.VoidReason, m.VoidedAt, m.Members = true, ev.Reason, at, nil
	case domain.ReviewRecorded:
		m.Reviews = append(m.Reviews, ev)
	case domain.FraudFindingFlagged:
		m.FraudFlags = append(m.FraudFlags, ev.InspectionID+"/"+ev.FindingID)
	case domain.FraudFindingCleared:
		m.FraudFlags = slices.DeleteFunc(m.FraudFlags, func(k string) bool { return k == ev.InspectionID+"/"+ev.FindingID })
	case domain.RecallVoted:
		m.Recalls = append(m.Recalls, recallOutcome(ev, at))
	default:
		return false
	}
	return true
}

func (m *resultsMeta) kindOf(round int) domain.RoundKind {
	for _, r := range m.Rounds {
		if r.Round == round {
			return r.Kind
		}
	}
	return domain.RoundFirst
}

func (m *resultsMeta) setRound(ri roundInfo) {
	for i, r := range m.Rounds {
		if r.Round == ri.Round {
			m.Rounds[i] = ri
			return
		}
	}
	m.Rounds = append(m.Rounds, ri)
}

func (m *resultsMeta) removeMember(ev domain.MemberRemoved, at time.Time) {
	for i, x := range m.Members {
		if x.ID == ev.MemberID {
			m.Removed = append(m.Removed, Removal{Member: x, Cause: ev.Cause, Ref: ev.Ref, At: at})
			m.Members = append(m.Members[:i:i], m.Members[i+1:]...)
			return
		}
	}
}
