// Package domain holds the rules of community self-government as an
// event-sourced model: committee elections (villagers' and residents'
// committees and supervision committees), the polling stations and mobile
// ballot boxes of an election, community consultations (社区协商) and
// supervision actions (居务/村务监督, inspections).
//
// Four aggregate kinds exist (see [AggregateKind]). A client sends a
// [Command]; [Decide] reads the target aggregate's [State] (plus the states of
// [Command.Related], supplied by the caller in [Env]) and returns the events to
// append, or an [*Error] that names the broken rule. [Evolve] applies one event
// to a state. Both are pure: no I/O, no clock (time arrives in [Env.Now] and
// is copied into the events that need it).
//
// Ballot secrecy (DESIGN.md decision 8): a check-in names a voter by roll
// number; a ballot names no voter at all, and is recorded only after its box
// is closed. The station state keeps counts, never a link from voter to
// ballot. Personal data (decision 9): voters appear only as roll numbers
// within an election; names are written only for public persons (candidates,
// election committee members, scrutineers).
//
// A worked example, one check-in:
//
//	cmd, err := domain.DecodeCommand("check_in", body)
//	if err != nil { ... }                       // *domain.Error, code "invalid_json"
//	env := domain.Env{Now: now, Related: map[domain.AggregateRef]domain.State{}}
//	for _, ref := range cmd.Related() {
//		env.Related[ref] = load(ref)        // the election, for its roll and proxies
//	}
//	st := load(cmd.Target())                    // or domain.NewState(cmd.Target())
//	evs, err := domain.Decide(st, cmd, env)
//	if err != nil { ... }                       // e.g. code "already_checked_in"
//	for _, ev := range evs {
//		st = domain.Evolve(st, ev)          // mutates st: the caller owns it
//	}
//
// Thresholds of the law are configuration of an election ([Rules]) whose zero
// values mean the national defaults, so that a province can set variants.
package domain
