package domain

import (
	"slices"
	"strconv"
)

// A counting unit (计票单位) is a fixed polling station together with the
// boxes counted with it (合并计票): their ballots are mixed before the
// public count, so that no tally covers fewer than Rules.MinCountUnit (K)
// registered voters and no ballot can be told to come from a small box.
// A mobile box is always counted with a fixed station; a small fixed
// station may be too. The election holds the units (station -> the
// station it is counted with); a box learns its unit when its polls open
// ([PollsOpened].CountWith), its host when the box is merged into the
// host's count ([BoxMerged]).

// MergeCount records that the ballots of a station (a mobile box or a
// small fixed station) are counted with those of another, fixed station
// (合并计票). It is part of the setup: before the roll is published, or
// after it until the day before election day. The host must not itself be
// counted with another station, and a station that hosts others cannot be
// merged. Setting it again moves the station to another host.
type MergeCount struct {
	ElectionAddr
	StationID string `json:"station_id"`
	CountWith string `json:"count_with"`
}

// CommandType returns "merge_count".
func (MergeCount) CommandType() string { return "merge_count" }

func (c MergeCount) decideElection(e *Election, env Env) ([]Event, error) {
	if err := e.mustExist(); err != nil {
		return nil, err
	}
	if e.RollPublished && DateOf(env.Now).DaysUntil(e.Day) < 1 {
		return nil, ruleErr("count_units_fixed", ruleCountUnit, "计票单位须在选举日前确定", "counting units are set before election day")
	}
	if !validULID(c.StationID) || !validULID(c.CountWith) || c.StationID == c.CountWith {
		return nil, invalid("invalid_count_unit", "须给出两个不同的投票站编号（ULID）", "give two different station IDs (ULIDs)")
	}
	if e.CountWith[c.CountWith] != "" || e.hosts(c.StationID) > 0 {
		return nil, invalid("count_unit_chain", "合并计票的主站不能再与其他站合并，已接纳他站的投票站不能并入他站",
			"the host of a counting unit is not counted with another station, and a host cannot be merged into another")
	}
	if e.CountWith[c.StationID] == c.CountWith {
		return nil, conflict("count_unit_exists", "该投票站已与此站合并计票", "the station is already counted with that station")
	}
	return one(CountMerged{StationID: c.StationID, CountWith: c.CountWith})
}

// CountMerged records that StationID is counted with CountWith.
type CountMerged struct {
	StationID string `json:"station_id"`
	CountWith string `json:"count_with"`
}

// EventType returns "election.count_merged".
func (CountMerged) EventType() string { return "election.count_merged" }

func (ev CountMerged) applyElection(e *Election) {
	if e.CountWith == nil {
		e.CountWith = map[string]string{}
	}
	e.CountWith[ev.StationID] = ev.CountWith
}

// hosts returns how many stations are counted with station id.
func (e *Election) hosts(id string) int {
	n := 0
	for _, h := range e.CountWith {
		if h == id {
			n++
		}
	}
	return n
}

// UnitOf returns the station whose count includes station id: its host,
// or id itself.
func (e *Election) UnitOf(id string) string {
	if h := e.CountWith[id]; h != "" {
		return h
	}
	return id
}

// UnitSize returns the registered voters of the counting unit hosted by
// station host (the host's own voters and those of every station counted
// with it).
func (e *Election) UnitSize(host string) int {
	n := e.RollStations[host]
	for s, h := range e.CountWith {
		if h == host {
			n += e.RollStations[s]
		}
	}
	return n
}

// checkUnits refuses the roll when a counting unit has fewer than
// Rules.MinCountUnit registered voters (code "count_unit_too_small",
// naming the smallest such unit's host and size).
func (e *Election) checkUnits() error {
	hosts := make([]string, 0, len(e.RollStations))
	for id := range e.RollStations {
		if h := e.UnitOf(id); !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		if err := e.checkUnit(h); err != nil {
			return err
		}
	}
	return nil
}

// checkUnit refuses the unit hosted by host when it has fewer than K
// registered voters.
func (e *Election) checkUnit(host string) error {
	n, k := e.UnitSize(host), e.Rules.MinCountUnit
	if n >= k {
		return nil
	}
	return ruleErr("count_unit_too_small", ruleCountUnit,
		"计票单位 "+host+" 只有 "+strconv.Itoa(n)+" 名选民，少于 "+strconv.Itoa(k)+" 名：请与固定投票站合并计票（merge_count）",
		"the counting unit "+host+" has "+strconv.Itoa(n)+" registered voters, fewer than "+strconv.Itoa(k)+": count it with a fixed station (merge_count)")
}

// MergeBox brings a closed (or sealed) box of this station's counting unit
// into this station's count, before the first ballot of the round is
// read out: its ballots are mixed with the station's own, and its ballots
// issued are added to the station's. Every box of the unit must be merged
// before the round is declared. Round, when given, must be the station's
// round. Related: the election and the box.
type MergeBox struct {
	StationAddr
	Round int    `json:"round,omitempty"`
	BoxID string `json:"box_id"`
}

// CommandType returns "merge_box".
func (MergeBox) CommandType() string { return "merge_box" }

// Related returns the election and the box.
func (c MergeBox) Related() []AggregateRef {
	return append(c.electionRef(), relatedRef(KindStation, c.BoxID, c.Region))
}

func (c MergeBox) decideStation(s *Station, env Env) ([]Event, error) {
	if _, err := c.electionIn(s, env, StationClosed, StationSealed); err != nil {
		return nil, err
	}
	if err := s.roundIs(c.Round); err != nil {
		return nil, err
	}
	if err := s.countedWithHost(); err != nil {
		return nil, err
	}
	box, err := relatedStation(env, c.BoxID, c.Region)
	if err != nil {
		return nil, err
	}
	t, bt := s.Tallies[s.Round], box.Tallies[box.Round]
	switch {
	case t == nil || bt == nil || box.ElectionID != s.ElectionID || box.CountWith != s.ID || box.Round != s.Round:
		return nil, invalid("not_in_count_unit", "该票箱本轮不与本站合并计票", "the box is not counted with this station in this round")
	case box.Phase != StationClosed && box.Phase != StationSealed:
		return nil, conflict("box_not_closed", "票箱须先关闭（或封箱）", "close (or seal) the box first")
	case slices.Contains(t.Merged, c.BoxID):
		return nil, conflict("box_already_merged", "该票箱已并入本站计票", "the box is already merged into this count")
	case t.Returned > 0:
		return nil, ruleErr("count_started", ruleCountUnit, "合并计票的票箱须在唱票开始前并入", "a box is merged before the first ballot of the count is read out")
	}
	return one(BoxMerged{Round: s.Round, BoxID: c.BoxID, Issued: bt.Issued})
}

// BoxMerged records that a box of the station's counting unit was merged
// into its count: its Issued ballots are added to the station's.
type BoxMerged struct {
	Round  int    `json:"round"`
	BoxID  string `json:"box_id"`
	Issued int    `json:"issued"`
}

// EventType returns "station.box_merged".
func (BoxMerged) EventType() string { return "station.box_merged" }

func (ev BoxMerged) applyStation(s *Station) {
	t := s.tally(ev.Round)
	t.Issued += ev.Issued
	t.Merged = append(t.Merged, ev.BoxID)
}

// countedWithHost refuses counting at a station whose ballots are counted
// with its host's.
func (s *Station) countedWithHost() error {
	if s.CountWith == "" {
		return nil
	}
	return ruleErr("counted_with_host", ruleCountUnit, "本票箱与投票站 "+s.CountWith+" 合并计票，选票在该站清点",
		"this box is counted with station "+s.CountWith+": its ballots are counted there")
}
