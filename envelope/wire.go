package envelope

import (
	"encoding/json"
	"time"
)

// Event is a recorded event as the HTTP API, the CLI and receipts show it:
// the envelope with its payload as JSON and its hashes as hex text. It
// carries every hashed field, so Envelope rebuilds the hashed envelope.
// Seq and Index are set where the event was read from a JetStream message
// (Index is the 1-based place in a message of several events).
type Event struct {
	Position      uint64          `json:"position,omitempty"`
	Seq           uint64          `json:"seq,omitempty"`
	Index         int             `json:"index,omitempty"`
	EventID       string          `json:"event_id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	AggregateKind string          `json:"aggregate_kind"`
	AggregateID   string          `json:"aggregate_id"`
	Version       uint64          `json:"version"`
	Region        string          `json:"region"`
	RecordedAt    time.Time       `json:"recorded_at"`
	OccurredAt    time.Time       `json:"occurred_at,omitzero"`
	Actor         string          `json:"actor,omitempty"`
	CommandID     string          `json:"command_id"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	PrevHash      Hash            `json:"prev_hash"`
	Hash          Hash            `json:"hash"`
}

// EventOf returns the wire form of e. The payload aliases e.Payload; it
// must be JSON (the domain's events are).
func EventOf(e *Envelope) Event {
	return Event{Position: e.Position, Seq: e.Seq, EventID: e.EventID, Type: e.Type, SchemaVersion: e.SchemaVersion,
		AggregateKind: e.AggregateKind, AggregateID: e.AggregateID, Version: e.Version, Region: e.Region,
		RecordedAt: e.RecordedAt, OccurredAt: e.OccurredAt, Actor: e.Actor, CommandID: e.CommandID,
		CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		Payload: json.RawMessage(e.Payload), PrevHash: e.PrevHash, Hash: e.Hash}
}

// Envelope returns the envelope that ev shows. Its hash recomputes to
// ev.Hash when the payload arrived as the compact JSON it was recorded as
// (encoding/json keeps a RawMessage's bytes, compacting them).
func (ev *Event) Envelope() Envelope {
	return Envelope{EventID: ev.EventID, Type: ev.Type, SchemaVersion: ev.SchemaVersion,
		AggregateKind: ev.AggregateKind, AggregateID: ev.AggregateID, Version: ev.Version, Region: ev.Region,
		RecordedAt: ev.RecordedAt, OccurredAt: ev.OccurredAt, Actor: ev.Actor, CommandID: ev.CommandID,
		CorrelationID: ev.CorrelationID, CausationID: ev.CausationID, Payload: []byte(ev.Payload),
		PrevHash: ev.PrevHash, Hash: ev.Hash, Position: ev.Position, Seq: ev.Seq}
}

// CommandResponse is the outcome of a recorded command, as the HTTP API
// answers it.
type CommandResponse struct {
	CommandID     string            `json:"command_id"`
	Aggregate     Aggregate         `json:"aggregate"`
	Seq           uint64            `json:"seq" doc:"the JetStream message holding the events"`
	FirstPosition uint64            `json:"first_position"`
	LastPosition  uint64            `json:"last_position"`
	Version       uint64            `json:"version" doc:"the aggregate's version after the command"`
	Duplicate     bool              `json:"duplicate" doc:"true when this is a retry of a recorded command"`
	Events        []Event           `json:"events"`
	Receipts      []json.RawMessage `json:"receipts,omitempty" doc:"with ?receipt=true: one audit receipt per event"`
	FollowUps     []FollowUp        `json:"follow_ups,omitempty" doc:"commands the law required after this one (a disqualification vacates the seat), recorded as their own commands caused by it"`
	Offered       []string          `json:"offered,omitempty" doc:"commands the law offers next on the aggregate, e.g. call_by_election once a seat is vacant"`
}

// FollowUp is one follow-up command of a [CommandResponse]: its events,
// or why the domain refused it (the command that caused it stays recorded).
type FollowUp struct {
	CommandType string         `json:"command_type"`
	CommandID   string         `json:"command_id"`
	Events      []Event        `json:"events,omitempty"`
	Offered     []string       `json:"offered,omitempty"`
	Error       *FollowUpError `json:"error,omitempty"`
}

// FollowUpError is why the domain refused a follow-up.
type FollowUpError struct {
	Code string `json:"code"`
	Rule string `json:"rule,omitempty"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// ComputeHash returns the hash of the envelope that ev shows.
func (ev *Event) ComputeHash() Hash {
	e := ev.Envelope()
	return e.ComputeHash()
}

// Seal sets ev.Hash from its contents.
func (ev *Event) Seal() { ev.Hash = ev.ComputeHash() }
