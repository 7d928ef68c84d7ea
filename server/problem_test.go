package server

import (
	"fmt"
	"net/http"
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
