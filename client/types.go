package client

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"ledger/envelope"
)

// CommandResponse is the outcome of a recorded command (envelope.CommandResponse).
type CommandResponse = envelope.CommandResponse

// AggregateRef names an aggregate: its kind, ID and region.
type AggregateRef = envelope.Aggregate

// Event is a recorded event as the API shows it (envelope.Event).
type Event = envelope.Event

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
