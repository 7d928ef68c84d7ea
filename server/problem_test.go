package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ledger/eventstore"
)

// A write JetStream refuses at its storage limit is a 507 that says what
// to do, in both languages, not an internal error.
func TestStorageLimitProblem(t *testing.T) {
	err := fmt.Errorf("app: record check_in: %w", fmt.Errorf("%w: publish station/S1: nats: API error: code=503 err_code=10023", eventstore.ErrStorageLimit))
	p, _ := problemOf(err)
	if p.Status != http.StatusInsufficientStorage || p.Code != "storage_limit" || p.ZH == "" || p.EN == "" || p.retryAfter == 0 {
		t.Fatalf("got %+v", p)
	}
}

// A NATS error that a retry can cure (no stream leader, a lost connection)
// is a 503 marked retryable with Retry-After, not a 500.
func TestUnavailableIsRetryable(t *testing.T) {
	err := fmt.Errorf("app: record check_in: %w", fmt.Errorf("%w: nats: no responders available for request", eventstore.ErrUnavailable))
	p, clientCaused := problemOf(err)
	if p.Status != http.StatusServiceUnavailable || !p.Retryable || p.retryAfter != 1 || p.GetHeaders().Get("Retry-After") != "1" {
		t.Fatalf("got %+v", p)
	}
	if clientCaused {
		t.Fatal("an unavailable JetStream must be logged as the server's problem")
	}
}

// Damage of the Pebble copy met by a query is a 503 corrupt_store that says
// what to do, in both languages, not an internal error.
func TestCorruptStoreProblem(t *testing.T) {
	err := fmt.Errorf("projections: turnout: %w", &eventstore.StoreDamage{File: "pebble/000005.sst", Reason: "checksum mismatch"})
	p, _ := problemOf(err)
	if p.Status != http.StatusServiceUnavailable || p.Code != "corrupt_store" || p.ZH == "" || !strings.Contains(p.EN, "rebuild") {
		t.Fatalf("got %+v", p)
	}
}
