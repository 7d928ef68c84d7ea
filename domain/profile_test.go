package domain

import (
	"strings"
	"testing"
	"time"
)

// The attack of the issue: a supervisor's call carrying its own rules
// (validity 1/10, one scrutineer, the roll 2 days before, 5 proxies) is
// refused, and a profile with the same numbers is refused too.
func TestCallElectionCannotCarryRules(t *testing.T) {
	attack := Rules{Validity: Threshold{Num: 1, Den: 10}, Election: Threshold{Num: 5, Den: 11},
		MobileBoxMinScrutineers: 1, RollPublishDays: 2, MaxProxiesPerHolder: 5}
	w := newWorld(at(electionDay, -30))
	_, err := w.exec(CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3,
		ElectionDay: electionDay, ElectionCommittee: []string{"王某"}, Rules: &attack})
	wantCode(t, err, "rules_in_profile")
	_, err = w.exec(RegisterProfile{ProfileID: id(901), Region: "22", Name: "loose", Committee: CommitteeVillagers,
		Source: "none", Rules: attack})
	wantCode(t, err, "rules_below_law")
	if e, _ := AsError(err); e == nil || !strings.Contains(e.Rule, "roll_publish_days") {
		t.Errorf("rule = %v, want the first floor broken named", err)
	}
	// An empty rules object (what older clients send) is accepted.
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3,
		ElectionDay: electionDay, ElectionCommittee: []string{"王某"}, Rules: &Rules{}})
	if got := w.election().Rules.Validity; got != moreThanHalf {
		t.Errorf("validity = %v, want the floor", got)
	}
}

func TestThresholdArithmeticCannotOverflow(t *testing.T) {
	huge := Threshold{Num: 1 << 62, Den: 1<<63 - 1, Strict: true}
	if huge.Met(1, 2) {
		t.Error("2^62/(2^63-1) of 2 met by 1 vote (int64 overflow)")
	}
	if !huge.Met(2, 3) {
		t.Error("2^62/(2^63-1) of 3 not met by 2 votes")
	}
	r := Floor(CommitteeVillagers)
	r.Validity = huge
	wantCode(t, r.CheckFloors(CommitteeVillagers), "invalid_rules")
	r.Validity = Threshold{Num: 501, Den: 1001, Strict: true}
	wantCode(t, r.CheckFloors(CommitteeVillagers), "invalid_rules")
	if !(Threshold{Num: 1, Den: 2, Strict: true}).Met(1<<40+1, 1<<41) || (Threshold{Num: 1, Den: 2, Strict: true}).Met(1<<40, 1<<41) {
		t.Error("more than half wrong on large totals")
	}
}

// floorCase moves one rule below and above its floor.
type floorCase struct {
	field        string
	below, above func(*Rules)
}

var floorCases = []floorCase{
	{"roll_publish_days", func(r *Rules) { r.RollPublishDays-- }, func(r *Rules) { r.RollPublishDays++ }},
	{"objection_days", func(r *Rules) { r.ObjectionDays-- }, func(r *Rules) { r.ObjectionDays++ }},
	{"objection_decision_days", func(r *Rules) { r.ObjectionDecisionDays++ }, func(r *Rules) { r.ObjectionDecisionDays-- }},
	{"max_proxies_per_holder", func(r *Rules) { r.MaxProxiesPerHolder++ }, func(r *Rules) { r.MaxProxiesPerHolder-- }},
	{"proxy_cutoff_days", func(r *Rules) { r.ProxyCutoffDays-- }, func(r *Rules) { r.ProxyCutoffDays++ }},
	{"mobile_box_min_scrutineers", func(r *Rules) { r.MobileBoxMinScrutineers-- }, func(r *Rules) { r.MobileBoxMinScrutineers++ }},
	{"min_seats", func(r *Rules) { r.MinSeats-- }, func(r *Rules) { r.MinSeats++ }},
	{"max_seats", func(r *Rules) { r.MaxSeats++ }, func(r *Rules) { r.MaxSeats-- }},
	{"term_years", func(r *Rules) { r.TermYears-- }, nil},
	{"validity", func(r *Rules) { r.Validity.Strict = false }, func(r *Rules) { r.Validity = Threshold{Num: 3, Den: 5} }},
	{"election", func(r *Rules) { r.Election.Strict = false }, func(r *Rules) { r.Election = Threshold{Num: 2, Den: 3} }},
	{"second_round", func(r *Rules) { r.SecondRound = Threshold{Num: 3, Den: 10} }, func(r *Rules) { r.SecondRound.Strict = true }},
	{"recall_proposal", func(r *Rules) { r.RecallProposal = Threshold{Num: 1, Den: 4} }, func(r *Rules) { r.RecallProposal = Threshold{Num: 1, Den: 6} }},
	{"recall_by_representatives", func(r *Rules) { r.RecallByRepresentatives = Threshold{Num: 2, Den: 5} }, func(r *Rules) { r.RecallByRepresentatives = Threshold{Num: 1, Den: 4} }},
	{"recall_validity", func(r *Rules) { r.RecallValidity.Strict = false }, func(r *Rules) { r.RecallValidity = Threshold{Num: 2, Den: 3} }},
	{"recall_pass", func(r *Rules) { r.RecallPass = Threshold{Num: 49, Den: 100} }, func(r *Rules) { r.RecallPass = Threshold{Num: 51, Den: 100} }},
	{"review_incompetent", func(r *Rules) { r.ReviewIncompetent.Strict = false }, func(r *Rules) { r.ReviewIncompetent = Threshold{Num: 2, Den: 3} }},
	{"min_count_unit", func(r *Rules) { r.MinCountUnit-- }, func(r *Rules) { r.MinCountUnit++ }},
	{"spoiled_box", func(r *Rules) { r.SpoiledBox = SpoiledBox }, func(r *Rules) { r.SpoiledBox, r.SpoiledBoxRule = SpoiledBox, "某省办法 第十九条" }},
}

// TestFloorsAtBelowAbove checks every floor at, below and above its value,
// for both committee kinds: at and above are accepted, below is refused
// with rules_below_law naming the rule.
func TestFloorsAtBelowAbove(t *testing.T) {
	if len(floorCases) != len(floors) {
		t.Fatalf("%d floor cases for %d floors", len(floorCases), len(floors))
	}
	for _, k := range []CommitteeKind{CommitteeVillagers, CommitteeResidents} {
		if err := Floor(k).CheckFloors(k); err != nil {
			t.Fatalf("%s: the floors themselves refused: %v", k, err)
		}
		for _, fc := range floorCases {
			t.Run(string(k)+"/"+fc.field, func(t *testing.T) {
				below := Floor(k)
				fc.below(&below)
				err := below.CheckFloors(k)
				wantCode(t, err, "rules_below_law")
				if e, _ := AsError(err); e == nil || !strings.Contains(e.Rule, fc.field) || !strings.Contains(e.Rule, lawOf(k).name) {
					t.Errorf("rule = %v, want %s and the law of %s named", err, fc.field, k)
				}
				if fc.above == nil {
					return
				}
				above := Floor(k)
				fc.above(&above)
				if err := above.CheckFloors(k); err != nil {
					t.Errorf("stricter than the floor refused: %v", err)
				}
			})
		}
	}
}

// TestRegisterProfileThroughDecide registers a stricter profile, uses it,
// and refuses one below the floor, for both committee kinds.
func TestRegisterProfileThroughDecide(t *testing.T) {
	for i, k := range []CommitteeKind{CommitteeVillagers, CommitteeResidents} {
		w := newWorld(at(electionDay, -40))
		pid := id(910 + i)
		w.must(t, RegisterProfile{ProfileID: pid, Region: "22", Name: "strict", Committee: k, Source: "test",
			Rules: Rules{RollPublishDays: 25}})
		_, err := w.exec(RegisterProfile{ProfileID: pid, Region: "22", Name: "again", Committee: k, Source: "test"})
		wantCode(t, err, "profile_exists")
		_, err = w.exec(RegisterProfile{ProfileID: id(920 + i), Region: "22", Name: "loose", Committee: k, Source: "test",
			Rules: Rules{RollPublishDays: 19}})
		wantCode(t, err, "rules_below_law")
		seats := Floor(k).MinSeats
		w.must(t, CallElection{ElectionAddr: ea, Committee: k, Seats: seats, ElectionDay: electionDay,
			ElectionCommittee: []string{"王某"}, Profile: pid})
		var voters []VoterEntry
		for n := 1; n <= DefaultMinCountUnit; n++ {
			voters = append(voters, VoterEntry{RollNo: n, StationID: stationA})
		}
		w.must(t, RegisterVoters{ElectionAddr: ea, Voters: voters})
		w.now = at(electionDay, -24)
		_, err = w.exec(PublishRoll{ElectionAddr: ea})
		wantCode(t, err, "roll_published_too_late")
		w.now = at(electionDay, -25)
		w.must(t, PublishRoll{ElectionAddr: ea})
	}
}

func TestProfileRegionAndKind(t *testing.T) {
	w := newWorld(at(electionDay, -30))
	_, err := w.exec(RegisterProfile{ProfileID: id(930), Region: "2201", Name: "x", Committee: CommitteeVillagers, Source: "s"})
	wantCode(t, err, "region_not_province")
	w.must(t, RegisterProfile{ProfileID: id(931), Region: "31", Name: "上海 test", Committee: CommitteeVillagers, Source: "s"})
	call := CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3, ElectionDay: electionDay,
		ElectionCommittee: []string{"王某"}}
	for _, tt := range []struct{ profile, want string }{
		{id(931), "profile_not_found"}, // registered in 31, the election is in 22: not loaded
		{"shanghai-2020", "profile_not_applicable"},
		{"no-such", "profile_not_found"},
	} {
		c := call
		c.Profile = tt.profile
		_, err := w.exec(c)
		wantCode(t, err, tt.want)
	}
	c := call
	c.Profile, c.Committee, c.Seats = "jilin", CommitteeResidents, 5
	_, err = w.exec(c)
	wantCode(t, err, "profile_not_applicable")
}

// TestJilinOddSeats: Jilin 2012 art. 4 allows 3, 5 or 7 members.
func TestJilinOddSeats(t *testing.T) {
	for seats, want := range map[int]string{2: "seats_out_of_range", 3: "", 4: "seats_out_of_range", 7: "", 8: "seats_out_of_range"} {
		w := newWorld(at(electionDay, -30))
		_, err := w.exec(CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: seats,
			ElectionDay: electionDay, ElectionCommittee: []string{"王某"}, Profile: "jilin"})
		wantCode(t, err, want)
	}
}

func TestResidentsErrorsCiteResidentsLaw(t *testing.T) {
	w := newWorld(at(electionDay, -10))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeResidents, Seats: 5, ElectionDay: electionDay,
		ElectionCommittee: []string{"王某"}})
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: []VoterEntry{{RollNo: 1, StationID: stationA}}})
	_, err := w.exec(PublishRoll{ElectionAddr: ea})
	wantCode(t, err, "roll_published_too_late")
	e, _ := AsError(err)
	if e == nil || !strings.Contains(e.Rule, "城市居民委员会组织法") || strings.Contains(e.Rule, "村民委员会组织法") {
		t.Errorf("rule = %q, want the residents' law only", e.Rule)
	}
}

func TestInvalidText(t *testing.T) {
	for _, s := range []string{"\u202E王某", "王\x00某", "\u200B", " ", "王\n某", "\u2066x\u2069", string([]byte{0xff})} {
		w := newWorld(at(electionDay, -30))
		_, err := w.exec(CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3,
			ElectionDay: electionDay, ElectionCommittee: []string{s}})
		wantCode(t, err, "invalid_text")
	}
	if err := checkText("name", "王 建国 (主任)", 1, 200); err != nil {
		t.Errorf("a plain name refused: %v", err)
	}
}

// TestBoundedFacts: occurred-at dates far from the election's calendar are
// refused, and a station names its election's own region.
func TestBoundedFacts(t *testing.T) {
	for _, d := range []string{"1900-01-01", "0001-01-01"} {
		w := newWorld(at(Date(d), 0))
		_, err := w.exec(CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3,
			ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
		wantCode(t, err, "invalid_election_day")
	}
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	w.now = at("1900-01-01", 0)
	_, err := w.exec(PublishProxies{ElectionAddr: ea})
	wantCode(t, err, "occurred_before_call")
	w.now = at(electionDay, 0)
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	w.now = at(electionDay, -1)
	_, err = w.exec(ClosePolls{StationAddr: sa(stationA)})
	wantCode(t, err, "occurred_out_of_order")
	_, err = w.exec(CheckIn{StationAddr: sa(stationA), RollNo: 1, Mode: ModeInPerson})
	wantCode(t, err, "occurred_out_of_order")
	w.now = at(electionDay, 0).Add(time.Hour)
	w.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 1, Mode: ModeInPerson})

	// A station addressed in another region than its election's.
	other := StationAddr{StationID: id(140), ElectionID: electionID, Region: "310101001001"}
	e := w.election()
	env := Env{Now: w.now, Related: map[AggregateRef]State{relatedRef(KindElection, electionID, other.Region): e}}
	_, err = Decide(nil, EstablishStation{StationAddr: other, Place: "x", Scrutineers: []string{"甲"}}, env)
	wantCode(t, err, "election_other_region")
}

// TestWrongRound: every round command refuses a round that is not the
// station's with wrong_round.
func TestWrongRound(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	_, err := w.exec(OpenPolls{StationAddr: sa(stationA), Round: 2})
	wantCode(t, err, "round_not_open")
	w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	_, err = w.exec(ClosePolls{StationAddr: sa(stationA), Round: 2})
	wantCode(t, err, "wrong_round")
	w.must(t, ClosePolls{StationAddr: sa(stationA), Round: 1})
	_, err = w.exec(SealBox{StationAddr: sa(stationA), Round: 2, SealNo: "1", SealedBy: []string{"甲"}})
	wantCode(t, err, "wrong_round")
	_, err = w.exec(RecordBallot{StationAddr: sa(stationA), Round: 2, Blank: true})
	wantCode(t, err, "wrong_round")
	_, err = w.exec(CloseCount{StationAddr: sa(stationA), Round: 2})
	wantCode(t, err, "wrong_round")
}
