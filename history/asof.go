package history

import (
	"fmt"
	"time"

	"ledger/eventstore"
)

// Clock says which of an event's two times a moment or a time range is
// read on.
type Clock uint8

const (
	// Recorded is the time the ledger recorded the event (RecordedAt): a
	// question about the ledger ("what did the ledger hold on 6
	// November?"). It is the zero Clock, and it grows strictly along the
	// log, so a fold may stop at the first event after the moment.
	Recorded Clock = 0
	// Occurred is the time the act happened as reported with the event
	// (OccurredAt; RecordedAt for an event recorded without one): a
	// question about the world ("what was the state on 6 November?"). An
	// entry recorded late from paper minutes counts from the day of the
	// meeting. Occurred times do not grow along the log, so every event
	// up to the moment's position is looked at.
	Occurred Clock = 1
)

// ParseClock reads "occurred" or "recorded"; "" is def.
func ParseClock(s string, def Clock) (Clock, error) {
	switch s {
	case "":
		return def, nil
	case "recorded":
		return Recorded, nil
	case "occurred":
		return Occurred, nil
	}
	return def, fmt.Errorf("%w: clock %q is neither occurred nor recorded", ErrBadClock, s)
}

// String is the clock's name as ParseClock reads it.
func (c Clock) String() string {
	if c == Occurred {
		return "occurred"
	}
	return "recorded"
}

// OccurredAt is when an event happened: its OccurredAt, else its
// RecordedAt.
func OccurredAt(e *eventstore.Envelope) time.Time {
	if e.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.OccurredAt
}

// TimeOf returns the event's time on c.
func (c Clock) TimeOf(e *eventstore.Envelope) time.Time {
	if c == Occurred {
		return OccurredAt(e)
	}
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
	return (a.Position == 0 || e.Position <= a.Position) && (a.Time.IsZero() || !a.Clock.TimeOf(e).After(a.Time))
}

// past reports whether e and every event after it in the log (of the same
// aggregate) fall after a, so that a fold may stop.
func (a AsOf) past(e *eventstore.Envelope) bool {
	return (a.Position != 0 && e.Position > a.Position) || (a.Clock.ordered() && !a.Includes(e))
}
