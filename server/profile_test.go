package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// TestOnlyAdminRegistersProfiles repeats the attack of a supervisor who
// loosens the law: rules in a call are refused, a supervisor may not
// register a profile, and an admin's profile below a floor is refused with
// rules_below_law naming it; an election then names the admin's profile.
func TestOnlyAdminRegistersProfiles(t *testing.T) {
	e := newEnv(t, Options{})
	sup := e.token(RoleSupervisor, "supervisor", "2201")
	call := map[string]any{"election_id": ulid.Make().String(), "region": village, "committee": "villagers", "seats": 3,
		"election_day": time.Now().In(chinaTZ).AddDate(0, 2, 0).Format(time.DateOnly), "election_committee": []string{"a"}}
	loose := map[string]any{"validity": map[string]any{"num": 1, "den": 10}, "mobile_box_min_scrutineers": 1}

	r := e.command(sup, "call_election", with(call, "rules", loose))
	if p := r.problem(t); r.Status != 422 || p.Code != "rules_in_profile" {
		t.Fatalf("call with rules: %d %s", r.Status, r.Body)
	}
	profile := map[string]any{"profile_id": ulid.Make().String(), "region": "22", "name": "吉林 test",
		"committee": "villagers", "source": "test", "rules": map[string]any{"roll_publish_days": 25}}
	if r := e.command(sup, "register_profile", profile); r.Status != http.StatusForbidden {
		t.Fatalf("supervisor registered a profile: %d %s", r.Status, r.Body)
	}
	r = e.command(e.admin, "register_profile", with(profile, "profile_id", ulid.Make().String(), "rules", loose))
	if p := r.problem(t); r.Status != 422 || p.Code != "rules_below_law" || !strings.Contains(p.Rule, "mobile_box_min_scrutineers") {
		t.Fatalf("loose profile: %d %s", r.Status, r.Body)
	}
	if r := e.command(e.admin, "register_profile", profile); r.Status != http.StatusCreated {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	if r := e.command(sup, "call_election", with(call, "profile", profile["profile_id"])); r.Status != http.StatusCreated {
		t.Fatalf("call naming the profile: %d %s", r.Status, r.Body)
	}
}
