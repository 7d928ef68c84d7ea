package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"ledger/domain"
)

// Outcomes of a unit's election, decided by its plan.
const (
	outcomeAll    = iota // every seat filled in the first round
	outcomeRunoff        // seats left to a second round (另行选举)
	outcomeRevote        // the first round is under the turnout threshold; the vote is held again
)

// electionPlan is what a unit's election will be: numbers, not commands.
type electionPlan struct {
	seed           uint64
	live           bool // command IDs carry the recording clock's time
	batch          int  // check-ins or ballots per command
	u              Unit
	id             string
	committee      domain.CommitteeKind
	seats          int
	day            time.Time // election day, 00:00 CST
	voters         int       // registered before publication
	stations       []stationPlan
	cands          []string // round 1 candidate IDs c1..cN
	names          map[string]string
	committeeNames []string

	withdrawn     bool // an extra candidate is nominated and withdraws
	objection     bool // an objection adds a voter (roll voters+1, first station)
	lateObjection bool // one filed too late (refused)
	badProxy      bool // a re-delegation attempt (refused)
	outcome       int
	recall        bool // a member is recalled and a by-election fills the seat
	fraud         bool // an inspection finds fraud and the result is voided
	inspection    bool // a routine inspection of the committee's finances
	consultation  bool
	proxyPct      int // per mille of fixed-station voters who give a proxy (pairs)
	rounds        []*roundPlan
}

type stationPlan struct {
	id          string
	mobile      bool
	lo, hi      int // roll numbers, inclusive
	extra       int // an added roll number (upheld objection), 0 if none
	place       string
	scrutineers []string
}

// voters returns the station's number of voters on the roll.
func (st stationPlan) count() int {
	n := st.hi - st.lo + 1
	if st.extra > 0 {
		n++
	}
	return n
}

// roundPlan is one round's planned numbers.
type roundPlan struct {
	round   int
	kind    domain.RoundKind
	seats   int
	cands   []string // sorted IDs
	day     time.Time
	rate    float64
	issued  []int // per station
	ret     []int
	blank   []int
	unread  []int
	over    []int
	dup     []bool // a voter tries to check in twice (refused)
	boxBad  int    // index of the station returning more ballots than issued, -1 none
	offsets []int  // per station: first index in the round's fill of marked ballots
	marked  int    // V: marked ballots in valid boxes
	cast    int
	voted   int
	votes   []int // per cands
	starts  []int // cyclic fill start per cand
	valid   bool
	elected []string
	final   bool
}

func unitVoters(r *rand.Rand, u Unit) int {
	mean := villageMeanVoters
	if u.Community {
		mean = communityMeanVoters
	}
	// a triangular-ish spread from 0.4 to 1.6 of the mean
	f := 0.4 + 0.6*(r.Float64()+r.Float64())
	return max(120, int(float64(mean)*f))
}

// plan returns the plan of the i-th selected unit.
func (s *Scenario) plan(i int) *electionPlan {
	u := s.units[i]
	r := newRand(s.cfg.Seed, uint64(u.Index), tagPlan)
	p := &electionPlan{seed: s.cfg.Seed, live: s.cfg.LiveIDs, batch: s.cfg.Batch, u: u, voters: unitVoters(r, u), names: map[string]string{}}
	p.committee, p.seats = domain.CommitteeVillagers, 3+2*r.IntN(3) // 3, 5, 7
	if u.Community {
		p.committee, p.seats = domain.CommitteeResidents, 5+2*r.IntN(3) // 5, 7, 9
	}
	p.day = electionDay(r, u)
	p.id = newULID(s.cfg.Seed, p.day.AddDate(0, 0, -45), uint64(u.Index), 1)
	p.committeeNames = distinctNames(r, 3, "")
	p.planStations(r)
	nc := p.seats + 1 + r.IntN(2)
	for c := range nc {
		id := fmt.Sprintf("c%d", c+1)
		p.cands = append(p.cands, id)
	}
	for i, n := range distinctNames(r, nc+3, "") {
		p.names[fmt.Sprintf("c%d", i+1)] = n
	}
	p.names["b1"], p.names["b2"] = p.names[fmt.Sprintf("c%d", nc+2)], p.names[fmt.Sprintf("c%d", nc+3)]
	p.withdrawn = r.IntN(10) == 0
	p.objection = r.IntN(5) == 0
	p.lateObjection = r.IntN(20) == 0
	p.badProxy = r.IntN(10) == 0
	p.proxyPct = 5 + r.IntN(20)
	switch x := r.IntN(100); {
	case x < 3:
		p.outcome = outcomeRevote
	case x < 12:
		p.outcome = outcomeRunoff
	}
	p.inspection = r.IntN(12) == 0
	p.consultation = r.IntN(100) < 20 || u.Community && r.IntN(2) == 0
	// the first units of a run always show a recall, a voided result,
	// an inspection and a consultation, whatever the scale
	switch {
	case i == 0 || u.Index%2000 == 7:
		p.recall, p.outcome = true, outcomeAll
	case i == 1 || u.Index%3000 == 11:
		p.fraud = true
	}
	if i == 0 {
		p.consultation, p.inspection, p.lateObjection = true, true, true
	}
	p.planRounds(r)
	return p
}

// electionDay spreads the province's round over the spring of 2026
// (2026-03-01 to 2026-04-26), by county and township, so that every
// recorded moment (the last follow-ups come about 170 days later) is in
// the past: the ledger refuses occurred-at times in the future.
func electionDay(r *rand.Rand, u Unit) time.Time {
	county := int(mix(uint64(len(u.Township))^hashString(string(u.Township[:6]))) % 50)
	return time.Date(2026, 3, 1+county+r.IntN(7), 0, 0, 0, 0, chinaTime)
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

var (
	villagePlaces   = []string{"村委会大院", "村文化活动室", "村小学操场", "村卫生室旁", "屯部"}
	communityPlaces = []string{"社区党群服务中心", "社区活动中心", "小区会所", "街道文化站", "小学礼堂", "物业服务中心"}
	mobilePlaces    = []string{"流动票箱（敬老院）", "流动票箱（行动不便选民家中）", "流动票箱（医院）"}
)

func (p *electionPlan) planStations(r *rand.Rand) {
	// a village votes at stations of its villagers' groups, a community
	// at stations of its residential compounds (小区)
	per := 600
	places := villagePlaces
	if p.u.Community {
		per, places = 1000, communityPlaces
	}
	fixed := 1 + p.voters/per
	mobile := 0
	if p.voters >= 400 {
		mobile = max(3, p.voters*3/100)
	}
	rest := p.voters - mobile
	lo := 1
	for k := range fixed {
		hi := lo + rest/fixed - 1
		if k == fixed-1 {
			hi = rest
		}
		p.stations = append(p.stations, stationPlan{lo: lo, hi: hi,
			place: fmt.Sprintf("第%d投票站（%s）", k+1, places[r.IntN(len(places))])})
		lo = hi + 1
	}
	if mobile > 0 {
		p.stations = append(p.stations, stationPlan{mobile: true, lo: lo, hi: p.voters,
			place: mobilePlaces[r.IntN(len(mobilePlaces))]})
	}
	names := distinctNames(r, 3*len(p.stations), "监票人 ")
	for k := range p.stations {
		n := 2
		if p.stations[k].mobile {
			n = 3
		}
		p.stations[k].id = newULID(p.seed, p.day.AddDate(0, 0, -10), uint64(p.u.Index), uint64(100+k))
		p.stations[k].scrutineers = names[3*k : 3*k+n]
	}
}

// registered is the roll's size after objections.
func (p *electionPlan) registered() int {
	if p.objection {
		return p.voters + 1
	}
	return p.voters
}

// planRounds plans every round: the first, then a revote or a second
// round, then (after a recall) a by-election.
func (p *electionPlan) planRounds(r *rand.Rand) {
	if p.objection {
		p.stations[0].extra = p.voters + 1
	}
	first := &roundPlan{round: 1, kind: domain.RoundFirst, seats: p.seats, cands: p.cands, day: p.day}
	switch p.outcome {
	case outcomeAll:
		p.vote(r, first, 0.62+0.3*r.Float64(), p.seats)
	case outcomeRunoff:
		left := 1 + r.IntN(min(2, p.seats-1))
		p.vote(r, first, 0.62+0.3*r.Float64(), p.seats-left)
		second := &roundPlan{round: 2, kind: domain.RoundRunoff, seats: left, day: p.day.AddDate(0, 0, 7)}
		second.cands = runoffCandidates(first, left)
		p.vote(r, second, 0.55+0.2*r.Float64(), left)
	case outcomeRevote:
		p.vote(r, first, 0.33+0.14*r.Float64(), p.seats)
		again := &roundPlan{round: 2, kind: domain.RoundFirst, seats: p.seats, cands: p.cands, day: p.day.AddDate(0, 0, 7)}
		p.vote(r, again, 0.6+0.2*r.Float64(), p.seats)
	}
	if p.recall {
		last := p.rounds[len(p.rounds)-1]
		by := &roundPlan{round: last.round + 1, kind: domain.RoundByElection, seats: 1,
			cands: []string{"b1", "b2"}, day: p.day.AddDate(0, 0, 170)}
		p.vote(r, by, 0.55+0.2*r.Float64(), 1)
	}
}

// runoffCandidates are the non-elected candidates with the most votes,
// left+1 of them (distinct counts: no ties), sorted by ID.
func runoffCandidates(rp *roundPlan, left int) []string {
	type cv struct {
		id string
		v  int
	}
	var rest []cv
	for i, id := range rp.cands {
		if !slices.Contains(rp.elected, id) {
			rest = append(rest, cv{id, rp.votes[i]})
		}
	}
	slices.SortFunc(rest, func(a, b cv) int { return b.v - a.v })
	out := make([]string, 0, left+1)
	for _, c := range rest[:left+1] {
		out = append(out, c.id)
	}
	slices.Sort(out)
	return out
}

// vote plans a round with turnout rate in which exactly `win` seats are
// filled (win == rp.seats: all; fewer: a second round follows). A rate
// under one half makes the round invalid.
func (p *electionPlan) vote(r *rand.Rand, rp *roundPlan, rate float64, win int) {
	n := len(p.stations)
	rp.rate, rp.boxBad = rate, -1
	rp.issued, rp.ret, rp.blank, rp.unread, rp.over = make([]int, n), make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	rp.dup, rp.offsets = make([]bool, n), make([]int, n)
	for k, st := range p.stations {
		sr := rate * (0.95 + 0.1*r.Float64())
		if st.mobile && rate > 0.5 {
			sr = 0.85 + 0.1*r.Float64()
		}
		rp.issued[k] = min(st.count(), int(sr*float64(st.count())))
		rp.ret[k] = rp.issued[k]
		if r.IntN(8) == 0 && rp.ret[k] > 0 {
			rp.ret[k]-- // a voter left with the ballot
		}
		rp.blank[k] = rp.ret[k] * r.IntN(8) / 1000
		rp.unread[k] = rp.ret[k] * r.IntN(4) / 1000
		rp.over[k] = rp.ret[k] * r.IntN(3) / 1000
		rp.dup[k] = rp.issued[k] > 0 && r.IntN(20) == 0
	}
	if rate > 0.5 && n > 2 && r.IntN(25) == 0 {
		rp.boxBad = r.IntN(n - 1) // a fixed station (the mobile box is last)
		if p.stations[rp.boxBad].mobile {
			rp.boxBad = -1
		}
	}
	p.tallyRound(r, rp, win)
	p.rounds = append(p.rounds, rp)
}

// tallyRound sums the valid boxes and plans distinct vote counts that
// elect exactly `win` candidates.
func (p *electionPlan) tallyRound(r *rand.Rand, rp *roundPlan, win int) {
	if rp.boxBad >= 0 {
		rp.ret[rp.boxBad] = rp.issued[rp.boxBad] + 1 + r.IntN(2)
		voted := 0
		for k := range p.stations {
			if k != rp.boxBad {
				voted += rp.issued[k]
			}
		}
		if 2*voted <= p.registered() { // the bad box would sink the election: no bad box
			rp.ret[rp.boxBad], rp.boxBad = rp.issued[rp.boxBad], -1
		}
	}
	rp.voted, rp.cast, rp.marked = 0, 0, 0
	for k := range p.stations {
		rp.offsets[k] = rp.marked
		if k == rp.boxBad {
			continue
		}
		rp.voted += rp.issued[k]
		rp.cast += rp.ret[k]
		rp.marked += rp.ret[k] - rp.blank[k] - rp.unread[k] - rp.over[k]
	}
	rp.valid = 2*rp.voted > p.registered()
	rp.votes = planVotes(r, rp, win)
	rp.starts = make([]int, len(rp.votes))
	acc := 0
	for i, v := range rp.votes {
		rp.starts[i] = acc % max(rp.marked, 1)
		acc += v
	}
	rp.elected = nil
	if rp.valid {
		for i, id := range rp.cands {
			if rp.meets(rp.votes[i]) {
				rp.elected = append(rp.elected, id)
			}
		}
	}
	rp.final = rp.valid && len(rp.elected) == rp.seats
}

// meets reports whether v votes out of the round's cast ballots elect:
// more than half (first round, by-election), at least a third (second round).
func (rp *roundPlan) meets(v int) bool {
	if rp.kind == domain.RoundRunoff {
		return 3*v >= rp.cast
	}
	return 2*v > rp.cast
}

// planVotes returns distinct vote counts, one per candidate, such that
// exactly the first `win` of them (in a shuffled order) meet the round's
// threshold, and the total fits in the ballots (seats marks each).
func planVotes(r *rand.Rand, rp *roundPlan, win int) []int {
	c, cast, V := len(rp.cands), rp.cast, rp.marked
	hiFrac, loFrac := 0.55, 0.85
	if rp.kind == domain.RoundRunoff {
		hiFrac, loFrac = 0.40, 0.60
	}
	votes := make([]int, c)
	used := map[int]bool{}
	budget := rp.seats * V
	order := r.Perm(c)
	for _, i := range order[:win] {
		v := int((hiFrac + (loFrac-hiFrac)*r.Float64()) * float64(cast))
		for !rp.meets(v) {
			v++
		}
		v = min(v, V)
		for used[v] {
			v--
		}
		votes[i], used[v] = v, true
		budget -= v
	}
	losers := c - win
	for _, i := range order[win:] {
		limit := min(budget/max(losers, 1), V)
		for rp.meets(limit) {
			limit--
		}
		v := max(1, int((0.05+0.4*r.Float64())*float64(cast)))
		v = min(v, limit)
		for used[v] && v > 1 {
			v--
		}
		for used[v] {
			v++
		}
		votes[i], used[v] = v, true
		budget -= v
		losers--
	}
	return votes
}

// marks returns the candidates marked on the j-th marked ballot of the
// round (cyclic fill: candidate i marks ballots starts[i] .. starts[i]+votes[i]-1,
// modulo the number of marked ballots).
func (rp *roundPlan) marks(j int) []string {
	var out []string
	for i, id := range rp.cands {
		if (j-rp.starts[i]+rp.marked)%rp.marked < rp.votes[i] {
			out = append(out, id)
		}
	}
	return out
}

// estimate is about how many commands the plan makes.
func (p *electionPlan) estimate() int {
	n := 12 + len(p.cands) + p.voters/rollBatch + len(p.stations) + p.voters*p.proxyPct/2000
	for _, rp := range p.rounds {
		n += 3
		for k := range p.stations {
			// check-ins, ballots; opening, closing, the count, the box's seal
			n += ceilDiv(rp.issued[k], p.batch) + ceilDiv(rp.ret[k], p.batch) + 4
		}
	}
	if p.consultation {
		n += 14
	}
	if p.inspection || p.fraud {
		n += 8
	}
	return n
}
