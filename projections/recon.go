package projections

import (
	"encoding/json"

	"ledger/domain"
)

// Columns of a box's reconciliation counters for one round.
const (
	colIssued = iota
	colReturned
	colSpoiled
	colClosed     // 1 once the count is closed
	colBoxInvalid // 1 when the closed count found more returned than issued
	colMergedIn   // ballots issued at the boxes merged into this station's count
	colMergedOut  // 1 when this box was merged into its counting unit's station
	reconWidth
)

type reconProj struct{}

func (reconProj) name() string  { return Recon }
func (reconProj) short() string { return shortRecon }

func (p reconProj) apply(w *writer, e *rec) {
	switch string(e.typ) {
	case "station.voter_checked_in":
		var c checkIn
		if !c.parse(e.payload) {
			w.skip(e, "check-in payload")
			return
		}
		p.boxAdd(w, e, c.round, colIssued, 1)
	case "station.ballot_recorded":
		var bl ballot
		if !bl.parse(e.payload) {
			w.skip(e, "ballot payload")
			return
		}
		p.boxAdd(w, e, bl.round, colReturned, 1)
	case "station.spoiled_recorded":
		var s domain.SpoiledRecorded
		if err := json.Unmarshal(e.payload, &s); err != nil {
			w.skip(e, "spoiled payload")
			return
		}
		p.boxAdd(w, e, s.Round, colSpoiled, int64(s.Count))
	case "station.count_closed":
		p.countClosed(w, e)
	case "station.box_merged":
		p.boxMerged(w, e)
	case "station.established":
		stationEstablished(w, e)
	}
}

func (reconProj) boxAdd(w *writer, e *rec, round, col int, d int64) {
	w.kb = appendRound(append(bkey(w.kb, shortRecon, "b/", e.aggID), '/'), round)
	w.add(w.kb, reconWidth, col, -1, d)
}

// countClosed marks the box's round closed, with the domain's verdict.
func (p reconProj) countClosed(w *writer, e *rec) {
	var c domain.CountClosed
	if err := json.Unmarshal(e.payload, &c); err != nil {
		w.skip(e, "count_closed payload")
		return
	}
	w.kb = appendRound(append(bkey(w.kb, shortRecon, "b/", e.aggID), '/'), c.Round)
	cl, err := w.c.load(w.r, w.kb, true)
	if err != nil {
		w.fail(err)
		return
	}
	if len(cl.vec) < reconWidth {
		cl.vec = append(cl.vec, make([]int64, reconWidth-len(cl.vec))...)
	}
	cl.vec[colClosed] = 1
	cl.vec[colBoxInvalid] = 0
	if c.BoxInvalid {
		cl.vec[colBoxInvalid] = 1
	}
	w.c.markDirty(cl)
}

// boxMerged adds the box's ballots issued to its host's count and marks
// the box as counted there: from now on the box's ballots are the
// host's, and no figure of the box's own ballots exists.
func (p reconProj) boxMerged(w *writer, e *rec) {
	var m domain.BoxMerged
	if err := json.Unmarshal(e.payload, &m); err != nil {
		w.skip(e, "box_merged payload")
		return
	}
	p.boxAdd(w, e, m.Round, colMergedIn, int64(m.Issued))
	w.kb = appendRound(append(bkey(w.kb, shortRecon, "b/", []byte(m.BoxID)), '/'), m.Round)
	w.add(w.kb, reconWidth, colMergedOut, colClosed, 1)
}
