package domain

import "time"

// CalendarMargin is how long before an election's call a fact about it may
// be reported as having occurred: a day, for device clocks that run behind
// and records written on paper before the call was entered.
const CalendarMargin = 24 * time.Hour

// MaxCallLead is how far ahead of election day an election may be called.
const MaxCallLead = 366

// inCalendar refuses a command whose occurred-at lies outside the calendar
// of its election: before the call (less [CalendarMargin]), or, at a
// station, before the polls last opened, closed or the box was sealed. The
// future bound is the server's (no fact is later than its clock plus a
// skew); a call is at most [MaxCallLead] days before election day, so
// dates such as 1900-01-01 or 0001-01-01 cannot start a calendar.
func inCalendar(st State, env Env) error {
	var called time.Time
	switch s := st.(type) {
	case *Election:
		called = s.CalledAt
	case *Station:
		if !s.PhaseAt.IsZero() && env.Now.Before(s.PhaseAt) {
			return invalid("occurred_out_of_order", "发生时间早于本投票站上一步骤（开始、结束投票或封箱）的时间",
				"occurred-at is before the station's last step (polls opened, closed or box sealed)")
		}
		for ref, r := range env.Related {
			if e, ok := r.(*Election); ok && ref.Kind == KindElection {
				called = e.CalledAt
			}
		}
	}
	if !called.IsZero() && env.Now.Before(called.Add(-CalendarMargin)) {
		return invalid("occurred_before_call", "发生时间早于选举公告（允许误差1天）",
			"occurred-at is before the election was called (1 day allowed)")
	}
	return nil
}
