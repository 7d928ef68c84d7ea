package domain

import (
	"math/bits"
	"strconv"
	"time"
)

// Date is a civil date "YYYY-MM-DD" in China Standard Time. Days between
// dates are counted on the calendar: a roll published on 2026-04-11 for an
// election on 2026-05-01 is published 20 days before.
type Date string

// chinaTime is UTC+8, fixed: reading the tz database would be I/O.
var chinaTime = time.FixedZone("CST", 8*3600)

// DateOf returns the civil date of t in China Standard Time.
func DateOf(t time.Time) Date {
	return Date(t.In(chinaTime).Format(time.DateOnly))
}

// Valid reports whether d is a well-formed calendar date.
func (d Date) Valid() bool {
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}

// DaysUntil returns the number of calendar days from d to later (negative if
// later is before d). Both dates must be valid; a malformed date counts as day 0.
func (d Date) DaysUntil(later Date) int {
	a, _ := time.Parse(time.DateOnly, string(d))
	b, _ := time.Parse(time.DateOnly, string(later))
	return int(b.Sub(a).Hours() / 24)
}

// AddDays returns the date n calendar days after d.
func (d Date) AddDays(n int) Date {
	t, _ := time.Parse(time.DateOnly, string(d))
	return Date(t.AddDate(0, 0, n).Format(time.DateOnly))
}

// Threshold is a fraction Num/Den of a total. With Strict it is met when the
// count is more than the fraction (exactly half is not more than half);
// otherwise when it is at least the fraction (exactly a third is a third).
// The zero Threshold means "use the default" inside [Rules]. A usable
// threshold has 0 < Num <= Den <= [MaxDen].
type Threshold struct {
	Num    int64 `json:"num"`
	Den    int64 `json:"den"`
	Strict bool  `json:"strict"`
}

// MaxDen is the largest denominator a threshold may have: the law speaks of
// halves, thirds and fifths, and a bound keeps a fraction readable.
const MaxDen = 1000

// Met reports whether count out of total meets the threshold, in exact
// 128-bit arithmetic (no overflow for any int64 fields). A total of 0, a
// negative count or a threshold that is not a fraction in (0, 1] never
// meets it.
func (t Threshold) Met(count, total int) bool {
	if total <= 0 || count < 0 || !t.fraction() {
		return false
	}
	c := cmpProducts(uint64(count), uint64(t.Den), uint64(t.Num), uint64(total))
	if t.Strict {
		return c > 0
	}
	return c >= 0
}

// AtLeast reports whether t is at least as demanding as f: every count that
// meets t also meets f.
func (t Threshold) AtLeast(f Threshold) bool {
	if !t.fraction() || !f.fraction() {
		return false
	}
	c := cmpProducts(uint64(t.Num), uint64(f.Den), uint64(f.Num), uint64(t.Den))
	return c > 0 || c == 0 && (t.Strict || !f.Strict)
}

// AtMost reports whether t asks no more than f: every count that meets f
// also meets t.
func (t Threshold) AtMost(f Threshold) bool { return f.AtLeast(t) }

// String returns "more than 1/2" or "at least 1/3".
func (t Threshold) String() string {
	s := strconv.FormatInt(t.Num, 10) + "/" + strconv.FormatInt(t.Den, 10)
	if t.Strict {
		return "more than " + s
	}
	return "at least " + s
}

// fraction reports whether t is a fraction in (0, 1].
func (t Threshold) fraction() bool { return t.Den > 0 && t.Num > 0 && t.Num <= t.Den }

func (t Threshold) valid() bool { return t.fraction() && t.Den <= MaxDen }

// cmpProducts compares a*b with c*d without overflow.
func cmpProducts(a, b, c, d uint64) int {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	switch {
	case h1 != h2:
		return cmpU(h1, h2)
	default:
		return cmpU(l1, l2)
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orThreshold(t, def Threshold) Threshold {
	if t == (Threshold{}) {
		return def
	}
	return t
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Rules are the thresholds of one election. The zero value of every field
// means the national default (DESIGN.md §2), so a province sets only what
// differs. [CallElection] stores the rules with defaults filled in, so that
// the event stream is self-describing.
type Rules struct {
	RollPublishDays         int       `json:"roll_publish_days,omitempty"`          // roll published at least this many days before election day (20)
	ObjectionDays           int       `json:"objection_days,omitempty"`             // objections filed within this many days of publication (5)
	ObjectionDecisionDays   int       `json:"objection_decision_days,omitempty"`    // objections decided within this many days of filing (3)
	MaxProxiesPerHolder     int       `json:"max_proxies_per_holder,omitempty"`     // proxies one holder may hold (3)
	ProxyCutoffDays         int       `json:"proxy_cutoff_days,omitempty"`          // proxies registered at least this many days before election day (1: before election day)
	MobileBoxMinScrutineers int       `json:"mobile_box_min_scrutineers,omitempty"` // scrutineers of a mobile ballot box (3)
	MinSeats                int       `json:"min_seats,omitempty"`                  // by committee kind: villagers 3, residents 5, supervision 3
	MaxSeats                int       `json:"max_seats,omitempty"`                  // by committee kind: villagers 7, residents 9, supervision 5
	TermYears               int       `json:"term_years,omitempty"`                 // 5
	Validity                Threshold `json:"validity,omitzero"`                    // voted / registered: more than 1/2
	Election                Threshold `json:"election,omitzero"`                    // votes / ballots cast: more than 1/2
	SecondRound             Threshold `json:"second_round,omitzero"`                // votes / ballots cast in 另行选举: at least 1/3
	RecallProposal          Threshold `json:"recall_proposal,omitzero"`             // signatures / registered voters: at least 1/5
	RecallByRepresentatives Threshold `json:"recall_by_representatives,omitzero"`   // signatures / representatives: at least 1/3
	RecallValidity          Threshold `json:"recall_validity,omitzero"`             // voted / registered: more than 1/2
	RecallPass              Threshold `json:"recall_pass,omitzero"`                 // for / ballots cast: more than 1/2
	ReviewIncompetent       Threshold `json:"review_incompetent,omitzero"`          // incompetent ratings / ratings in a democratic review: more than 1/2
	MinCountUnit            int       `json:"min_count_unit,omitempty"`             // registered voters of the smallest counting unit (10)
	OddSeats                bool      `json:"odd_seats,omitempty"`                  // seats must be odd (e.g. Jilin: 3, 5 or 7)
	SpoiledBox              string    `json:"spoiled_box,omitempty"`                // more ballots returned than issued: "round" (national) or "box"
	SpoiledBoxRule          string    `json:"spoiled_box_rule,omitempty"`           // the provincial article that allows "box"
}

// What a spoiled box (more ballots returned than issued) invalidates.
const (
	SpoiledRound = "round" // the whole round is invalid (national wording)
	SpoiledBox   = "box"   // only that box is set aside; only where a provincial rule says so
)

var (
	moreThanHalf = Threshold{Num: 1, Den: 2, Strict: true}
	oneThird     = Threshold{Num: 1, Den: 3}
	oneFifth     = Threshold{Num: 1, Den: 5}
)

// seatDefaults are the committee sizes of the law by committee kind.
var seatDefaults = map[CommitteeKind][2]int{
	CommitteeVillagers:   {3, 7},
	CommitteeResidents:   {5, 9},
	CommitteeSupervision: {3, 5},
}

// WithDefaults returns r with every zero field set to the national default
// for a committee of kind k.
func (r Rules) WithDefaults(k CommitteeKind) Rules {
	seats := seatDefaults[k]
	r.RollPublishDays = orInt(r.RollPublishDays, 20)
	r.ObjectionDays = orInt(r.ObjectionDays, 5)
	r.ObjectionDecisionDays = orInt(r.ObjectionDecisionDays, 3)
	r.MaxProxiesPerHolder = orInt(r.MaxProxiesPerHolder, 3)
	r.ProxyCutoffDays = orInt(r.ProxyCutoffDays, 1)
	r.MobileBoxMinScrutineers = orInt(r.MobileBoxMinScrutineers, 3)
	r.MinSeats = orInt(r.MinSeats, seats[0])
	r.MaxSeats = orInt(r.MaxSeats, seats[1])
	r.TermYears = orInt(r.TermYears, 5)
	r.Validity = orThreshold(r.Validity, moreThanHalf)
	r.Election = orThreshold(r.Election, moreThanHalf)
	r.SecondRound = orThreshold(r.SecondRound, oneThird)
	r.RecallProposal = orThreshold(r.RecallProposal, oneFifth)
	r.RecallByRepresentatives = orThreshold(r.RecallByRepresentatives, oneThird)
	r.RecallValidity = orThreshold(r.RecallValidity, moreThanHalf)
	r.RecallPass = orThreshold(r.RecallPass, moreThanHalf)
	r.ReviewIncompetent = orThreshold(r.ReviewIncompetent, moreThanHalf)
	r.MinCountUnit = orInt(r.MinCountUnit, DefaultMinCountUnit)
	if r.SpoiledBox == "" {
		r.SpoiledBox = SpoiledRound
	}
	return r
}

// DefaultMinCountUnit is K, the fewest registered voters a counting unit
// may have (DESIGN.md §2, smallest tally).
const DefaultMinCountUnit = 10

// maxDays bounds every day count of the rules (a year).
const maxDays = 366

// validate reports a filled-in Rules value that cannot be applied: a
// negative or absurd number, a threshold that is not a fraction in (0, 1]
// with a denominator of at most [MaxDen], or an unknown spoiled-box rule.
func (r Rules) validate() error {
	ints := []int{r.RollPublishDays, r.ObjectionDays, r.ObjectionDecisionDays, r.MaxProxiesPerHolder,
		r.ProxyCutoffDays, r.MobileBoxMinScrutineers, r.MinSeats, r.MaxSeats, r.TermYears}
	for _, v := range ints {
		if v < 0 || v > maxDays {
			return invalid("invalid_rules", "选举规则参数须在0到366之间", "an election rule's number must lie between 0 and 366")
		}
	}
	if r.MinCountUnit < 0 || r.MinCountUnit > 100000 {
		return invalid("invalid_rules", "最小计票单位须在0到100000之间", "the smallest counting unit must lie between 0 and 100000")
	}
	for _, t := range r.thresholds() {
		if !t.valid() {
			return invalid("invalid_rules", "比例须为0到1之间的分数，分母不超过1000", "a threshold must be a fraction between 0 and 1 with a denominator of at most 1000")
		}
	}
	if r.MinSeats > r.MaxSeats {
		return invalid("invalid_rules", "最少名额不能大于最多名额", "min seats exceed max seats")
	}
	if r.SpoiledBox != SpoiledRound && r.SpoiledBox != SpoiledBox {
		return invalid("invalid_rules", "spoiled_box 须为 round 或 box", "spoiled_box must be round or box")
	}
	return nil
}

func (r Rules) thresholds() []Threshold {
	return []Threshold{r.Validity, r.Election, r.SecondRound, r.RecallProposal, r.RecallByRepresentatives,
		r.RecallValidity, r.RecallPass, r.ReviewIncompetent}
}
