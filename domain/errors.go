package domain

import (
	"errors"
	"strings"
)

// ErrorKind classifies an [Error] for callers that map errors to transport
// status codes.
type ErrorKind int

const (
	// ErrInvalid means the command's input is malformed (HTTP 400/422).
	ErrInvalid ErrorKind = iota + 1
	// ErrRule means a rule of the law (or of the election's configuration) is broken.
	ErrRule
	// ErrConflict means the aggregate's current state does not allow the command now (HTTP 409).
	ErrConflict
	// ErrNotFound means the target or a related aggregate does not exist (HTTP 404).
	ErrNotFound
)

// String returns the kind's stable name: "invalid", "rule", "conflict" or "not_found".
func (k ErrorKind) String() string {
	switch k {
	case ErrInvalid:
		return "invalid"
	case ErrRule:
		return "rule"
	case ErrConflict:
		return "conflict"
	case ErrNotFound:
		return "not_found"
	}
	return "unknown"
}

// Error is the one error type of the domain. Code is stable and snake_case;
// Rule names the rule broken with its legal source ("" for plain input
// errors); ZH and EN are messages a supervisor understands.
type Error struct {
	Code string
	Kind ErrorKind
	Rule string
	ZH   string
	EN   string
}

// Error returns "domain: <code>: <EN>".
func (e *Error) Error() string { return "domain: " + e.Code + ": " + e.EN }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, &domain.Error{Code: "not_more_than_half"}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func invalid(code, zh, en string) *Error {
	return &Error{Code: code, Kind: ErrInvalid, ZH: zh, EN: en}
}

func ruleErr(code, rule, zh, en string) *Error {
	return &Error{Code: code, Kind: ErrRule, Rule: rule, ZH: zh, EN: en}
}

func conflict(code, zh, en string) *Error {
	return &Error{Code: code, Kind: ErrConflict, ZH: zh, EN: en}
}

func notFound(code, zh, en string) *Error {
	return &Error{Code: code, Kind: ErrNotFound, ZH: zh, EN: en}
}

// Legal sources quoted in [Error.Rule]. Numbers are the national defaults;
// an election's [Rules] may set provincial variants.
const (
	lawV = "村民委员会组织法 "
	lawE = " / Organic Law of Villagers' Committees "

	ruleTerm        = lawV + "第十一条" + lawE + "art. 11: term of 5 years"
	ruleOneEntry    = lawV + "第十三条" + lawE + "art. 13: no one is registered twice"
	ruleRoll        = lawV + "第十四条" + lawE + "art. 14: roll published 20 days before election day; objections within 5 days of publication, decided within 3 days"
	ruleCompetitive = lawV + "第十五条" + lawE + "art. 15: more candidates than seats (差额选举)"
	ruleValid       = lawV + "第十五条" + lawE + "art. 15: the election is valid when more than half of registered voters vote"
	ruleElected     = lawV + "第十五条" + lawE + "art. 15: a candidate is elected with more than half of the ballots cast; seats left go to a second round"
	ruleSecondRound = lawV + "第十五条" + lawE + "art. 15: in the second round (另行选举) most votes win, with at least one third of the ballots cast"
	ruleSecret      = lawV + "第十五条" + lawE + "art. 15: secret ballot, public count, result announced on the spot"
	ruleCountUnit   = lawV + "第十五条" + lawE + "art. 15: secret ballot; ballots are counted per counting unit of at least K registered voters (default 10), a mobile box together with a fixed station (合并计票)"
	ruleProxy       = lawV + "第十五条" + lawE + "art. 15; 上海 2020 第十六条 / Shanghai 2020 art. 16; 浙江 2020 第二十五条 / Zhejiang 2020 art. 25: written proxy to a near relative on the same roll, lists published, at most 3 per holder, no re-delegation"
	ruleMobile      = "浙江省村民委员会选举办法 2020 第二十二条 / Zhejiang 2020 art. 22: a mobile ballot box is approved, its voters' list published, with at least 3 scrutineers"
	ruleOverIssued  = "上海市村民委员会选举办法 2020 第十九条 / Shanghai 2020 art. 19: more ballots returned than issued makes that vote invalid"
	ruleArchive     = lawV + "第三十四条" + lawE + "art. 34: ballots sealed and archived"
	ruleRecall      = lawV + "第十六条" + lawE + "art. 16: recall proposed by 1/5 of voters or 1/3 of representatives; valid when more than half of registered voters vote; passes with more than half of the ballots cast"
	ruleFraud       = lawV + "第十七条" + lawE + "art. 17: a result won by fraud is void"
	ruleSupervisors = lawV + "第三十二条" + lawE + "art. 32: committee members and their near relatives may not sit on the supervision committee"
	ruleReview      = lawV + "第三十三条" + lawE + "art. 33: a member rated incompetent in two consecutive democratic reviews leaves office"
	ruleMeeting     = lawV + "第二十二条" + lawE + "art. 22: quorum of more than half; decided by a majority of those present"
	ruleDuties      = "监督检查职责分离 / separation of duties in supervision: whoever reports a rectification may not review it"
	ruleConsult     = "中共中央办公厅 国务院办公厅《关于加强城乡社区协商的意见》2015 / Opinions on Strengthening Urban and Rural Community Consultation (2015): topic after asking residents, participants chosen, content announced in advance, opinions recorded, outcome carried out and reported back"
)

// law is the organic law a committee's election follows.
type law struct {
	name string // "村民委员会组织法 / Organic Law of Villagers' Committees"
	size string // the article on the committee's size
}

var (
	villagersLaw = law{name: "村民委员会组织法 / Organic Law of Villagers' Committees",
		size: lawV + "第六条" + lawE + "art. 6: a villagers' committee has 3-7 members"}
	residentsLaw = law{name: "城市居民委员会组织法 / Organic Law of Urban Residents' Committees",
		size: lawR + "第七条" + lawRE + "art. 7: a residents' committee has 5-9 members"}
)

const (
	lawR  = "城市居民委员会组织法 "
	lawRE = " / Organic Law of Urban Residents' Committees "
	// ruleResidents is the article on how a residents' committee is elected.
	ruleResidents = lawR + "第八条" + lawRE + "art. 8: elected by all voters, by one representative per household, or by 2-3 representatives of each residents' group; a term of 5 years"
)

// lawOf returns the law of a committee kind: residents' committees follow
// the residents' law, villagers' and supervision committees the villagers'.
func lawOf(k CommitteeKind) law {
	if k == CommitteeResidents {
		return residentsLaw
	}
	return villagersLaw
}

func sizeRule(k CommitteeKind) string { return lawOf(k).size }

// citeFor returns rule as cited for an election of kind k: for a residents'
// committee a rule quoted from the villagers' law is replaced by art. 8 of
// the residents' law and the provincial rules (the profile), which set the
// numbers the villagers' law sets for villages.
func citeFor(k CommitteeKind, rule string) string {
	if k != CommitteeResidents || !strings.HasPrefix(rule, lawV) {
		return rule
	}
	tail := rule
	if i := strings.Index(rule, ": "); i >= 0 {
		tail = rule[i+2:]
	}
	return ruleResidents + "; 省级居民委员会选举规定 / provincial rules (profile): " + tail
}
