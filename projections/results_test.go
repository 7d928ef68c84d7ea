package projections

import (
	"strings"
	"testing"
	"time"

	"ledger/domain"
)

// The results read model decodes only the election events it folds; an
// event type fold learns must be added to foldedTypes too, or live and
// rebuilt read models would silently ignore it.
func TestFoldedTypesAreWhatFoldUses(t *testing.T) {
	seen := 0
	for _, ev := range domain.EventTypes() {
		typ := ev.EventType()
		if !strings.HasPrefix(typ, string(domain.KindElection)+".") {
			continue
		}
		seen++
		var m resultsMeta
		if got := m.fold(ev, "22", time.Time{}); got != foldedTypes[typ] {
			t.Errorf("%s: fold uses it: %v; in foldedTypes: %v", typ, got, foldedTypes[typ])
		}
	}
	if seen == 0 {
		t.Fatal("no election event types registered")
	}
}
