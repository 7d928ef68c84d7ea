// Package eventstore records the ledger's immutable events.
//
// The NATS JetStream stream is the log of record: one message per command,
// holding all the events of that command, with the command ID as its
// message ID (idempotency). Appends to one aggregate are serialized in the
// process, and each checks the expected version against the aggregate's
// head (optimistic concurrency). When other processes may publish too (a
// shared stream: the nodes of a cluster), or the head was read back rather
// than left by this node's own acknowledged publish, the message also
// carries the aggregate's expected last subject sequence, so that
// JetStream itself refuses a stale one.
//
// Ingest applies the stream to Pebble in global order: the events by
// position, indexes by aggregate (whose last entry is the aggregate's
// head), command ID, region and actor, whatever the registered Appliers
// add (read models, Merkle tree nodes) and the checkpoint, all in one
// batch. An ordered consumer delivers the stream until ingest has caught
// up; from then on a node that does not share its stream takes its own
// messages from their acknowledgements and reads from the stream only the
// sequences those skip over (own.go says why). Batches are committed with
// pebble.NoSync and one syncer goroutine makes them durable with a single
// fsync (db.LogData(nil, pebble.Sync)) that covers every batch before it,
// so that concurrent appends share Pebble's group commit.
//
// Append returns only when the command's message is in JetStream and ingest
// has made it durable in Pebble: an acknowledgement means durable.
//
// # Canonical encoding, version 1
//
// Each event's hash is SHA-256 over its canonical encoding, which is also
// the form events are stored in Pebble. Version 1 is:
//
//	"ledger-event-v1\n"
//	then, in this order, each field as a uvarint byte length followed by its bytes:
//	  event ID (26-char ULID), event type, schema version (decimal),
//	  aggregate kind, aggregate ID, aggregate version (decimal),
//	  region code, recorded-at and occurred-at (RFC 3339 UTC with nanoseconds,
//	  empty when zero), actor, command ID, correlation ID, causation ID,
//	  payload (the JSON bytes exactly as recorded), previous hash (32 bytes,
//	  all zero for an aggregate's first event).
//
// The hash of an aggregate's event N is the previous hash of its event N+1:
// a per-aggregate hash chain that any reader can check.
//
// # Subjects
//
// An aggregate's messages are published on
//
//	<prefix>.<province>.<city>.<county>.<township>.<village>.<kind>.<id>
//
// where missing region levels are "_". So "ledger.ev.22.2201.>" selects a
// city and "ledger.ev.*.*.*.*.*.station.>" every polling station. Headers
// carry the CloudEvents attributes (NATS protocol binding); see message.go.
package eventstore
