package domain

import (
	"slices"
	"testing"
)

func TestThresholdMet(t *testing.T) {
	tests := []struct {
		name         string
		th           Threshold
		count, total int
		want         bool
	}{
		{"exactly half is not more than half", moreThanHalf, 5, 10, false},
		{"one more than half", moreThanHalf, 6, 10, true},
		{"odd total, just over half", moreThanHalf, 4, 7, true},
		{"odd total, just under half", moreThanHalf, 3, 7, false},
		{"exactly a third is a third", oneThird, 3, 9, true},
		{"just under a third", oneThird, 2, 9, false},
		{"a third of 10 needs 4", oneThird, 3, 10, false},
		{"exactly a fifth", oneFifth, 20, 100, true},
		{"under a fifth", oneFifth, 19, 100, false},
		{"empty total never meets", oneFifth, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.th.Met(tt.count, tt.total); got != tt.want {
				t.Errorf("Met(%d, %d) = %v, want %v", tt.count, tt.total, got, tt.want)
			}
		})
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		in        string
		wantLevel Level
		wantErr   bool
		wantUp    Region
	}{
		{"22", LevelProvince, false, ""},
		{"2201", LevelCity, false, "22"},
		{"220102", LevelCounty, false, "2201"},
		{"220102001", LevelTownship, false, "220102"},
		{"220102001001", LevelVillage, false, "220102001"},
		{"2201020010", LevelInvalid, true, ""},
		{"22a1", LevelInvalid, true, ""},
		{"", LevelInvalid, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRegion(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRegion(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got := Region(tt.in).Level(); got != tt.wantLevel {
				t.Errorf("Level() = %v, want %v", got, tt.wantLevel)
			}
			if got := Region(tt.in).Parent(); got != tt.wantUp {
				t.Errorf("Parent() = %q, want %q", got, tt.wantUp)
			}
			if err == nil && r != Region(tt.in) {
				t.Errorf("ParseRegion = %q", r)
			}
		})
	}
	got := Region("220102001001").Levels()
	want := []Region{"22", "2201", "220102", "220102001", "220102001001"}
	if !slices.Equal(got, want) {
		t.Errorf("Levels() = %v, want %v", got, want)
	}
}

func TestSeats(t *testing.T) {
	tests := []struct {
		committee CommitteeKind
		seats     int
		want      string
	}{
		{CommitteeVillagers, 2, "seats_out_of_range"},
		{CommitteeVillagers, 3, ""},
		{CommitteeVillagers, 7, ""},
		{CommitteeVillagers, 8, "seats_out_of_range"},
		{CommitteeResidents, 4, "seats_out_of_range"},
		{CommitteeResidents, 5, ""},
		{CommitteeResidents, 9, ""},
		{CommitteeResidents, 10, "seats_out_of_range"},
		{CommitteeSupervision, 2, "seats_out_of_range"},
		{CommitteeSupervision, 5, ""},
		{CommitteeSupervision, 6, "seats_out_of_range"},
	}
	for _, tt := range tests {
		t.Run(string(tt.committee)+"/"+string(rune('0'+tt.seats)), func(t *testing.T) {
			w := newWorld(at(electionDay, -30))
			_, err := w.exec(CallElection{ElectionAddr: ea, Committee: tt.committee, Seats: tt.seats,
				ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
			wantCode(t, err, tt.want)
		})
	}
}

func TestProvincialVariantRules(t *testing.T) {
	w := newWorld(at(electionDay, -30))
	w.must(t, RegisterProfile{ProfileID: id(900), Region: "22", Name: "吉林 test", Committee: CommitteeVillagers,
		Source: "test", Rules: Rules{RollPublishDays: 25}})
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 7,
		ElectionDay: electionDay, ElectionCommittee: []string{"王某"}, Profile: id(900)})
	got := w.election().Rules
	if got.MaxSeats != 7 || got.RollPublishDays != 25 || got.ObjectionDays != 5 || got.Validity != moreThanHalf {
		t.Errorf("rules = %+v, want the profile's variant kept and floors filled", got)
	}
	if w.election().Profile != id(900) {
		t.Errorf("profile = %q, want %q", w.election().Profile, id(900))
	}
}

// calledWithVoters returns a world with an election and n voters at stationA.
func calledWithVoters(t *testing.T, n int) *world {
	t.Helper()
	w := newWorld(at(electionDay, -40))
	w.must(t, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 3,
		ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
	var batch []VoterEntry
	for i := 1; i <= n; i++ {
		batch = append(batch, VoterEntry{RollNo: i, StationID: stationA})
	}
	w.must(t, RegisterVoters{ElectionAddr: ea, Voters: batch})
	return w
}

func TestRollPublication(t *testing.T) {
	tests := []struct {
		name       string
		daysBefore int
		want       string
	}{
		{"21 days before", 21, ""},
		{"day 20 is in time", 20, ""},
		{"day 19 is too late", 19, "roll_published_too_late"},
		{"election day", 0, "roll_published_too_late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := calledWithVoters(t, 10)
			w.now = at(electionDay, -tt.daysBefore)
			_, err := w.exec(PublishRoll{ElectionAddr: ea})
			wantCode(t, err, tt.want)
		})
	}
}

func TestRollClosedAfterPublication(t *testing.T) {
	w := calledWithVoters(t, 10)
	w.now = at(electionDay, -20)
	w.must(t, PublishRoll{ElectionAddr: ea})
	_, err := w.exec(RegisterVoters{ElectionAddr: ea, Voters: []VoterEntry{{RollNo: 19, StationID: stationA}}})
	wantCode(t, err, "roll_published")
}

func TestNobodyOnTheRollTwice(t *testing.T) {
	tests := []struct {
		name  string
		batch []VoterEntry
		want  string
	}{
		{"already registered", []VoterEntry{{RollNo: 2, StationID: stationB}}, "already_on_roll"},
		{"twice in one batch", []VoterEntry{{RollNo: 7, StationID: stationA}, {RollNo: 7, StationID: stationB}}, "already_on_roll"},
		{"new voter", []VoterEntry{{RollNo: 7, StationID: stationA}}, ""},
		{"bad roll number", []VoterEntry{{RollNo: 0, StationID: stationA}}, "invalid_roll_no"},
		{"bad station", []VoterEntry{{RollNo: 8, StationID: "x"}}, "invalid_station_id"},
		{"empty batch", nil, "invalid_batch"},
		{"batch too large", make([]VoterEntry, MaxVoterBatch+1), "invalid_batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := calledWithVoters(t, 3)
			_, err := w.exec(RegisterVoters{ElectionAddr: ea, Voters: tt.batch})
			wantCode(t, err, tt.want)
		})
	}
}

func TestObjectionWindows(t *testing.T) {
	tests := []struct {
		name             string
		fileDay, decided int // days after publication, days after filing
		wantFile, want   string
	}{
		{"filed day 5, decided day 3", 5, 3, "", ""},
		{"filed day 6", 6, 0, "objection_too_late", ""},
		{"filed day 0, decided day 4", 0, 4, "", "objection_decided_too_late"},
		{"filed day 1, decided same day", 1, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := calledWithVoters(t, 10)
			w.now = at(electionDay, -25)
			w.must(t, PublishRoll{ElectionAddr: ea})
			w.now = at(electionDay, -25+tt.fileDay)
			_, err := w.exec(FileRollObjection{ElectionAddr: ea, ObjectionID: "o1", Claim: ClaimAdd, RollNo: 19, StationID: stationA})
			wantCode(t, err, tt.wantFile)
			if err != nil {
				return
			}
			w.now = at(electionDay, -25+tt.fileDay+tt.decided)
			_, err = w.exec(DecideRollObjection{ElectionAddr: ea, ObjectionID: "o1", Upheld: true})
			wantCode(t, err, tt.want)
			if got, want := w.election().Registered(), 10; err == nil && got != want+1 {
				t.Errorf("registered = %d, want %d", got, want+1)
			}
		})
	}
}

func TestObjectionRemovesEntryAndItsProxy(t *testing.T) {
	w := calledWithVoters(t, 10)
	w.now = at(electionDay, -25)
	w.must(t, PublishRoll{ElectionAddr: ea})
	w.must(t, RegisterProxy{ElectionAddr: ea, PrincipalRollNo: 1, HolderRollNo: 2, Relation: RelationSpouse, Written: true})
	w.must(t, FileRollObjection{ElectionAddr: ea, ObjectionID: "o1", Claim: ClaimRemove, RollNo: 2})
	w.must(t, DecideRollObjection{ElectionAddr: ea, ObjectionID: "o1", Upheld: true})
	e := w.election()
	if got, want := e.Registered(), 9; got != want {
		t.Errorf("registered = %d, want %d", got, want)
	}
	if len(e.Proxies) != 0 || len(e.ProxyHolders) != 0 {
		t.Errorf("proxies = %v / %v, want none", e.Proxies, e.ProxyHolders)
	}
}

func TestProxyRules(t *testing.T) {
	type proxy struct{ principal, holder int }
	tests := []struct {
		name     string
		before   []proxy
		cmd      RegisterProxy
		daysLeft int
		want     string
	}{
		{"first proxy", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 10, Relation: RelationChild, Written: true}, 5, ""},
		{"third proxy", []proxy{{1, 10}, {2, 10}}, RegisterProxy{PrincipalRollNo: 3, HolderRollNo: 10, Relation: RelationSibling, Written: true}, 5, ""},
		{"the 4th proxy", []proxy{{1, 10}, {2, 10}, {3, 10}}, RegisterProxy{PrincipalRollNo: 4, HolderRollNo: 10, Relation: RelationParent, Written: true}, 5, "proxy_limit_exceeded"},
		{"not written", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 10, Relation: RelationChild}, 5, "proxy_not_written"},
		{"not a near relative", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 10, Relation: "neighbour", Written: true}, 5, "not_near_relative"},
		{"holder not on roll", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 99, Relation: RelationChild, Written: true}, 5, "not_on_roll"},
		{"holder re-delegates", []proxy{{1, 10}}, RegisterProxy{PrincipalRollNo: 10, HolderRollNo: 11, Relation: RelationChild, Written: true}, 5, "redelegation"},
		{"principal holds", []proxy{{1, 10}}, RegisterProxy{PrincipalRollNo: 2, HolderRollNo: 1, Relation: RelationChild, Written: true}, 5, "redelegation"},
		{"delegated twice", []proxy{{1, 10}}, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 11, Relation: RelationChild, Written: true}, 5, "already_delegated"},
		{"day before election day", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 10, Relation: RelationSpouse, Written: true}, 1, ""},
		{"on election day", nil, RegisterProxy{PrincipalRollNo: 1, HolderRollNo: 10, Relation: RelationSpouse, Written: true}, 0, "proxy_too_late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := calledWithVoters(t, 12)
			for _, p := range tt.before {
				w.must(t, RegisterProxy{ElectionAddr: ea, PrincipalRollNo: p.principal, HolderRollNo: p.holder, Relation: RelationChild, Written: true})
			}
			w.now = at(electionDay, -tt.daysLeft)
			tt.cmd.ElectionAddr = ea
			_, err := w.exec(tt.cmd)
			wantCode(t, err, tt.want)
		})
	}
}

func TestCompetitiveCandidateList(t *testing.T) {
	tests := []struct {
		candidates int
		want       string
	}{
		{3, "not_competitive"},
		{4, ""},
	}
	for _, tt := range tests {
		t.Run(cand(tt.candidates), func(t *testing.T) {
			w := calledWithVoters(t, 3)
			for i := 1; i <= tt.candidates; i++ {
				w.must(t, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
			}
			_, err := w.exec(PublishCandidates{ElectionAddr: ea})
			wantCode(t, err, tt.want)
			if err == nil {
				_, err = w.exec(NominateCandidate{ElectionAddr: ea, CandidateID: "late", Name: "某"})
				wantCode(t, err, "nominations_closed")
			}
		})
	}
}
