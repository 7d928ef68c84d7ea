package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
)

func openStore(t *testing.T) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exec(t *testing.T, l *app.Ledger, cmd domain.Command, at time.Time, wantCode string) app.Outcome {
	t.Helper()
	out, err := l.Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String(), Actor: "clerk", OccurredAt: at})
	if wantCode == "" && err != nil {
		t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	if wantCode != "" {
		de, ok := domain.AsError(err)
		if !ok || de.Code != wantCode {
			t.Fatalf("%s: got %v, want code %s", cmd.CommandType(), err, wantCode)
		}
	}
	return out
}

var cst = domain.ChinaTime()

// TestOccurredOutOfOrderAfterReload: the aggregate's latest occurred time
// is read back from the log, so a node that did not record the earlier
// command refuses a later one dated before it.
func TestOccurredOutOfOrderAfterReload(t *testing.T) {
	s := openStore(t)
	ca := domain.ConsultationAddr{ConsultationID: ulid.Make().String(), Region: "220102001001"}
	exec(t, app.New(s, app.Config{}), domain.ProposeTopic{ConsultationAddr: ca, Topic: "加装电梯", ProposedBy: domain.ProposerCommittee},
		time.Date(2026, 11, 11, 9, 0, 0, 0, cst), "")
	cold := app.New(s, app.Config{})
	asked := domain.ConsultResidents{ConsultationAddr: ca, Asked: 40, Opinions: 30, Summary: "多数支持"}
	exec(t, cold, asked, time.Date(2026, 11, 1, 9, 0, 0, 0, cst), "occurred_out_of_order")
	exec(t, cold, asked, time.Date(2026, 11, 12, 9, 0, 0, 0, cst), "")
}

// TestEvidenceCitesRecordedEvents: evidence names a recorded event of the
// inspection's region; an event ID that was never recorded is refused.
func TestEvidenceCitesRecordedEvents(t *testing.T) {
	s := openStore(t)
	l := app.New(s, app.Config{MaxFuture: -1})
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, cst)
	ea := domain.ElectionAddr{ElectionID: ulid.Make().String(), Region: "220102001001"}
	called := exec(t, l, domain.CallElection{ElectionAddr: ea, Committee: domain.CommitteeVillagers, Seats: 5,
		ElectionDay: "2026-05-01", ElectionCommittee: []string{"主任 王某"}}, t0, "")
	ia := domain.InspectionAddr{InspectionID: ulid.Make().String(), Region: "220102001"}
	exec(t, l, domain.OpenInspection{InspectionAddr: ia, Title: "选举排查", Inspectors: []string{"刘某"},
		Scope: domain.Scope{Kind: domain.ScopeElection, ID: ea.ElectionID, Region: ea.Region}}, t0.Add(time.Hour), "")
	exec(t, l, domain.AttachEvidence{InspectionAddr: ia, EvidenceID: "ev1", EventID: ulid.Make().String(), Description: "选举公告"}, t0.Add(2*time.Hour), "event_not_found")
	exec(t, l, domain.AttachEvidence{InspectionAddr: ia, EvidenceID: "ev1", EventID: called.Events[0].EventID, Description: "选举公告"}, t0.Add(2*time.Hour), "")
}
