package projections

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
)

// TurnoutCounts are the turnout figures of one station, election or region.
// Voted counts check-ins (ballots issued): in person, by proxy and at
// mobile boxes. ValidityMet reports whether more than half of the
// registered voters voted (for an election: its own validity rule).
type TurnoutCounts struct {
	Registered     int64   `json:"registered"`
	Voted          int64   `json:"voted"`
	InPerson       int64   `json:"in_person"`
	Proxy          int64   `json:"proxy"`
	Mobile         int64   `json:"mobile_box"`
	TurnoutPercent float64 `json:"turnout_percent"`
	ValidityMet    bool    `json:"validity_met"`
}

func countsOf(v []int64, registered int64, th domain.Threshold) TurnoutCounts {
	return TurnoutCounts{Registered: registered, Voted: v[colVoted], InPerson: v[colInPerson], Proxy: v[colProxy],
		Mobile: v[colMobile], TurnoutPercent: percent(v[colVoted], registered),
		ValidityMet: th.Met(int(v[colVoted]), int(registered))}
}

// RegionTurnout is the first-round turnout of every election in a region
// (a province, city, county, township or village code).
type RegionTurnout struct {
	Region string `json:"region"`
	Level  int    `json:"level"` // 1 province ... 5 community or village
	TurnoutCounts
}

// TurnoutOfRegion returns the turnout of a region at any level: one key
// lookup. A region with no elections has zero counts.
func TurnoutOfRegion(ctx context.Context, db pebble.Reader, region string) (RegionTurnout, error) {
	if levelOf(len(region)) == 0 {
		return RegionTurnout{}, fmt.Errorf("%w: region %q", ErrNotFound, region)
	}
	k := append(key(nil, shortTurnout, "g/"), levelDigit([]byte(region)), '/')
	v, err := getVec(db, append(k, region...), turnoutWidth)
	if err != nil {
		return RegionTurnout{}, err
	}
	return RegionTurnout{Region: region, Level: levelOf(len(region)), TurnoutCounts: countsOf(v, v[colRegistered], moreThanHalf)}, nil
}

// TurnoutOfChildren returns the turnout of each region one level below
// region that has elections, in code order: one range read.
func TurnoutOfChildren(ctx context.Context, db pebble.Reader, region string) ([]RegionTurnout, error) {
	l := levelOf(len(region))
	if l == 0 || l == 5 {
		return nil, fmt.Errorf("%w: children of region %q", ErrNotFound, region)
	}
	p := append(key(nil, shortTurnout, "g/"), byte('0'+l+1), '/')
	p = append(p, region...)
	var out []RegionTurnout
	err := scan(ctx, db, p, func(k, v []byte) error {
		vec, err := decodeVec(v, make([]int64, turnoutWidth))
		if err != nil {
			return err
		}
		code := region + string(k)
		out = append(out, RegionTurnout{Region: code, Level: l + 1, TurnoutCounts: countsOf(vec, vec[colRegistered], moreThanHalf)})
		return nil
	})
	return out, err
}

// RoundStatus is what was declared of an election's round: Status is
// RoundInProgress until it is declared, then RoundValid or RoundInvalid,
// with Reason (domain.ReasonTurnout, domain.ReasonBallotsExcess) saying
// why an invalid round failed, as the results say.
type RoundStatus struct {
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// RoundTurnout is the turnout of a later round (a second round, a revote,
// a by-election) of an election or station. An election's rounds carry
// their declared status; once declared, ValidityMet is the declared
// validity.
type RoundTurnout struct {
	Round int `json:"round"`
	TurnoutCounts
	RoundStatus
}

// StationTurnout is the turnout at one polling station or mobile box.
type StationTurnout struct {
	StationID string `json:"station_id"`
	Mobile    bool   `json:"mobile,omitempty"`
	TurnoutCounts
	LaterRounds []RoundTurnout `json:"later_rounds,omitempty"`
}

// ElectionTurnout is an election's turnout (first round, with its
// declared status: once declared, ValidityMet is the declared validity),
// its later rounds and its stations.
type ElectionTurnout struct {
	ElectionID string `json:"election_id"`
	Region     string `json:"region"`
	TurnoutCounts
	RoundStatus
	LaterRounds []RoundTurnout   `json:"later_rounds,omitempty"`
	Stations    []StationTurnout `json:"stations"`
}

// TurnoutOfElection returns an election's turnout with its stations'; its
// cost grows with the number of stations and rounds, not of events.
func TurnoutOfElection(ctx context.Context, db pebble.Reader, electionID string) (ElectionTurnout, error) {
	var meta electionMeta
	found, err := getJSON(db, key(nil, shortTurnout, "E/", electionID), &meta)
	if err != nil || !found {
		return ElectionTurnout{}, notFoundOr(err, "election "+electionID)
	}
	out := ElectionTurnout{ElectionID: electionID, Region: meta.Region}
	out.TurnoutCounts, out.LaterRounds, _, err = entityTurnout(ctx, db, "e/", electionID, meta.Validity)
	if err != nil {
		return out, err
	}
	if err := declaredStatus(ctx, db, &out); err != nil {
		return out, err
	}
	err = scan(ctx, db, key(nil, shortTurnout, "x/", electionID, "/"), func(k, v []byte) error {
		st := StationTurnout{StationID: string(k), Mobile: string(v) == "1"}
		var err error
		st.TurnoutCounts, st.LaterRounds, _, err = entityTurnout(ctx, db, "s/", st.StationID, moreThanHalf)
		out.Stations = append(out.Stations, st)
		return err
	})
	return out, err
}

// TurnoutOfStation returns one station's turnout.
func TurnoutOfStation(ctx context.Context, db pebble.Reader, stationID string) (StationTurnout, error) {
	eid, err := getString(db, key(nil, shortTurnout, "m/", stationID))
	if err != nil || eid == "" {
		return StationTurnout{}, notFoundOr(err, "station "+stationID)
	}
	mobile, err := getString(db, key(nil, shortTurnout, "x/", eid, "/", stationID))
	if err != nil {
		return StationTurnout{}, err
	}
	st := StationTurnout{StationID: stationID, Mobile: mobile == "1"}
	st.TurnoutCounts, st.LaterRounds, _, err = entityTurnout(ctx, db, "s/", stationID, moreThanHalf)
	return st, err
}

// entityTurnout reads a station's or election's first round and later rounds.
func entityTurnout(ctx context.Context, db pebble.Reader, kind, id string, th domain.Threshold) (TurnoutCounts, []RoundTurnout, int64, error) {
	v, err := getVec(db, key(nil, shortTurnout, kind, id), turnoutWidth)
	if err != nil {
		return TurnoutCounts{}, nil, 0, err
	}
	reg := v[colRegistered]
	var later []RoundTurnout
	err = scan(ctx, db, key(nil, shortTurnout, kind, id, "/r"), func(k, val []byte) error {
		if len(k) != 4 {
			return nil
		}
		rv, err := decodeVec(val, make([]int64, turnoutWidth))
		later = append(later, RoundTurnout{Round: int(binary.BigEndian.Uint32(k)), TurnoutCounts: countsOf(rv, reg, th)})
		return err
	})
	return countsOf(v, reg, th), later, reg, err
}

// declaredStatus sets the status of each of the election's rounds: in
// progress, or as declared (ValidityMet then follows the declaration).
func declaredStatus(ctx context.Context, db pebble.Reader, out *ElectionTurnout) error {
	declared := map[int]RoundStatus{}
	err := scan(ctx, db, key(nil, shortTurnout, "D/", out.ElectionID, "/"), func(k, v []byte) error {
		var st RoundStatus
		if len(k) != 4 || json.Unmarshal(v, &st) != nil {
			return errBadValue
		}
		declared[int(binary.BigEndian.Uint32(k))] = st
		return nil
	})
	set := func(round int, c *TurnoutCounts, st *RoundStatus) {
		*st = RoundStatus{Status: RoundInProgress}
		if d, ok := declared[round]; ok {
			*st, c.ValidityMet = d, d.Status == RoundValid
		}
	}
	set(1, &out.TurnoutCounts, &out.RoundStatus)
	for i := range out.LaterRounds {
		set(out.LaterRounds[i].Round, &out.LaterRounds[i].TurnoutCounts, &out.LaterRounds[i].RoundStatus)
	}
	return err
}

func notFoundOr(err error, what string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrNotFound, what)
}

// SeriesPoint is the number of check-ins in the 15 minutes from Start
// (China Standard Time).
type SeriesPoint struct {
	Start    time.Time `json:"start"`
	CheckIns int64     `json:"check_ins"`
}

var chinaTime = time.FixedZone("CST", 8*3600)

// CheckInSeries returns the check-ins per 15 minutes of an election (scope
// "election", id its ULID) or of a region at any level (scope "region", id
// its code), in time order, for every bucket with check-ins. Each bucket is
// keyed by the check-in's own time ("at"), else its occurred-at.
func CheckInSeries(ctx context.Context, db pebble.Reader, scope, id string) ([]SeriesPoint, error) {
	var p []byte
	switch scope {
	case "election":
		p = key(nil, shortTurnout, "te/", id, "\x00")
	case "region":
		p = key(nil, shortTurnout, "tg/", id, "\x00")
	default:
		return nil, fmt.Errorf("%w: series scope %q", ErrNotFound, scope)
	}
	var out []SeriesPoint
	err := scan(ctx, db, p, func(k, v []byte) error {
		if len(k) != 8 || len(v) != 8 {
			return errBadValue
		}
		t := time.Unix(int64(binary.BigEndian.Uint64(k)), 0).In(chinaTime)
		out = append(out, SeriesPoint{Start: t, CheckIns: int64(binary.BigEndian.Uint64(v))})
		return nil
	})
	return out, err
}
