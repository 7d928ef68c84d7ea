package domain

import (
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// threshold draws any threshold a rules body could hold, usable or not.
func threshold(t *rapid.T, label string) Threshold {
	return Threshold{Num: rapid.Int64Range(-2, 1200).Draw(t, label+".num"),
		Den: rapid.Int64Range(-2, 1200).Draw(t, label+".den"), Strict: rapid.Bool().Draw(t, label+".strict")}
}

// metByRat is Threshold.Met written the straightforward way, with exact
// rationals: count/total > num/den (or >=).
func metByRat(th Threshold, count, total int) bool {
	if total <= 0 || count < 0 || th.Den <= 0 || th.Num <= 0 || th.Num > th.Den {
		return false
	}
	c := big.NewRat(int64(count), int64(total)).Cmp(big.NewRat(th.Num, th.Den))
	return c > 0 || c == 0 && !th.Strict
}

// TestThresholdArithmeticProperties: Met agrees with exact rational
// arithmetic for every count and total up to the largest int, and
// AtLeast means what it says: a threshold at least as demanding as
// another is met only by counts that meet the other.
func TestThresholdArithmeticProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		th := threshold(t, "t")
		total := rapid.OneOf(rapid.IntRange(0, 200), rapid.IntRange(math.MaxInt-1000, math.MaxInt)).Draw(t, "total")
		count := rapid.IntRange(-1, max(total, 0)).Draw(t, "count")
		if got, want := th.Met(count, total), metByRat(th, count, total); got != want {
			t.Fatalf("%v.Met(%d, %d) = %v, exact arithmetic says %v", th, count, total, got, want)
		}
		f := threshold(t, "f")
		if th.AtLeast(f) && th.Met(count, total) && !f.Met(count, total) {
			t.Fatalf("%v is at least %v, yet %d/%d meets it and not the other", th, f, count, total)
		}
	})
}

// TestNoRulesBodyBelowTheFloor: whatever rules a profile carries, if
// CheckFloors accepts them, every rule is at or stricter than the
// national floor, checked field by field without the floors table.
func TestNoRulesBodyBelowTheFloor(t *testing.T) {
	accepted := 0
	defer func() {
		if accepted == 0 {
			t.Error("no rules body was accepted: the property checked nothing")
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		// Each rule in turn is the one a body differs from the defaults
		// in (so that most bodies pass and are checked), then all of them.
		for which := range 21 {
			accepted += checkBody(t, which-1)
		}
	})
}

// checkBody draws a rules body that differs from the defaults in rule
// which (every rule when which < 0) and, when CheckFloors accepts it,
// checks it against the law; it returns 1 when the body was accepted.
func checkBody(t *rapid.T, which int) int {
	k := rapid.SampledFrom([]CommitteeKind{CommitteeVillagers, CommitteeResidents}).Draw(t, "committee")
	field := 0
	differs := func() bool { field++; return which < 0 || which == field-1 }
	small := func(label string) int {
		if !differs() {
			return 0
		}
		return rapid.IntRange(-1, 40).Draw(t, label)
	}
	th := func(label string) Threshold {
		if !differs() {
			return Threshold{}
		}
		return threshold(t, label)
	}
	r := Rules{RollPublishDays: small("roll"), ObjectionDays: small("obj"), ObjectionDecisionDays: small("dec"),
		MaxProxiesPerHolder: small("proxies"), ProxyCutoffDays: small("cutoff"), MobileBoxMinScrutineers: small("scrut"),
		MinSeats: small("min"), MaxSeats: small("max"), TermYears: small("term"), MinCountUnit: small("k"),
		Validity: th("validity"), Election: th("election"), SecondRound: th("second"), RecallProposal: th("recall"),
		RecallByRepresentatives: th("reps"), RecallValidity: th("rvalid"), RecallPass: th("rpass"), ReviewIncompetent: th("review"),
		SpoiledBox:     rapid.SampledFrom([]string{"", SpoiledRound, SpoiledBox, "x"}).Draw(t, "spoiled"),
		SpoiledBoxRule: rapid.SampledFrom([]string{"", "某省办法 第十九条"}).Draw(t, "spoiledRule")}
	full := r.WithDefaults(k)
	if full.CheckFloors(k) != nil {
		return 0
	}
	seats := seatDefaults[k]
	ints := []struct {
		name string
		ok   bool
	}{
		{"roll_publish_days", full.RollPublishDays >= 20}, {"objection_days", full.ObjectionDays >= 5},
		{"objection_decision_days", full.ObjectionDecisionDays >= 1 && full.ObjectionDecisionDays <= 3},
		{"max_proxies_per_holder", full.MaxProxiesPerHolder >= 1 && full.MaxProxiesPerHolder <= 3},
		{"proxy_cutoff_days", full.ProxyCutoffDays >= 1}, {"mobile_box_min_scrutineers", full.MobileBoxMinScrutineers >= 3},
		{"seats", full.MinSeats >= seats[0] && full.MaxSeats <= seats[1] && full.MinSeats <= full.MaxSeats},
		{"term_years", full.TermYears == 5}, {"min_count_unit", full.MinCountUnit >= 10},
		{"spoiled_box", full.SpoiledBox == SpoiledRound || full.SpoiledBox == SpoiledBox && full.SpoiledBoxRule != ""},
	}
	for _, c := range ints {
		if !c.ok {
			t.Fatalf("%s below the floor accepted: %+v", c.name, full)
		}
	}
	// No count may win, validate or pass under the profile that the floor refuses.
	total := rapid.IntRange(1, 60).Draw(t, "total")
	count := rapid.IntRange(0, total).Draw(t, "count")
	stricter := []struct {
		name     string
		got, law Threshold
	}{
		{"validity", full.Validity, moreThanHalf}, {"election", full.Election, moreThanHalf},
		{"second_round", full.SecondRound, oneThird}, {"recall_validity", full.RecallValidity, moreThanHalf},
		{"recall_pass", full.RecallPass, moreThanHalf}, {"review_incompetent", full.ReviewIncompetent, moreThanHalf},
	}
	for _, s := range stricter {
		if looser(s.got, s.law) {
			t.Fatalf("%s %v is looser than the law (%v)", s.name, s.got, s.law)
		}
		if metByRat(s.got, count, total) && !metByRat(s.law, count, total) {
			t.Fatalf("%s %v lets %d of %d pass where the law (%v) does not", s.name, s.got, count, total, s.law)
		}
	}
	// A right of the voters: a recall proposal never needs more signatures than the law.
	if metByRat(oneFifth, count, total) && !metByRat(full.RecallProposal, count, total) {
		t.Fatalf("recall_proposal %v refuses %d of %d signatures the law accepts", full.RecallProposal, count, total)
	}
	return 1
}

// looser reports, with exact rationals, whether threshold a is met by some
// share that does not meet law.
func looser(a, law Threshold) bool {
	c := big.NewRat(a.Num, a.Den).Cmp(big.NewRat(law.Num, law.Den))
	return c < 0 || c == 0 && law.Strict && !a.Strict
}

// TestCountEqualsRecount votes random ballots at a fixed station with a
// mobile box counted with it and a second fixed station, and checks the
// declared round against a recount of the ballots as recorded: cast,
// valid, blank and invalid ballots, votes per candidate, voters, and
// validity from the registered voters.
func TestCountEqualsRecount(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sizes := map[string]int{stationA: rapid.IntRange(9, 14).Draw(t, "a"), mobileBox: rapid.IntRange(1, 4).Draw(t, "box"),
			stationB: rapid.IntRange(10, 14).Draw(t, "b")}
		w := prepare(t, setup{seats: 3, candidates: 5, stations: sizes, merge: map[string]string{mobileBox: stationA}})
		type recount struct{ cast, blank, invalid, voted int }
		var want recount
		votes := map[string]int{}
		ballot := func(label string) RecordBallot {
			marks := rapid.SliceOfNDistinct(rapid.SampledFrom(w.election().RoundCandidates), 0, 4, func(s string) string { return s }).Draw(t, label)
			b := RecordBallot{Round: 1, Candidates: marks, Blank: len(marks) == 0}
			want.cast++
			switch {
			case len(marks) > 3:
				want.invalid++
			case b.Blank:
				want.blank++
			default:
				for _, m := range marks {
					votes[m]++
				}
			}
			return b
		}
		// prepare numbers the roll by station ID: A (101), B (102), the box (103)
		first := map[string]int{stationA: 1, stationB: sizes[stationA] + 1, mobileBox: sizes[stationA] + sizes[stationB] + 1}
		turnout := map[string]int{}
		for _, sid := range []string{stationA, mobileBox, stationB} {
			w.must(t, OpenPolls{StationAddr: sa(sid), Round: 1})
			turnout[sid] = rapid.IntRange(0, sizes[sid]).Draw(t, "turnout "+sid)
			mode := ModeInPerson
			if sid == mobileBox {
				mode = ModeMobile
			}
			for i := range turnout[sid] {
				w.must(t, CheckIn{StationAddr: sa(sid), RollNo: first[sid] + i, Mode: mode})
			}
			w.must(t, ClosePolls{StationAddr: sa(sid)})
			want.voted += turnout[sid]
		}
		w.must(t, MergeBox{StationAddr: sa(stationA), BoxID: mobileBox})
		for _, sid := range []string{stationA, stationB} {
			n := turnout[sid]
			if sid == stationA {
				n += turnout[mobileBox]
			}
			for range n {
				b := ballot("ballot")
				b.StationAddr = sa(sid)
				w.must(t, b)
			}
			w.must(t, CloseCount{StationAddr: sa(sid), Round: 1})
		}
		if _, err := declare(w, 1, stationA, mobileBox, stationB); err != nil {
			t.Fatal(err)
		}
		d := w.election().Results[0]
		got := recount{d.Cast, d.Blank, d.InvalidBallots, d.Voted}
		if got != want || d.ValidBallots+d.Blank+d.InvalidBallots != d.Cast {
			t.Fatalf("declared %+v (valid %d), recount %+v", got, d.ValidBallots, want)
		}
		for _, v := range d.Tally {
			if v.Votes != votes[v.ID] || v.Votes > d.ValidBallots {
				t.Fatalf("%s: declared %d votes, recount %d (valid ballots %d)", v.ID, v.Votes, votes[v.ID], d.ValidBallots)
			}
		}
		registered := sizes[stationA] + sizes[mobileBox] + sizes[stationB]
		if d.Registered != registered || d.Valid != (2*want.voted > registered) {
			t.Fatalf("registered %d valid %v, want %d and %v", d.Registered, d.Valid, registered, 2*want.voted > registered)
		}
		checkReplay(t, w)
	})
}
