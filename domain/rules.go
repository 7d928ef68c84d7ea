package domain

import "time"

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
// The zero Threshold means "use the default" inside [Rules].
type Threshold struct {
	Num    int64 `json:"num"`
	Den    int64 `json:"den"`
	Strict bool  `json:"strict"`
}

// Met reports whether count out of total meets the threshold, in exact integer
// arithmetic. A total of 0 never meets it.
func (t Threshold) Met(count, total int) bool {
	if total <= 0 {
		return false
	}
	lhs, rhs := int64(count)*t.Den, t.Num*int64(total)
	if t.Strict {
		return lhs > rhs
	}
	return lhs >= rhs
}

func (t Threshold) valid() bool { return t.Den > 0 && t.Num > 0 && t.Num <= t.Den }

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
}

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
	return r
}

// validate reports a filled-in Rules value that cannot be applied.
func (r Rules) validate() error {
	ints := []int{r.RollPublishDays, r.ObjectionDays, r.ObjectionDecisionDays, r.MaxProxiesPerHolder,
		r.ProxyCutoffDays, r.MobileBoxMinScrutineers, r.MinSeats, r.MaxSeats, r.TermYears}
	for _, v := range ints {
		if v < 0 {
			return invalid("invalid_rules", "选举规则参数不能为负数", "election rules cannot be negative")
		}
	}
	ths := []Threshold{r.Validity, r.Election, r.SecondRound, r.RecallProposal, r.RecallByRepresentatives,
		r.RecallValidity, r.RecallPass, r.ReviewIncompetent}
	for _, t := range ths {
		if !t.valid() {
			return invalid("invalid_rules", "比例须在0到1之间", "a threshold must be a fraction between 0 and 1")
		}
	}
	if r.MinSeats > r.MaxSeats {
		return invalid("invalid_rules", "最少名额不能大于最多名额", "min seats exceed max seats")
	}
	return nil
}
