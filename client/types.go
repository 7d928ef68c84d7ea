package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CommandResponse is the outcome of a recorded command (server.CommandResponse).
type CommandResponse struct {
	CommandID     string            `json:"command_id"`
	Aggregate     AggregateRef      `json:"aggregate"`
	Seq           uint64            `json:"seq"`
	FirstPosition uint64            `json:"first_position"`
	LastPosition  uint64            `json:"last_position"`
	Version       uint64            `json:"version"`
	Duplicate     bool              `json:"duplicate"`
	Events        []Event           `json:"events"`
	Receipts      []json.RawMessage `json:"receipts,omitempty"`
}

// AggregateRef names an aggregate: its kind, ID and region.
type AggregateRef struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Region string `json:"region"`
}

// Event is a recorded event as the API shows it.
type Event struct {
	Position      uint64          `json:"position"`
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
	Payload       json.RawMessage `json:"payload"`
	PrevHash      string          `json:"prev_hash"`
	Hash          string          `json:"hash"`
}

// Problem is an RFC 9457 problem detail with the ledger's extensions.
type Problem struct {
	Type           string   `json:"type,omitempty"`
	Title          string   `json:"title,omitempty"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Code           string   `json:"code,omitempty"`
	Kind           string   `json:"kind,omitempty"`
	Rule           string   `json:"rule,omitempty"`
	ZH             string   `json:"zh,omitempty"`
	EN             string   `json:"en,omitempty"`
	CurrentVersion *uint64  `json:"current_version,omitempty"`
	Errors         []string `json:"errors,omitempty"`
}

// Error is an answer of the server with a status of 300 or more.
type Error struct {
	Status     int
	Problem    Problem
	RetryAfter time.Duration // from Retry-After; 0 when absent
}

// Error returns the status, code and English message on one line.
func (e *Error) Error() string {
	msg := e.Problem.EN
	if msg == "" {
		msg = e.Problem.Detail
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Problem.Code, msg)
	if len(e.Problem.Errors) > 0 {
		s += " (" + strings.Join(e.Problem.Errors, "; ") + ")"
	}
	return s
}

// Refused reports whether the server refused the request for its content:
// a rule of the law or invalid input (400, 413, 422).
func (e *Error) Refused() bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity ||
		e.Status == http.StatusRequestEntityTooLarge
}
