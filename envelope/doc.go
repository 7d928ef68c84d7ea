// Package envelope defines the recorded event as everyone outside the
// engine sees it: the Envelope, its canonical encoding (version 1) and its
// SHA-256 hash, a zero-copy View of a canonical encoding, and the wire
// types of the HTTP API (Event, CommandResponse).
//
// It imports the standard library only, so that a verifier or a
// downstream system can check events without the engine (NATS, Pebble).
//
// Hashes are written as text in lower-case hexadecimal, 64 characters (see
// Hash.MarshalText), in JSON and on screen alike.
package envelope
