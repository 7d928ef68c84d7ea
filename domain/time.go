package domain

import (
	"fmt"
	"strings"
	"time"
)

// LateEntryAfter is how long after it happened an event may be recorded
// and still count as recorded on the spot; an event recorded later (from
// paper minutes, a register, a device that was offline) is a late entry
// (补录), allowed and marked as such by [IsLate].
const LateEntryAfter = time.Hour

// IsLate reports whether an event that occurred at occurred and was
// recorded at recorded is a late entry. A zero occurred (not reported)
// is never late.
func IsLate(occurred, recorded time.Time) bool {
	return !occurred.IsZero() && recorded.Sub(occurred) > LateEntryAfter
}

// Zone returns the time zone of a region: China Standard Time (UTC+8, no
// daylight saving) for every region the ledger addresses.
func (Region) Zone() *time.Location { return chinaTime }

// ChinaTime is the zone of Chinese regions, UTC+8. Times shown to people
// are shown in it, with their offset.
func ChinaTime() *time.Location { return chinaTime }

// localLayouts are the layouts [ParseTime] accepts without an offset.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly}

// ParseTime parses a time as a person writes it: RFC 3339 with an offset,
// or a date and time (or a date alone, meaning midnight) without one, taken
// in zone. It returns an *Error with code "invalid_time" otherwise.
func ParseTime(s string, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalid("invalid_time", fmt.Sprintf("时间 %q 格式不正确（例：2026-11-10T14:30 或 2026-11-10T14:30:00+08:00）", s),
		fmt.Sprintf("%q is not a time (e.g. 2026-11-10T14:30, taken in China time, or 2026-11-10T14:30:00+08:00)", s))
}

// FormatLocal formats t in China time with its offset (RFC 3339), "" for
// the zero time.
func FormatLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format(time.RFC3339)
}

// checkOccurred refuses a command whose time lies before the latest event of
// its aggregate: within an aggregate, occurred times never go backwards. A
// station is exempt: several desks upload check-ins concurrently, and its
// own rules bound the times (polls open, closed, count).
func checkOccurred(kind AggregateKind, env Env) error {
	if kind == KindStation || env.Last.IsZero() || !env.Now.Before(env.Last) {
		return nil
	}
	return &Error{Code: "occurred_out_of_order", Kind: ErrConflict,
		Rule: "同一对象的事件发生时间不得倒退 / within an aggregate, occurred times never go backwards",
		ZH:   fmt.Sprintf("发生时间 %s 早于该对象上一事件的发生时间 %s", FormatLocal(env.Now), FormatLocal(env.Last)),
		EN:   fmt.Sprintf("occurred-at %s is before the aggregate's latest event (%s)", FormatLocal(env.Now), FormatLocal(env.Last))}
}
