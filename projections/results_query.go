package projections

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
)

// Phases of a round, in order: PhaseVoting until the first ballot of the
// round is counted, PhaseCounting from then until the round is declared
// (ballots are recorded only once a box is closed), PhaseDeclared after.
const (
	PhaseVoting   = "voting"
	PhaseCounting = "counting"
	PhaseDeclared = "declared"
)

// Statuses of a round ([RoundResults.Status]).
const (
	RoundInProgress = "in_progress"
	RoundValid      = "valid"
	RoundInvalid    = "invalid"
)

// RoundResults is one voting round of an election. Before the round is
// declared its figures are live tallies of the ballots counted so far and
// Elected is who would be elected now under the election's rules
// (Declared false); once declared they are the domain's declared result.
type RoundResults struct {
	Round      int              `json:"round"`
	Kind       domain.RoundKind `json:"kind"`
	Seats      int              `json:"seats"`
	Phase      string           `json:"phase"` // PhaseVoting, PhaseCounting or PhaseDeclared
	Declared   bool             `json:"declared"`
	DeclaredAt time.Time        `json:"declared_at,omitzero"`
	Cast       int64            `json:"cast"`
	Valid      int64            `json:"valid"`
	Blank      int64            `json:"blank"`
	Invalid    int64            `json:"invalid"`
	Registered int64            `json:"registered"`
	Voted      int64            `json:"voted"`
	RoundValid bool             `json:"round_valid"` // more than half of registered voted
	// Status is "in_progress" until the round is declared, then "valid"
	// or "invalid"; Reason says why an invalid round failed
	// (domain.ReasonTurnout, domain.ReasonBallotsExcess).
	Status       string          `json:"status"`
	Reason       string          `json:"reason,omitempty"`
	SetAsideRule string          `json:"set_aside_rule,omitempty"` // the provincial rule that set InvalidBoxes aside
	Tally        []domain.Votes  `json:"tally"`
	Elected      []domain.Member `json:"elected"`
	Tied         []string        `json:"tied,omitempty"`
	Remaining    int             `json:"remaining"` // seats left for a further round
	InvalidBoxes []string        `json:"invalid_boxes,omitempty"`
	Final        bool            `json:"final,omitempty"`
	// Label says what the round is: 正式选举, 另行选举, 重新选举 (a revote
	// after an invalid round) or 补选; LabelEN the same in English.
	// LabelCode is the same as a code: first, runoff, rerun or by_election.
	Label     string `json:"label"`
	LabelEN   string `json:"label_en"`
	LabelCode string `json:"label_code"`
	// Vacant seats are left empty when the round is final; VacantReason says why.
	Vacant       int    `json:"vacant,omitempty"`
	VacantReason string `json:"vacant_reason,omitempty"`
}

// roundLabel names a round by what it is; revote is true when the round
// before it was declared invalid.
func roundLabel(k domain.RoundKind, revote bool) (zh, en, code string) {
	switch {
	case revote:
		return "重新选举", "repeat election", "rerun"
	case k == domain.RoundRunoff:
		return "另行选举", "second round", string(domain.RoundRunoff)
	case k == domain.RoundByElection:
		return "补选", "by-election", string(domain.RoundByElection)
	}
	return "正式选举", "regular election", string(domain.RoundFirst)
}

// ElectionResults is the result of an election: every round, the members
// elected, and its status.
type ElectionResults struct {
	ElectionID  string               `json:"election_id"`
	Region      string               `json:"region"`
	Committee   domain.CommitteeKind `json:"committee"`
	Seats       int                  `json:"seats"`
	Rounds      []RoundResults       `json:"rounds"`
	Members     []domain.Member      `json:"members"`
	SeatsLeft   int                  `json:"seats_left"`
	Announced   bool                 `json:"announced"`
	Certified   bool                 `json:"certified"`
	CertifiedBy string               `json:"certified_by,omitempty"`
	Sealed      bool                 `json:"sealed"`
	Voided      bool                 `json:"voided"`
	VoidReason  string               `json:"void_reason,omitempty"`
	VoidedAt    time.Time            `json:"voided_at,omitzero"`
	AnnouncedAt time.Time            `json:"announced_at,omitzero"`
	// Removed lists members who left the committee after being elected,
	// in the order they left.
	Removed []Removal `json:"removed,omitempty"`
	// OverrideReason is why the result was certified while the fraud
	// findings OpenAtCertification were open.
	OverrideReason      string   `json:"override_reason,omitempty"`
	OpenAtCertification []string `json:"open_at_certification,omitempty"`
	// OpenFraudFindings are fraud findings about the election whose
	// inspection is still open ("inspection/finding").
	OpenFraudFindings []string `json:"open_fraud_findings,omitempty"`
	// Reviews are the democratic reviews (民主评议) with each member's ratings.
	Reviews []domain.ReviewRecorded `json:"reviews,omitempty"`
	// Recalls lists every recall vote with its numbers and outcome.
	Recalls []RecallOutcome `json:"recalls,omitempty"`
}

// ResultsOf returns an election's results. Registered and Voted of a live
// round come from the turnout read model. Its cost grows with rounds and
// candidates, not with ballots.
func ResultsOf(ctx context.Context, db pebble.Reader, electionID string) (ElectionResults, error) {
	var m resultsMeta
	found, err := getJSON(db, key(nil, shortResults, "E/", electionID), &m)
	if err != nil || !found {
		return ElectionResults{}, notFoundOr(err, "election "+electionID)
	}
	out := ElectionResults{ElectionID: electionID, Region: m.Region, Committee: m.Committee, Seats: m.Seats,
		Members: m.Members, Announced: m.Announced, Certified: m.Certified, CertifiedBy: m.CertifiedBy,
		Sealed: m.Sealed, Voided: m.Voided, VoidReason: m.VoidReason, VoidedAt: m.VoidedAt,
		AnnouncedAt: m.AnnouncedAt, Removed: m.Removed,
		OverrideReason:      m.Override,
		OpenAtCertification: m.OpenFraud, OpenFraudFindings: m.FraudFlags, Reviews: m.Reviews, Recalls: m.Recalls}
	if out.Members == nil {
		out.Members = []domain.Member{} // none seated (a voided election seats nobody)
	}
	out.SeatsLeft = m.Seats - len(m.Members)
	revote := false
	for _, ri := range m.Rounds {
		rr, err := roundResults(ctx, db, electionID, &m, ri)
		if err != nil {
			return out, err
		}
		rr.Label, rr.LabelEN, rr.LabelCode = roundLabel(ri.Kind, revote && ri.Kind != domain.RoundByElection)
		revote = rr.Status == RoundInvalid
		out.Rounds = append(out.Rounds, rr)
	}
	return out, nil
}

func roundResults(ctx context.Context, db pebble.Reader, eid string, m *resultsMeta, ri roundInfo) (RoundResults, error) {
	rr := RoundResults{Round: ri.Round, Kind: ri.Kind, Seats: ri.Seats}
	rk := string(appendRound([]byte("/"), ri.Round))
	v, err := getVec(db, key(nil, shortResults, "b/", eid, rk), ballotWidth)
	if err != nil {
		return rr, err
	}
	rr.Cast, rr.Valid, rr.Blank, rr.Invalid = v[colCast], v[colValid], v[colBlank], v[colInvalid]
	rr.Phase = PhaseVoting
	if rr.Cast > 0 {
		rr.Phase = PhaseCounting
	}
	for _, d := range m.Declared {
		if d.Round == ri.Round {
			rr.Declared, rr.Registered, rr.Voted, rr.RoundValid = true, int64(d.Registered), int64(d.Voted), d.Valid
			if d.ValidBallots+d.Blank+d.InvalidBallots == d.Cast && d.Cast > 0 {
				rr.Cast, rr.Valid, rr.Blank, rr.Invalid = int64(d.Cast), int64(d.ValidBallots), int64(d.Blank), int64(d.InvalidBallots)
			}
			rr.Status, rr.Reason, rr.SetAsideRule = RoundInvalid, d.Reason, d.SetAsideRule
			if d.Valid {
				rr.Status = RoundValid
			}
			rr.Phase, rr.DeclaredAt = PhaseDeclared, m.DeclaredAt[ri.Round]
			rr.Tally, rr.Elected, rr.Tied, rr.Remaining = d.Tally, d.Elected, d.Tied, d.Remaining
			rr.InvalidBoxes, rr.Final, rr.Vacant, rr.VacantReason = d.InvalidBoxes, d.Final, d.Vacant, d.VacantReason
			return rr, nil
		}
	}
	if rr.Tally, err = liveTally(ctx, db, eid, rk, m, ri); err != nil {
		return rr, err
	}
	if err := liveTurnout(db, eid, ri.Round, &rr); err != nil {
		return rr, err
	}
	rr.RoundValid = m.Rules.Validity.Met(int(rr.Voted), int(rr.Registered))
	rr.Status = RoundInProgress
	th := m.Rules.Election
	if ri.Kind == domain.RoundRunoff {
		th = m.Rules.SecondRound
	}
	rr.Elected, rr.Tied = electNow(rr.Tally, ri, int(rr.Cast), th)
	rr.Remaining = ri.Seats - len(rr.Elected)
	return rr, nil
}

// liveTally reads the round's votes per candidate and write-in, with every
// candidate of the round listed, sorted by votes then ID.
func liveTally(ctx context.Context, db pebble.Reader, eid, rk string, m *resultsMeta, ri roundInfo) ([]domain.Votes, error) {
	votes := map[string]int{}
	var out []domain.Votes
	err := scan(ctx, db, key(nil, shortResults, "v/", eid, rk, "/"), func(k, v []byte) error {
		vec, err := decodeVec(v, make([]int64, 1))
		if err != nil || len(k) == 0 {
			return err
		}
		if k[0] == 'w' {
			name := string(k[1:])
			out = append(out, domain.Votes{ID: domain.WriteInPrefix + name, Name: name, WriteIn: true, Votes: int(vec[0])})
		} else {
			votes[string(k[1:])] = int(vec[0])
		}
		return nil
	})
	ids := ri.Candidates
	for id := range votes {
		if !slices.Contains(ids, id) {
			ids = append(slices.Clone(ids), id)
		}
	}
	for _, id := range ids {
		out = append(out, domain.Votes{ID: id, Name: m.Candidates[id], Votes: votes[id]})
	}
	slices.SortFunc(out, func(a, b domain.Votes) int { return cmp.Or(cmp.Compare(b.Votes, a.Votes), strings.Compare(a.ID, b.ID)) })
	return out, err
}

func liveTurnout(db pebble.Reader, eid string, round int, rr *RoundResults) error {
	base, err := getVec(db, key(nil, shortTurnout, "e/", eid), turnoutWidth)
	if err != nil {
		return err
	}
	rv := base
	if round > 1 {
		if rv, err = getVec(db, roundSuffix(key(nil, shortTurnout, "e/", eid), round), turnoutWidth); err != nil {
			return err
		}
	}
	rr.Registered, rr.Voted = base[colRegistered], rv[colVoted]
	return nil
}

// electNow applies the election rule to a live tally (sorted): those
// meeting th out of cast, at most the round's seats; candidates tied
// across the last seat are listed in tied and not elected.
func electNow(tally []domain.Votes, ri roundInfo, cast int, th domain.Threshold) (elected []domain.Member, tied []string) {
	n := 0
	for n < len(tally) && th.Met(tally[n].Votes, cast) {
		n++
	}
	eligible := tally[:n]
	cut := -1
	if len(eligible) > ri.Seats && ri.Seats > 0 {
		cut = eligible[ri.Seats-1].Votes
		if eligible[ri.Seats].Votes < cut {
			eligible, cut = eligible[:ri.Seats], -1
		}
	} else if ri.Seats == 0 {
		eligible = nil
	}
	for _, v := range eligible {
		switch {
		case cut >= 0 && v.Votes == cut:
			tied = append(tied, v.ID)
		case cut < 0 || v.Votes > cut:
			elected = append(elected, domain.Member{ID: v.ID, Name: v.Name, WriteIn: v.WriteIn, Round: ri.Round, Votes: v.Votes})
		}
	}
	return elected, tied
}
