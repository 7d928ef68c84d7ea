package domain

import (
	"slices"
	"testing"
	"time"
)

var (
	consultationID = id(201)
	inspectionID   = id(301)
	township       = Region("220102001")
	ca             = ConsultationAddr{ConsultationID: consultationID, Region: village}
	ia             = InspectionAddr{InspectionID: inspectionID, Region: township}
)

func TestOverdueTasks(t *testing.T) {
	c := &Consultation{Tasks: []Task{
		{ID: "due-yesterday", Deadline: "2026-04-30"},
		{ID: "due-today", Deadline: "2026-05-01"},
		{ID: "done-late", Deadline: "2026-04-01", Done: true},
	}}
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"on the deadline nothing is overdue yet", at("2026-04-30", 0), nil},
		{"the day after", at("2026-05-01", 0), []string{"due-yesterday"}},
		{"later", at("2026-05-02", 0), []string{"due-yesterday", "due-today"}},
		{"23:30 UTC is the next day in China", time.Date(2026, 4, 30, 23, 30, 0, 0, time.UTC), []string{"due-yesterday"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, task := range c.OverdueTasks(tt.now) {
				got = append(got, task.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("overdue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConsultationQuorumAndMajority(t *testing.T) {
	tests := []struct {
		name         string
		present, yes int
		wantVote     string
		wantAdopted  bool
	}{
		{"exactly half present is no quorum", 10, 10, "no_quorum", false},
		{"quorum, exactly half of present for", 12, 6, "", false},
		{"quorum, majority of present", 12, 7, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(at("2026-03-01", 0))
			w.must(t, ProposeTopic{ConsultationAddr: ca, Topic: "停车", ProposedBy: ProposerCommittee})
			w.must(t, ConsultResidents{ConsultationAddr: ca, Asked: 50, Opinions: 30, Summary: "多数支持"})
			w.must(t, DetermineParticipants{ConsultationAddr: ca, Participants: []ParticipantCount{{"resident", 18}, {"owners_committee", 2}}})
			w.must(t, PublishNotice{ConsultationAddr: ca, Content: "停车方案", Place: "议事厅", MeetingAt: at("2026-03-04", 0)})
			w.now = at("2026-03-04", 0)
			w.must(t, HoldMeeting{ConsultationAddr: ca, Present: tt.present})
			evs, err := w.exec(VoteResolution{ConsultationAddr: ca, Text: "通过", For: tt.yes})
			wantCode(t, err, tt.wantVote)
			if err == nil && evs[0].(ResolutionVoted).Adopted != tt.wantAdopted {
				t.Errorf("adopted = %v, want %v", !tt.wantAdopted, tt.wantAdopted)
			}
		})
	}
}

func TestDisqualifiedMemberSeatIsVacated(t *testing.T) {
	w := elected3of10(t)
	vacate := VacateSeat{ElectionAddr: ea, MemberID: cand(2), InspectionID: inspectionID, InspectionRegion: township}
	_, err := w.exec(vacate)
	wantCode(t, err, "inspection_not_found")
	w.must(t, OpenInspection{InspectionAddr: ia, Title: "履职检查", Scope: Scope{Kind: ScopeMember, ID: electionID, Region: village, MemberID: cand(2)}, Inspectors: []string{"刘某"}})
	_, err = w.exec(vacate)
	wantCode(t, err, "not_disqualified")
	w.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingConduct, ElectionID: electionID, ElectionRegion: village, MemberID: cand(2), Summary: "受刑事处罚"})
	w.must(t, DisqualifyMember{InspectionAddr: ia, ElectionID: electionID, ElectionRegion: village, MemberID: cand(2), FindingID: "f1"})
	if len(w.followed) != 1 || w.followed[0].err != nil || w.followed[0].cmd.CommandType() != "vacate_seat" {
		t.Fatalf("follow-ups of the disqualification: %+v, want the seat vacated", w.followed)
	}
	if got := Offered(w.election()); !slices.Equal(got, []string{"call_by_election"}) {
		t.Errorf("offered %v, want call_by_election", got)
	}
	_, err = w.exec(vacate)
	wantCode(t, err, "member_not_found")
	if e := w.election(); e.IsMember(cand(2)) || e.Vacancies != 1 {
		t.Errorf("members %v vacancies %d, want c2 gone and one vacancy", e.Members, e.Vacancies)
	}
	w.must(t, CallByElection{ElectionAddr: ea, Seats: 1, Day: "2026-06-01"})
	checkReplay(t, w)
}

func TestSupervisorAppointment(t *testing.T) {
	supID := id(2)
	sup := ElectionAddr{ElectionID: supID, Region: village}
	tests := []struct {
		name string
		decl Declaration
		want string
	}{
		{"no ties", Declaration{}, ""},
		{"declares being a committee member", Declaration{CommitteeMember: true}, "committee_member"},
		{"near relative of a member", Declaration{RelativesOnCommittee: []string{cand(1)}}, "near_relative_of_committee_member"},
		{"relative who is no member is an unknown ID", Declaration{RelativesOnCommittee: []string{"someone-else"}}, "member_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := elected3of10(t)
			w.must(t, CallElection{ElectionAddr: sup, Committee: CommitteeSupervision, Seats: 3, ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
			se := w.states[sup.Target()].(*Election)
			se.Members = []Member{{ID: "s1", Name: "监督甲", Round: 1}} // as if elected
			_, err := w.exec(AppointSupervisor{ElectionAddr: sup, MemberID: "s1", CommitteeElectionID: electionID, Declaration: tt.decl})
			wantCode(t, err, tt.want)
		})
	}
}
