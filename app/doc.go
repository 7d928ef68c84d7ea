// Package app is the ledger's command path: it loads an aggregate's state
// (and the states its command reads), asks domain.Decide, appends the
// events with the event store's optimistic concurrency, and folds them into
// a bounded cache of states. HTTP handlers, the command line and the
// scenario all record through it; nothing writes events another way.
package app
