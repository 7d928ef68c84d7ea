package domain

import "strconv"

// A floor is one rule of the law that no profile may loosen: ok reports
// whether r (filled in) is at or stricter than the floor f of the same
// committee kind.
type floor struct {
	field string // the JSON name in [Rules]
	zh    string // the floor, in words
	en    string
	ok    func(r, f Rules) bool
}

// floors are the national rules of DESIGN.md §2 that [Rules] carries, each
// with the direction in which a province may tighten it. Where a number is a
// right of the voters (days to object, signatures to propose a recall), a
// stricter profile gives voters at least as much: more days, fewer
// signatures needed.
var floors = []floor{
	{"roll_publish_days", "选民名单至少在选举日前20日公布", "the roll is published at least 20 days before election day",
		func(r, f Rules) bool { return r.RollPublishDays >= f.RollPublishDays }},
	{"objection_days", "异议期不少于5日", "objections may be filed for at least 5 days",
		func(r, f Rules) bool { return r.ObjectionDays >= f.ObjectionDays }},
	{"objection_decision_days", "异议在3日内处理", "objections are decided within 3 days",
		func(r, f Rules) bool {
			return r.ObjectionDecisionDays >= 1 && r.ObjectionDecisionDays <= f.ObjectionDecisionDays
		}},
	{"max_proxies_per_holder", "每人接受委托不超过3人", "a holder holds at most 3 proxies",
		func(r, f Rules) bool {
			return r.MaxProxiesPerHolder >= 1 && r.MaxProxiesPerHolder <= f.MaxProxiesPerHolder
		}},
	{"proxy_cutoff_days", "委托在选举日前办理", "proxies are registered before election day",
		func(r, f Rules) bool { return r.ProxyCutoffDays >= f.ProxyCutoffDays }},
	{"mobile_box_min_scrutineers", "流动票箱至少3名监票人", "a mobile box has at least 3 scrutineers",
		func(r, f Rules) bool { return r.MobileBoxMinScrutineers >= f.MobileBoxMinScrutineers }},
	{"min_seats", "委员会职数不少于法定下限（村3人，居5人）", "no fewer seats than the law (villagers 3, residents 5)",
		func(r, f Rules) bool { return r.MinSeats >= f.MinSeats }},
	{"max_seats", "委员会职数不多于法定上限（村7人，居9人）", "no more seats than the law (villagers 7, residents 9)",
		func(r, f Rules) bool { return r.MaxSeats <= f.MaxSeats }},
	{"term_years", "每届任期5年", "a term is 5 years",
		func(r, f Rules) bool { return r.TermYears == f.TermYears }},
	{"validity", "过半数选民投票选举有效", "valid when more than half of registered voters vote",
		func(r, f Rules) bool { return r.Validity.AtLeast(f.Validity) }},
	{"election", "获得参加投票的选民过半数选票始得当选", "elected with more than half of the ballots cast",
		func(r, f Rules) bool { return r.Election.AtLeast(f.Election) }},
	{"second_round", "另行选举得票不少于投票数三分之一", "a second round needs at least 1/3 of the ballots cast",
		func(r, f Rules) bool { return r.SecondRound.AtLeast(f.SecondRound) }},
	{"recall_proposal", "五分之一以上选民联名可提出罢免", "1/5 of voters may propose a recall",
		func(r, f Rules) bool { return r.RecallProposal.AtMost(f.RecallProposal) }},
	{"recall_by_representatives", "三分之一以上代表联名可提出罢免", "1/3 of representatives may propose a recall",
		func(r, f Rules) bool { return r.RecallByRepresentatives.AtMost(f.RecallByRepresentatives) }},
	{"recall_validity", "罢免须过半数选民投票", "a recall vote is valid when more than half of registered voters vote",
		func(r, f Rules) bool { return r.RecallValidity.AtLeast(f.RecallValidity) }},
	{"recall_pass", "罢免须得投票数过半数", "a recall passes with more than half of the ballots cast",
		func(r, f Rules) bool { return r.RecallPass.AtLeast(f.RecallPass) }},
	{"review_incompetent", "过半数评议为不称职", "rated incompetent by more than half",
		func(r, f Rules) bool { return r.ReviewIncompetent.AtLeast(f.ReviewIncompetent) }},
	{"min_count_unit", "计票单位至少10名选民", "a counting unit has at least 10 registered voters",
		func(r, f Rules) bool { return r.MinCountUnit >= f.MinCountUnit }},
	{"spoiled_box", "投票数多于投票人数的，本次选举无效（按箱作废须有省级规定）", "more ballots than voters makes the vote invalid (per box only under a cited provincial rule)",
		func(r, _ Rules) bool { return r.SpoiledBox == SpoiledRound || r.SpoiledBoxRule != "" }},
}

// Floor returns the national rules of a committee of kind k: the floors
// every profile is measured against (DESIGN.md §2).
func Floor(k CommitteeKind) Rules { return Rules{}.WithDefaults(k) }

// CheckFloors reports the first rule of r (filled in) that is below the
// national floor for kind k, as an *Error with code "rules_below_law" naming
// the rule and its floor, or nil when r is at or above every floor. It also
// refuses malformed rules (code "invalid_rules").
func (r Rules) CheckFloors(k CommitteeKind) error {
	if err := r.validate(); err != nil {
		return err
	}
	f := Floor(k)
	for _, fl := range floors {
		if !fl.ok(r, f) {
			return ruleErr("rules_below_law", lawOf(k).name+" / "+fl.field+": "+fl.zh+" / "+fl.en,
				"规则低于法定底线: "+fl.field+"（"+fl.zh+"）", "the rule is below the floor of the law: "+fl.field+" ("+fl.en+")")
		}
	}
	return nil
}

// FloorRule is one rule of the law as numbers: its JSON name, the floor in
// words, and its value in a set of rules.
type FloorRule struct {
	Field string `json:"field"`
	ZH    string `json:"zh"`
	EN    string `json:"en"`
}

// FloorRules lists every rule a profile may only tighten, in order.
func FloorRules() []FloorRule {
	out := make([]FloorRule, len(floors))
	for i, f := range floors {
		out[i] = FloorRule{Field: f.field, ZH: f.zh, EN: f.en}
	}
	return out
}

// seatsOK reports whether n seats fit the rules: within the range and odd
// when the rules say so.
func (r Rules) seatsOK(n int) bool {
	return n >= r.MinSeats && n <= r.MaxSeats && (!r.OddSeats || n%2 == 1)
}

func itoa(n int) string { return strconv.Itoa(n) }
