package projections

import (
	"context"
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// Reconciliation flags.
const (
	FlagMoreReturned = "more_returned_than_issued" // the count found more ballots than were issued
	FlagBoxInvalid   = "box_invalid"               // the closed count declared the box's vote invalid
)

// BoxReconciliation reconciles one ballot box in one round. A station
// that counts a unit (合并计票) returns the ballots of the boxes merged
// into it (MergedIssued are the ballots those boxes issued); a merged box
// (Merged) returns none of its own: its ballots are its host's.
type BoxReconciliation struct {
	StationID    string   `json:"station_id"`
	Mobile       bool     `json:"mobile,omitempty"`
	Round        int      `json:"round"`
	Issued       int64    `json:"issued"`
	MergedIssued int64    `json:"merged_issued,omitempty"`
	Merged       bool     `json:"merged,omitempty"`
	Returned     int64    `json:"returned"`
	Spoiled      int64    `json:"spoiled"`
	CountClosed  bool     `json:"count_closed"`
	Flags        []string `json:"flags,omitempty"`
}

func boxOf(station string, round int, v []int64) BoxReconciliation {
	b := BoxReconciliation{StationID: station, Round: round, Issued: v[colIssued], Returned: v[colReturned],
		Spoiled: v[colSpoiled], CountClosed: v[colClosed] == 1, MergedIssued: v[colMergedIn], Merged: v[colMergedOut] == 1}
	if b.Returned > b.Issued+b.MergedIssued {
		b.Flags = append(b.Flags, FlagMoreReturned)
	}
	if v[colBoxInvalid] == 1 {
		b.Flags = append(b.Flags, FlagBoxInvalid)
	}
	return b
}

// ElectionReconciliation sums an election's boxes in one round.
type ElectionReconciliation struct {
	ElectionID   string              `json:"election_id"`
	Round        int                 `json:"round"`
	Issued       int64               `json:"issued"`
	Returned     int64               `json:"returned"`
	Spoiled      int64               `json:"spoiled"`
	FlaggedBoxes []string            `json:"flagged_boxes,omitempty"`
	Boxes        []BoxReconciliation `json:"boxes"`
}

// ReconciliationOf returns the reconciliation of an election's boxes in a
// round (0 means 1), in station ID order.
func ReconciliationOf(ctx context.Context, db pebble.Reader, electionID string, round int) (ElectionReconciliation, error) {
	round = max(round, 1)
	out := ElectionReconciliation{ElectionID: electionID, Round: round}
	err := scan(ctx, db, key(nil, shortRecon, "x/", electionID, "/"), func(k, v []byte) error {
		sid := string(k)
		vec, err := getVec(db, appendRound(key(nil, shortRecon, "b/", sid, "/"), round), reconWidth)
		if err != nil {
			return err
		}
		b := boxOf(sid, round, vec)
		b.Mobile = string(v) == "1"
		out.Issued, out.Returned, out.Spoiled = out.Issued+b.Issued, out.Returned+b.Returned, out.Spoiled+b.Spoiled
		if len(b.Flags) > 0 {
			out.FlaggedBoxes = append(out.FlaggedBoxes, sid)
		}
		out.Boxes = append(out.Boxes, b)
		return nil
	})
	if err == nil && out.Boxes == nil {
		err = notFoundOr(nil, "election "+electionID)
	}
	return out, err
}

// ReconciliationOfBox returns one box's reconciliation in every round it
// has figures for.
func ReconciliationOfBox(ctx context.Context, db pebble.Reader, stationID string) ([]BoxReconciliation, error) {
	var out []BoxReconciliation
	err := scan(ctx, db, key(nil, shortRecon, "b/", stationID, "/"), func(k, v []byte) error {
		if len(k) != 4 {
			return nil
		}
		vec, err := decodeVec(v, make([]int64, reconWidth))
		if err != nil {
			return err
		}
		out = append(out, boxOf(stationID, int(binary.BigEndian.Uint32(k)), vec))
		return nil
	})
	return out, err
}
