package history

import (
	"time"

	"ledger/eventstore"
)

// Clock says which of an event's times AsOf.Time is compared with.
type Clock uint8

// Recorded is the time the ledger recorded the event (RecordedAt). It is
// the default, and it grows strictly along the log.
const Recorded Clock = 0

// timeOf returns the event's time on c.
func (c Clock) timeOf(e *eventstore.Envelope) time.Time {
	return e.RecordedAt
}

// ordered reports whether times on c grow with log position, so that a
// fold may stop at the first event after the moment.
func (c Clock) ordered() bool { return c == Recorded }

// AsOf names a moment of the log: the events at or before Position (when
// non-zero) and whose time on Clock is at or before Time (when non-zero).
// Both may be set: an event must satisfy both. The zero AsOf is now.
type AsOf struct {
	Position uint64
	Time     time.Time
	Clock    Clock
}

// Includes reports whether e happened by a.
func (a AsOf) Includes(e *eventstore.Envelope) bool {
	return (a.Position == 0 || e.Position <= a.Position) && (a.Time.IsZero() || !a.Clock.timeOf(e).After(a.Time))
}

// past reports whether e and every event after it in the log (of the same
// aggregate) fall after a, so that a fold may stop.
func (a AsOf) past(e *eventstore.Envelope) bool {
	return (a.Position != 0 && e.Position > a.Position) || (a.Clock.ordered() && !a.Includes(e))
}
