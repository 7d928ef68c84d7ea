// Package verifier checks the ledger's proofs with no access to the
// ledger: signed checkpoints (C2SP tlog-checkpoint in a signed note),
// inclusion proofs of events (receipts), consistency proofs between two
// checkpoints, and audit bundles.
//
// It imports only the standard library, package envelope, the RFC 6962
// Merkle proofs of github.com/transparency-dev/merkle and the signed notes
// of golang.org/x/mod/sumdb/note, so that an inspection team can build a
// verifier without the engine (no NATS, no Pebble). A test checks that.
//
// The tree is RFC 6962 over the global log: leaf i (0-based) is the event
// at position i+1, and its leaf data is the event's 32-byte hash (SHA-256
// of its canonical encoding).
package verifier
