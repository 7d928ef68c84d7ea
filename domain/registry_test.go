package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestRegistriesSortedAndNamed(t *testing.T) {
	evs := EventTypes()
	if !slices.IsSortedFunc(evs, func(a, b Event) int { return strings.Compare(a.EventType(), b.EventType()) }) {
		t.Error("EventTypes not sorted")
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		typ := ev.EventType()
		kind, _, ok := strings.Cut(typ, ".")
		if !ok || NewState(AggregateRef{Kind: AggregateKind(kind)}) == nil || seen[typ] {
			t.Errorf("event type %q: want unique <kind>.<name>", typ)
		}
		seen[typ] = true
	}
	cmds := CommandTypes()
	if !slices.IsSortedFunc(cmds, func(a, b Command) int { return strings.Compare(a.CommandType(), b.CommandType()) }) {
		t.Error("CommandTypes not sorted")
	}
	for _, c := range cmds {
		name := c.CommandType()
		if strings.IndexFunc(name, func(r rune) bool { return r != '_' && !unicode.IsLower(r) }) >= 0 || seen[name] {
			t.Errorf("command type %q: want unique snake_case", name)
		}
		seen[name] = true
	}
}

// TestEventRoundTrip encodes every event type and decodes it back.
func TestEventRoundTrip(t *testing.T) {
	for _, ev := range EventTypes() {
		t.Run(ev.EventType(), func(t *testing.T) {
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEvent(ev.EventType(), b)
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if got.EventType() != ev.EventType() {
				t.Errorf("got %s, want %s", got.EventType(), ev.EventType())
			}
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name, typ, body, want string
	}{
		{"valid", "check_in", `{"station_id":"x","election_id":"y","region":"220102001001","roll_no":1,"mode":"in_person"}`, ""},
		{"unknown field", "check_in", `{"roll_no":1,"name":"张三"}`, "invalid_json"},
		{"trailing data", "close_polls", `{} {}`, "invalid_json"},
		{"not json", "close_polls", `{`, "invalid_json"},
		{"unknown command", "vote_twice", `{}`, "unknown_command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCommand(tt.typ, []byte(tt.body))
			wantCode(t, err, tt.want)
		})
	}
	_, err := DecodeEvent("station.ballot_recorded", []byte(`{"round":1,"roll_no":5}`))
	wantCode(t, err, "invalid_json")
	_, err = DecodeEvent("nope", []byte(`{}`))
	wantCode(t, err, "unknown_event")
}

func TestDecideRejectsBadRefs(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"bad id", PublishRoll{ElectionAddr{ElectionID: "nope", Region: village}}, "invalid_id"},
		{"bad region", PublishRoll{ElectionAddr{ElectionID: electionID, Region: "22x"}}, "invalid_region"},
		{"election above village level", PublishRoll{ElectionAddr{ElectionID: electionID, Region: "220102"}}, "region_not_village"},
		{"not found", PublishRoll{ea}, "election_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decide(nil, tt.cmd, Env{})
			wantCode(t, err, tt.want)
		})
	}
	_, err := Decide(&Station{}, PublishRoll{ea}, Env{})
	wantCode(t, err, "wrong_aggregate")
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add("check_in", []byte(`{"station_id":"01J00000000000000000000101","election_id":"01J00000000000000000000001","region":"220102001001","roll_no":1,"mode":"in_person"}`))
	f.Add("record_ballot", []byte(`{"station_id":"01J00000000000000000000101","election_id":"01J00000000000000000000001","region":"220102001001","round":1,"candidates":["c1"],"write_ins":["赵某"]}`))
	f.Add("register_voters", []byte(`{"election_id":"01J00000000000000000000001","region":"220102001001","voters":[{"roll_no":1,"station_id":"01J00000000000000000000101"}]}`))
	f.Add("call_election", []byte(`{"election_id":"01J00000000000000000000001","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["王某"],"rules":{"validity":{"num":1,"den":2,"strict":true}}}`))
	f.Add("declare_result", []byte(`{"election_id":"01J00000000000000000000001","region":"220102001001","round":1,"station_ids":["01J00000000000000000000101"]}`))
	f.Add("publish_notice", []byte(`{"consultation_id":"01J00000000000000000000201","region":"220102001001","content":"x","place":"y","meeting_at":"2026-05-01T09:00:00+08:00"}`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		cmd, err := DecodeCommand(typ, body)
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		_ = cmd.Target()
		_ = cmd.Related()
		// Decide on an empty state must not panic either.
		_, _ = Decide(NewState(cmd.Target()), cmd, Env{})
	})
}

// FuzzDecodeEvent decodes event payloads from outside and applies them to
// fresh states of every kind: never a panic.
func FuzzDecodeEvent(f *testing.F) {
	f.Add("station.voter_checked_in", []byte(`{"round":1,"roll_no":5,"mode":"in_person","at":"2026-05-01T09:00:00+08:00"}`))
	f.Add("station.ballot_recorded", []byte(`{"round":1,"candidates":["c1"]}`))
	f.Add("election.called", []byte(`{"committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["王某"],"rules":{},"at":"2026-04-01T09:00:00Z"}`))
	f.Add("election.round_declared", []byte(`{"round":1,"elected":[{"id":"c1","name":"x","round":1,"votes":3}]}`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		ev, err := DecodeEvent(typ, payload)
		if err != nil {
			return
		}
		for _, k := range []AggregateKind{KindElection, KindStation, KindConsultation, KindInspection} {
			st := NewState(AggregateRef{Kind: k})
			st = Evolve(st, ev)
			Evolve(st, ev)
		}
	})
}
