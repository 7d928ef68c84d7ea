package domain

import (
	"fmt"
	"time"
)

// MaxStationBatch is the most check-ins one [CheckIns] command, or ballots
// one [RecordBallots] command, may carry.
const MaxStationBatch = 500

// CheckIns records a station's check-ins in one command, as a station's
// device uploads the check-ins it recorded since its last upload, or a
// clerk enters a page of the sign-in register. Each item follows the rules
// of [CheckIn]; a roll number may appear once per batch. The batch is
// atomic: one item refused refuses the whole batch, with the item's
// number in the message, and nothing is recorded. Each item records one
// station.voter_checked_in event, at the item's time (the time its ballot
// was issued; zero means the batch's occurred-at), which may not lie
// after the batch's occurred-at: a device sends the batch with the time it
// sends it. Related: the election. O(items).
type CheckIns struct {
	StationAddr
	CheckIns []CheckInItem `json:"check_ins"`
}

// CheckInItem is one check-in of a [CheckIns] batch.
type CheckInItem struct {
	RollNo            int       `json:"roll_no"`
	Mode              string    `json:"mode"`
	ProxyHolderRollNo int       `json:"proxy_holder_roll_no,omitempty"`
	At                time.Time `json:"at,omitzero"`
}

// CommandType returns "check_ins".
func (CheckIns) CommandType() string { return "check_ins" }

// Related returns the election.
func (c CheckIns) Related() []AggregateRef { return c.electionRef() }

func (c CheckIns) decideStation(s *Station, env Env) ([]Event, error) {
	e, err := c.electionIn(s, env, StationOpen)
	if err != nil {
		return nil, err
	}
	if err := batchSize(len(c.CheckIns), "每批登记1至%d人次领票", "a batch records 1 to %d check-ins"); err != nil {
		return nil, err
	}
	evs := make([]Event, 0, len(c.CheckIns))
	seen := make(map[int]struct{}, len(c.CheckIns))
	for i, it := range c.CheckIns {
		one := CheckIn{StationAddr: c.StationAddr, RollNo: it.RollNo, Mode: it.Mode, ProxyHolderRollNo: it.ProxyHolderRollNo}
		at := it.At
		if at.IsZero() {
			at = env.Now
		}
		var err error
		switch _, dup := seen[it.RollNo]; {
		case dup:
			err = alreadyCheckedIn()
		case at.After(env.Now):
			err = invalid("check_in_after_batch", "领票时间晚于本批的发生时间", "the check-in's time lies after the batch's occurred-at")
		default:
			err = one.check(s, e)
		}
		if err != nil {
			return nil, itemError(err, "第%d人次", "check-in %d", i)
		}
		seen[it.RollNo] = struct{}{}
		evs = append(evs, one.event(s, at))
	}
	return evs, nil
}

// RecordBallots records ballots of a box's public count in one command, as
// the counters enter a tally sheet. Each ballot follows the rules of
// [RecordBallot] and records one station.ballot_recorded event; like it,
// a ballot carries no voter reference. The batch is atomic: one ballot
// refused refuses the whole batch, with the ballot's number in the
// message. O(ballots × marks).
type RecordBallots struct {
	StationAddr
	Round   int           `json:"round"`
	Ballots []BallotMarks `json:"ballots"`
}

// BallotMarks is one ballot of a [RecordBallots] batch, as [RecordBallot]
// describes it.
type BallotMarks struct {
	Candidates []string `json:"candidates"`
	WriteIns   []string `json:"write_ins"`
	Blank      bool     `json:"blank"`
	Unreadable bool     `json:"unreadable"`
}

// Ballot returns m as a single ballot of round at station a.
func (m BallotMarks) Ballot(a StationAddr, round int) RecordBallot {
	return RecordBallot{StationAddr: a, Round: round, Candidates: m.Candidates, WriteIns: m.WriteIns,
		Blank: m.Blank, Unreadable: m.Unreadable}
}

// CommandType returns "record_ballots".
func (RecordBallots) CommandType() string { return "record_ballots" }

func (c RecordBallots) decideStation(s *Station, _ Env) ([]Event, error) {
	if err := countOpen(s, c.Round); err != nil {
		return nil, err
	}
	if err := batchSize(len(c.Ballots), "每批录入1至%d张选票", "a batch records 1 to %d ballots"); err != nil {
		return nil, err
	}
	evs := make([]Event, 0, len(c.Ballots))
	for i, b := range c.Ballots {
		one := b.Ballot(c.StationAddr, c.Round)
		if err := one.validate(s); err != nil {
			return nil, itemError(err, "第%d张选票", "ballot %d", i)
		}
		evs = append(evs, one.event(s))
	}
	return evs, nil
}

// batchSize refuses a batch of n items outside 1 to MaxStationBatch; zh
// and en say what a batch records, with %d for the bound.
func batchSize(n int, zh, en string) error {
	if n == 0 || n > MaxStationBatch {
		return invalid("invalid_batch", fmt.Sprintf(zh, MaxStationBatch), fmt.Sprintf(en, MaxStationBatch))
	}
	return nil
}

// itemError names the i-th item of a batch (counted from 1) in err's
// messages; the code, kind and rule stay those of the item's error.
func itemError(err error, zh, en string, i int) error {
	de, ok := AsError(err)
	if !ok {
		return err
	}
	return &Error{Code: de.Code, Kind: de.Kind, Rule: de.Rule,
		ZH: fmt.Sprintf(zh, i+1) + "：" + de.ZH,
		EN: fmt.Sprintf(en, i+1) + ": " + de.EN}
}
