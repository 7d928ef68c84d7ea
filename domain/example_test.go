package domain_test

import (
	"fmt"
	"time"

	"ledger/domain"
)

// Example shows one command's path: decode, load related states, Decide, Evolve.
func Example() {
	const region = "220102001001"
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"election_id":"01J00000000000000000000001","region":"` + region + `",
		"committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["王某"],"rules":{}}`)
	cmd, err := domain.DecodeCommand("call_election", body)
	if err != nil {
		panic(err)
	}
	st := domain.NewState(cmd.Target())
	evs, err := domain.Decide(st, cmd, domain.Env{Now: now})
	if err != nil {
		panic(err)
	}
	for _, ev := range evs {
		st = domain.Evolve(st, ev)
	}
	e := st.(*domain.Election)
	fmt.Println(evs[0].EventType(), e.Seats, e.Rules.RollPublishDays, e.Rules.MaxProxiesPerHolder)

	_, err = domain.Decide(st, domain.PublishRoll{ElectionAddr: domain.ElectionAddr{ElectionID: e.ID, Region: region}}, domain.Env{Now: now})
	fmt.Println(err)
	// Output:
	// election.called 5 20 3
	// domain: roll_empty: the roll is empty
}
