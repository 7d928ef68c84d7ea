// Package history reads the past of the log: the audit trail (who recorded
// what, when, from which command), an aggregate's state as of a moment
// (AsOf: a log position, a time on a Clock, or both), and replay with each
// event's hash and its aggregate's hash chain checked.
//
// It has one fold (Fold, Evolve) from recorded events to domain state,
// used by StateAt, by the read models that need an aggregate's state, and
// by the CLI's replay. It reads through eventstore's API only and writes
// nothing.
package history
