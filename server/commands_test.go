package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
)

func TestCheckInRecordsActorAndReplays(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 3)
	sup := e.token(RoleSupervisor, "监票人 张三", "2201")
	id := ulid.Make().String()
	first := e.do(http.MethodPost, CommandPath("check_in"), sup, el.checkIn(1), "Idempotency-Key", id)
	if first.Status != http.StatusCreated {
		t.Fatalf("check_in: %d %s", first.Status, first.Body)
	}
	var got CommandResponse
	first.json(t, &got)
	if len(got.Events) != 1 || got.Events[0].Actor != "监票人 张三" || got.Events[0].Type != "station.voter_checked_in" {
		t.Fatalf("events: %+v", got.Events)
	}
	again := e.do(http.MethodPost, CommandPath("check_in"), sup, el.checkIn(1), "Idempotency-Key", id)
	var replay CommandResponse
	again.json(t, &replay)
	if again.Status != http.StatusOK || !replay.Duplicate || replay.FirstPosition != got.FirstPosition ||
		again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", again.Status, again.Body)
	}
	other := e.do(http.MethodPost, CommandPath("check_in"), sup, el.checkIn(2), "Idempotency-Key", id)
	if p := other.problem(t); other.Status != http.StatusUnprocessableEntity || p.Code != "command_id_reused" {
		t.Fatalf("same ID, other body: %d %s", other.Status, other.Body)
	}
	twice := e.command(sup, "check_in", el.checkIn(1))
	if p := twice.problem(t); twice.Status != http.StatusConflict || p.Code != "already_checked_in" || p.ZH == "" || p.EN == "" {
		t.Fatalf("second check-in: %d %s", twice.Status, twice.Body)
	}
	if ct := twice.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
}

func TestCommandErrors(t *testing.T) {
	e := newEnv(t, Options{MaxBodyBytes: 2048})
	el := e.openElection(village, 2)
	tests := []struct {
		name     string
		ct       string
		body     any
		headers  []string
		wantCode int
		wantErr  string
	}{
		{"unknown field", "check_in", with(el.checkIn(1), "ballot", "c1"), nil, 400, "invalid_json"},
		{"trailing data", "check_in", []byte(`{"roll_no":1} {}`), nil, 400, "invalid_json"},
		{"empty body", "check_in", []byte(``), nil, 400, "invalid_request"},
		{"not on roll", "check_in", el.checkIn(99), nil, 404, "not_on_roll"},
		{"bad mode", "check_in", with(el.checkIn(1), "mode", "postal"), nil, 422, "invalid_mode"},
		{"rule", "call_election", with(el.addr(), "election_id", ulid.Make().String(), "committee", "villagers", "seats", 11,
			"election_day", "2099-01-01", "election_committee", []string{"a"}), nil, 422, "seats_out_of_range"},
		{"too large", "check_in", with(el.checkIn(1), "mode", strings.Repeat("x", 4096)), nil, 413, "body_too_large"},
		{"bad occurred-at", "check_in", el.checkIn(1), []string{"Occurred-At", "yesterday"}, 400, "invalid_occurred_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.command(e.admin, tt.ct, tt.body, tt.headers...)
			p := r.problem(t)
			if r.Status != tt.wantCode || p.Code != tt.wantErr || p.Status != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tt.wantCode, tt.wantErr)
			}
		})
	}
	t.Run("no command ID", func(t *testing.T) {
		r := e.do(http.MethodPost, CommandPath("check_in"), e.admin, el.checkIn(1))
		if p := r.problem(t); r.Status != 400 || p.Code != "command_id_required" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("rule named", func(t *testing.T) {
		r := e.command(e.admin, "call_election", with(el.addr(), "election_id", ulid.Make().String(), "committee", "villagers",
			"seats", 11, "election_day", "2099-01-01", "election_committee", []string{"a"}))
		if p := r.problem(t); !strings.Contains(p.Rule, "村民委员会组织法") {
			t.Fatalf("rule %q", p.Rule)
		}
	})
}

func TestOverloadAnswers503(t *testing.T) {
	e := newEnv(t, Options{MaxInFlightWrites: 1, WriteQueueWait: 1})
	el := e.openElection(village, 2)
	e.srv.writes <- struct{}{} // hold the only slot
	r := e.command(e.admin, "check_in", el.checkIn(1))
	<-e.srv.writes
	if p := r.problem(t); r.Status != http.StatusServiceUnavailable || p.Code != "overloaded" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("got %d %s %v", r.Status, r.Body, r.Header)
	}
	if r := e.command(e.admin, "check_in", el.checkIn(1)); r.Status != http.StatusCreated {
		t.Fatalf("after: %d %s", r.Status, r.Body)
	}
}

// TestDiskFullRefusesWrites: with less free space than required, a write
// is refused with 507, a code and Retry-After, before anything is written;
// when the requirement is met again, writes resume.
func TestDiskFullRefusesWrites(t *testing.T) {
	e := newEnv(t, Options{})
	el := e.openElection(village, 2)
	_, before := e.n.Store.Position()
	e.srv.disk = &diskGuard{dir: e.n.Config.DataDir, minFree: 1 << 62} // more than any disk has
	r := e.command(e.admin, "check_in", el.checkIn(1))
	if p := r.problem(t); r.Status != http.StatusInsufficientStorage || p.Code != "disk_full" || p.ZH == "" || p.EN == "" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("got %d %s %v", r.Status, r.Body, r.Header)
	}
	if _, after := e.n.Store.Position(); after != before {
		t.Fatalf("a refused write moved the log from %d to %d", before, after)
	}
	e.srv.disk = &diskGuard{dir: e.n.Config.DataDir, minFree: 1 << 20}
	if r := e.command(e.admin, "check_in", el.checkIn(1)); r.Status != http.StatusCreated {
		t.Fatalf("after space returned: %d %s", r.Status, r.Body)
	}
}
