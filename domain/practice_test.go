package domain

import (
	"testing"
	"time"
)

// consultationHeld returns a consultation with 18 residents and 2 owners'
// committee members, held on 2026-03-04 09:00 with 15 present.
func consultationHeld(t *testing.T) *world {
	t.Helper()
	w := newWorld(at("2026-03-01", 0))
	w.must(t, ProposeTopic{ConsultationAddr: ca, Topic: "停车", ProposedBy: ProposerCommittee})
	w.must(t, ConsultResidents{ConsultationAddr: ca, Asked: 50, Opinions: 30, Summary: "多数支持"})
	w.must(t, DetermineParticipants{ConsultationAddr: ca, Participants: []ParticipantCount{{"resident", 18}, {"owners_committee", 2}}})
	w.must(t, PublishNotice{ConsultationAddr: ca, Content: "停车方案", Place: "议事厅", MeetingAt: at("2026-03-04", 0)})
	w.now = at("2026-03-04", 0)
	w.must(t, HoldMeeting{ConsultationAddr: ca, Present: 15})
	return w
}

func TestOccurredTimesNeverGoBackwards(t *testing.T) {
	w := consultationHeld(t)
	w.must(t, VoteResolution{ConsultationAddr: ca, Text: "通过停车方案", For: 12})
	w.now = at("2026-11-11", 0)
	w.must(t, AssignTask{ConsultationAddr: ca, TaskID: "t1", Title: "划线", Owner: "物业", Deadline: "2026-12-01"})
	w.now = at("2026-11-01", 0) // completed "before" it was assigned
	_, err := w.exec(CompleteTask{ConsultationAddr: ca, TaskID: "t1", Note: "已划线"})
	wantCode(t, err, "occurred_out_of_order")
	w.now = at("2026-11-11", 0) // the same moment is not backwards
	w.must(t, CompleteTask{ConsultationAddr: ca, TaskID: "t1", Note: "已划线"})

	// A station is exempt: desks upload check-ins concurrently.
	p := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	p.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
	p.now = at(electionDay, 0).Add(time.Hour)
	p.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 1, Mode: ModeInPerson})
	p.now = at(electionDay, 0).Add(30 * time.Minute)
	p.must(t, CheckIn{StationAddr: sa(stationA), RollNo: 2, Mode: ModeInPerson})
}

func TestLateEntry(t *testing.T) {
	occurred := time.Date(2026, 11, 6, 14, 30, 0, 0, chinaTime)
	tests := []struct {
		name     string
		recorded time.Time
		want     bool
	}{
		{"on the spot", occurred.Add(5 * time.Minute), false},
		{"an hour later is still on the spot", occurred.Add(time.Hour), false},
		{"from paper the next day", occurred.AddDate(0, 0, 1), true},
	}
	for _, tt := range tests {
		if got := IsLate(occurred, tt.recorded); got != tt.want {
			t.Errorf("%s: IsLate = %v, want %v", tt.name, got, tt.want)
		}
	}
	if IsLate(time.Time{}, occurred) {
		t.Error("an event without occurred-at is late")
	}
}

func TestParseTimeTakesChinaTimeWithoutOffset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-10T14:00", time.Date(2026, 11, 10, 6, 0, 0, 0, time.UTC)},
		{"2026-11-10 14:30", time.Date(2026, 11, 10, 6, 30, 0, 0, time.UTC)},
		{"2026-11-10", time.Date(2026, 11, 9, 16, 0, 0, 0, time.UTC)},
		{"2026-11-10T14:00:00Z", time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)},
		{"2026-11-10T14:00:00+08:00", time.Date(2026, 11, 10, 6, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, village.Zone())
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	_, err := ParseTime("10/11/2026", village.Zone())
	wantCode(t, err, "invalid_time")
	if got := FormatLocal(time.Date(2026, 11, 10, 6, 30, 0, 0, time.UTC)); got != "2026-11-10T14:30:00+08:00" {
		t.Errorf("FormatLocal = %s", got)
	}
}

func TestMeetingAtWithoutOffsetIsChinaTime(t *testing.T) {
	w := newWorld(at("2026-11-01", 0))
	w.must(t, ProposeTopic{ConsultationAddr: ca, Topic: "停车", ProposedBy: ProposerCommittee})
	w.must(t, ConsultResidents{ConsultationAddr: ca, Asked: 50, Opinions: 30, Summary: "多数支持"})
	w.must(t, DetermineParticipants{ConsultationAddr: ca, Participants: []ParticipantCount{{"resident", 18}}})
	meeting, _ := ParseTime("2026-11-10T14:00", village.Zone())
	w.must(t, PublishNotice{ConsultationAddr: ca, Content: "停车方案", Place: "议事厅", MeetingAt: meeting})
	w.now, _ = ParseTime("2026-11-10T14:30:00+08:00", nil)
	w.must(t, HoldMeeting{ConsultationAddr: ca, Present: 10}) // half an hour after the announced 14:00
}

func TestBlankTextRefused(t *testing.T) {
	for _, s := range []string{"", "   ", "\u3000\u3000", "\n\t", "a\x00b"} {
		if ValidText(s) {
			t.Errorf("ValidText(%q) = true", s)
		}
	}
	if !ValidText("同意\n附意见") {
		t.Error("ValidText refuses a two-line text")
	}
	w := consultationHeld(t)
	_, err := w.exec(RecordOpinion{ConsultationAddr: ca, Category: "resident", Summary: "   "})
	wantCode(t, err, "invalid_opinion")
}

func TestReferencesChecked(t *testing.T) {
	otherElection := id(9)
	tests := []struct {
		name string
		cmd  func(w *world) Command
		want string
	}{
		{"inspection of an election that does not exist", func(*world) Command {
			return OpenInspection{InspectionAddr: ia, Title: "排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeElection, ID: otherElection, Region: village}}
		}, "election_not_found"},
		{"inspection of an election outside its region", func(*world) Command {
			return OpenInspection{InspectionAddr: ia, Title: "排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeElection, ID: electionID, Region: "220103001001"}}
		}, "scope_out_of_region"},
		{"inspection of a member who is not one", func(*world) Command {
			return OpenInspection{InspectionAddr: ia, Title: "排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeMember, ID: electionID, Region: village, MemberID: "c9"}}
		}, "member_not_found"},
		{"evidence citing no recorded event", func(w *world) Command {
			w.openInspection(t)
			return AttachEvidence{InspectionAddr: ia, EvidenceID: "ev1", EventID: id(9001), Description: "计票记录"}
		}, "event_not_found"},
		{"evidence citing an event of another region", func(w *world) Command {
			w.openInspection(t)
			w.cited[id(9002)] = CitedEvent{Aggregate: AggregateRef{Kind: KindElection, ID: otherElection, Region: "230102001001"}, Type: "election.called"}
			return AttachEvidence{InspectionAddr: ia, EvidenceID: "ev1", EventID: id(9002), Description: "计票记录"}
		}, "evidence_out_of_region"},
		{"evidence citing a recorded event", func(w *world) Command {
			w.openInspection(t)
			w.cited[id(9003)] = CitedEvent{Aggregate: ea.Target(), Type: "election.result_announced"}
			return AttachEvidence{InspectionAddr: ia, EvidenceID: "ev1", EventID: id(9003), Description: "计票记录"}
		}, ""},
		{"finding about a member who does not exist", func(w *world) Command {
			w.openInspection(t)
			return RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingConduct, ElectionID: electionID, ElectionRegion: village, MemberID: "c9", Summary: "违纪"}
		}, "member_not_found"},
		{"finding about an election that does not exist", func(w *world) Command {
			w.openInspection(t)
			return RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingFraud, ElectionID: otherElection, ElectionRegion: village, Summary: "贿选"}
		}, "election_not_found"},
		{"disqualification of a member who does not exist", func(w *world) Command {
			w.openInspection(t)
			w.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingConduct, Summary: "违纪"})
			w.states[ia.Target()].(*Inspection).Findings["f1"].MemberID = "c9" // as a finding recorded before references were checked
			return DisqualifyMember{InspectionAddr: ia, ElectionID: electionID, ElectionRegion: village, MemberID: "c9", FindingID: "f1"}
		}, "member_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := elected3of10(t)
			w.now = at("2026-05-20", 0)
			_, err := w.exec(tt.cmd(w))
			wantCode(t, err, tt.want)
		})
	}
}

func TestOpinionCategoryMustTakePart(t *testing.T) {
	w := consultationHeld(t)
	_, err := w.exec(RecordOpinion{ConsultationAddr: ca, Category: "expert", Summary: "建议分时段收费"})
	wantCode(t, err, "category_not_participating")
	w.must(t, RecordOpinion{ConsultationAddr: ca, Category: "owners_committee", Summary: "建议分时段收费"})
}

func (w *world) openInspection(t *testing.T) {
	t.Helper()
	w.must(t, OpenInspection{InspectionAddr: ia, Title: "排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeElection, ID: electionID, Region: village}})
}

func TestVoidedElectionSeatsNobody(t *testing.T) {
	w := elected3of10(t)
	w.now = at("2026-05-20", 0)
	w.openInspection(t)
	w.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingFraud, ElectionID: electionID, ElectionRegion: village, Summary: "贿选"})
	w.must(t, VoidResult{ElectionAddr: ea, InspectionID: inspectionID, InspectionRegion: township, FindingID: "f1", Reason: "以贿选手段当选"})
	if e := w.election(); len(e.Members) != 0 || e.IsMember(cand(1)) {
		t.Errorf("a voided election lists members %v", e.Members)
	}
	checkReplay(t, w)
}

func TestCertifyWithOpenFraudFinding(t *testing.T) {
	w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	vote(t, w, stationA, 1, 1, 10, repeat(10, cand(1), cand(2), cand(3)))
	if _, err := declare(w, 1, stationA); err != nil {
		t.Fatal(err)
	}
	w.must(t, AnnounceResult{ElectionAddr: ea})
	w.openInspection(t)
	w.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingFraud, ElectionID: electionID, ElectionRegion: village, Summary: "举报贿选"})
	if len(w.followed) != 1 || w.followed[0].err != nil {
		t.Fatalf("follow-ups %+v, want the finding flagged on the election", w.followed)
	}
	_, err := w.exec(CertifyResult{ElectionAddr: ea, CertifiedBy: "某街道办事处"})
	wantCode(t, err, "open_fraud_finding")
	evs := w.must(t, CertifyResult{ElectionAddr: ea, CertifiedBy: "某街道办事处", OverrideReason: "经核查举报不实，待检查结论"})
	got := evs[0].(ResultCertified)
	if got.OverrideReason == "" || len(got.OpenFraudFindings) != 1 {
		t.Errorf("certified %+v, want the override and the open finding recorded", got)
	}

	// Once the inspection is closed the flag is cleared.
	w2 := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
	vote(t, w2, stationA, 1, 1, 10, repeat(10, cand(1), cand(2), cand(3)))
	if _, err := declare(w2, 1, stationA); err != nil {
		t.Fatal(err)
	}
	w2.must(t, AnnounceResult{ElectionAddr: ea})
	w2.openInspection(t)
	w2.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingFraud, ElectionID: electionID, ElectionRegion: village, Summary: "举报贿选"})
	w2.must(t, CloseInspection{InspectionAddr: ia, Conclusion: "举报不实"})
	w2.must(t, CertifyResult{ElectionAddr: ea, CertifiedBy: "某街道办事处"})
	checkReplay(t, w2)
}

func TestReporterNeverReviews(t *testing.T) {
	w := elected3of10(t)
	w.now = at("2026-05-20", 0)
	w.openInspection(t)
	w.must(t, RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: FindingProcedure, Summary: "未公开"})
	w.must(t, OrderRectification{InspectionAddr: ia, OrderID: "o1", FindingID: "f1", Responsible: "村委会", Deadline: "2026-06-20"})
	w.actor = "inspector:刘某"
	w.must(t, ReportRectification{InspectionAddr: ia, OrderID: "o1", Report: "已公开"})
	_, err := w.exec(ReviewRectification{InspectionAddr: ia, OrderID: "o1", Accepted: true, Note: "同意"})
	wantCode(t, err, "reviewer_is_reporter")
	w.actor = "inspector:陈某"
	w.must(t, ReviewRectification{InspectionAddr: ia, OrderID: "o1", Accepted: true, Note: "同意"})
}

func TestRescheduleNoticedMeeting(t *testing.T) {
	w := newWorld(at("2026-03-01", 0))
	w.must(t, ProposeTopic{ConsultationAddr: ca, Topic: "停车", ProposedBy: ProposerCommittee})
	w.must(t, ConsultResidents{ConsultationAddr: ca, Asked: 50, Opinions: 30, Summary: "多数支持"})
	w.must(t, DetermineParticipants{ConsultationAddr: ca, Participants: []ParticipantCount{{"resident", 20}}})
	w.must(t, PublishNotice{ConsultationAddr: ca, Content: "停车方案", Place: "议事厅", MeetingAt: at("2026-03-04", 0)})
	w.now = at("2026-03-03", 0)
	_, err := w.exec(RescheduleMeeting{ConsultationAddr: ca, MeetingAt: at("2026-03-05", 0), Reason: "议事厅维修"})
	wantCode(t, err, "notice_too_late") // two days is no new notice period
	w.must(t, RescheduleMeeting{ConsultationAddr: ca, MeetingAt: at("2026-03-06", 0), Place: "文化站", Reason: "议事厅维修"})
	w.now = at("2026-03-04", 0)
	_, err = w.exec(HoldMeeting{ConsultationAddr: ca, Present: 15})
	wantCode(t, err, "meeting_too_early")
	w.now = at("2026-03-06", 0)
	w.must(t, HoldMeeting{ConsultationAddr: ca, Present: 15})
	_, err = w.exec(RescheduleMeeting{ConsultationAddr: ca, MeetingAt: at("2026-03-10", 0), Reason: "再议"})
	wantCode(t, err, "meeting_not_scheduled")
	if c := w.states[ca.Target()].(*Consultation); c.Place != "文化站" {
		t.Errorf("place %q, want the new place", c.Place)
	}
	checkReplay(t, w)
}

func TestRegionScopedInspection(t *testing.T) {
	w := newWorld(at("2026-05-20", 0))
	w.must(t, OpenInspection{InspectionAddr: ia, Title: "村务公开排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeRegion, Region: village}})
	ib := InspectionAddr{InspectionID: id(302), Region: township}
	w.must(t, OpenInspection{InspectionAddr: ib, Title: "村委会履职检查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeCommittee, Region: village}})
	ic := InspectionAddr{InspectionID: id(303), Region: township}
	_, err := w.exec(OpenInspection{InspectionAddr: ic, Title: "排查", Inspectors: []string{"刘某"}, Scope: Scope{Kind: ScopeRegion, Region: "220103"}})
	wantCode(t, err, "scope_out_of_region")
}

func TestPublicationAndOutcomeReview(t *testing.T) {
	w := consultationHeld(t)
	w.must(t, VoteResolution{ConsultationAddr: ca, Text: "通过停车方案", For: 12})
	_, err := w.exec(PostPublication{ConsultationAddr: ca, Subject: PostFeedback, Place: "社区公开栏", Start: "2026-03-04", Days: 7})
	wantCode(t, err, "nothing_to_publish")
	evs := w.must(t, PostPublication{ConsultationAddr: ca, Subject: PostResolution, Place: "社区公开栏", Start: "2026-03-04", Days: 7})
	if got := evs[0].(PublicationPosted).Until; got != "2026-03-10" {
		t.Errorf("until %s, want 2026-03-10", got)
	}
	_, err = w.exec(PostPublication{ConsultationAddr: ca, Subject: PostResolution, Place: " ", Start: "2026-03-04", Days: 7})
	wantCode(t, err, "invalid_publication")
	_, err = w.exec(ReviewOutcome{ConsultationAddr: ca, Satisfied: 30, Summary: "满意"})
	wantCode(t, err, "review_not_allowed")
	w.must(t, PublishFeedback{ConsultationAddr: ca, Content: "已落实"})
	evs = w.must(t, ReviewOutcome{ConsultationAddr: ca, Satisfied: 30, BasicSatisfied: 10, Dissatisfied: 5, Summary: "多数满意"})
	if !evs[0].(OutcomeReviewed).Approved {
		t.Error("40 of 45 satisfied is not approved")
	}
	_, err = w.exec(ReviewOutcome{ConsultationAddr: ca, Satisfied: 30, Summary: "满意"})
	wantCode(t, err, "review_not_allowed")
	checkReplay(t, w)
}
