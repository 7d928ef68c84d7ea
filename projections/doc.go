// Package projections holds the ledger's read models and the runner that
// keeps them up to date.
//
// A read model is folded from the global event log into Pebble keys under
// the prefix 'p' (eventstore reserves it for projections). Each read model
// is one [eventstore.Applier]: the store's ingest goroutine calls it with
// the indexed batch that also holds the events, so its changes and its
// checkpoint (the last log position applied) commit atomically with them.
// An applier skips events at or below its checkpoint and, when it finds a
// gap (a read model added to an existing log), first catches up from the
// log, so a crash never applies an event twice or skips one.
//
// The read models:
//
//	turnout  registered voters and check-ins by station, election and region
//	         level, turnout and validity, check-ins per 15 minutes
//	results  ballots cast, valid, blank and invalid per election and round,
//	         votes per candidate and write-in, who is elected, certification
//	recon    reconciliation of each ballot box: issued, returned, spoiled, flags
//	consult  consultations per community: meetings, participation, resolutions, tasks
//	superv   inspections, findings and rectification orders per region
//
// The audit trail and time travel are not read models: package history
// answers them from the event store's indexes. Read models read the log
// through eventstore's API (eventstore.Log) and never its keys.
//
// Wiring:
//
//	set := projections.New(projections.Options{})
//	store, err := eventstore.Open(ctx, eventstore.Config{Dir: dir, Appliers: set.Appliers()})
//	...
//	t, err := projections.RegionTurnout(store.DB(), "2201")
//
// The write side needs no *pebble.DB: it reads through the indexed batch it
// is given. Queries take a [pebble.Reader] (the store's DB) and are safe for
// concurrent use with ingest: they read committed Pebble state only, never
// the write side's cache. Queries never scan the log: each is a key lookup
// or a range read bounded by the size of its answer.
//
// Ballot secrecy: check-ins only increment counters (by station, election,
// region and 15-minute bucket) and ballots only increment tallies (by
// election, round and candidate, and by box): no key or value joins a voter
// to a ballot, and roll numbers are never written by any read model.
//
// [Rebuild] drops a read model's keys and replays the log from position 1.
// It must run while no store is ingesting into the same DB (for example
// from the CLI before the server starts).
package projections
