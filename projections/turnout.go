package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/json"

	"ledger/domain"
)

// Columns of a turnout counter vector.
const (
	colRegistered = iota
	colVoted
	colInPerson
	colProxy
	colMobile
	turnoutWidth
)

// bucketSeconds is the width of a time-series bucket: 15 minutes.
const bucketSeconds = 15 * 60

// electionMeta is what turnout keeps about an election.
type electionMeta struct {
	Region   string           `json:"region"`
	Validity domain.Threshold `json:"validity"`
}

type turnoutProj struct{}

func (turnoutProj) name() string  { return Turnout }
func (turnoutProj) short() string { return shortTurnout }

func (t turnoutProj) apply(w *writer, e *rec) {
	switch string(e.typ) {
	case "station.voter_checked_in":
		t.checkIn(w, e)
	case "election.voters_registered":
		t.registered(w, e)
	case "election.roll_objection_decided":
		t.objectionDecided(w, e)
	case "station.established":
		stationEstablished(w, e)
	case "election.called":
		t.called(w, e)
	case "election.round_declared":
		t.declared(w, e)
	}
}

// declared keeps the declared status of a round, so that turnout says
// what the results say (rare: one event per round).
func (turnoutProj) declared(w *writer, e *rec) {
	var d domain.RoundDeclared
	if err := json.Unmarshal(e.payload, &d); err != nil {
		w.skip(e, "round_declared payload")
		return
	}
	st := RoundStatus{Status: RoundInvalid, Reason: d.Reason}
	if d.Valid {
		st.Status = RoundValid
	}
	b, _ := json.Marshal(st)
	w.setBlob(appendRound(append(bkey(w.kb, shortTurnout, "D/", e.aggID), '/'), d.Round), b)
}

// checkIn is the hot path: a handful of cached counter updates, no reads
// from Pebble once the station's election is cached. It never looks at the
// roll number.
func (turnoutProj) checkIn(w *writer, e *rec) {
	var c checkIn
	if !c.parse(e.payload) {
		w.skip(e, "check-in payload")
		return
	}
	col := colInPerson
	switch string(c.mode) {
	case domain.ModeProxy:
		col = colProxy
	case domain.ModeMobile:
		col = colMobile
	}
	at := c.at
	if at == 0 {
		at, _ = e.occurredUnix()
	}
	bucket := uint64(floorDiv(at, bucketSeconds) * bucketSeconds)
	eid := w.blob(bkey(w.kb, shortTurnout, "m/", e.aggID))

	w.kb = roundSuffix(bkey(w.kb, shortTurnout, "s/", e.aggID), c.round)
	w.add(w.kb, turnoutWidth, colVoted, col, 1)
	if eid != nil {
		w.kb = roundSuffix(bkey(w.kb, shortTurnout, "e/", eid), c.round)
		w.add(w.kb, turnoutWidth, colVoted, col, 1)
		w.kb = binary.BigEndian.AppendUint64(append(bkey(w.kb, shortTurnout, "te/", eid), 0), bucket)
		w.add(w.kb, 1, 0, -1, 1)
	}
	for _, n := range regionLens {
		if n > len(e.region) {
			break
		}
		reg := e.region[:n]
		if c.round <= 1 {
			w.kb = append(bkey(w.kb, shortTurnout, "g/", nil), levelDigit(reg), '/')
			w.kb = append(w.kb, reg...)
			w.add(w.kb, turnoutWidth, colVoted, col, 1)
		}
		w.kb = binary.BigEndian.AppendUint64(append(bkey(w.kb, shortTurnout, "tg/", reg), 0), bucket)
		w.add(w.kb, 1, 0, -1, 1)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// roundSuffix appends "/r" and the round to a station or election key for
// rounds after the first.
func roundSuffix(k []byte, round int) []byte {
	if round <= 1 {
		return k
	}
	return appendRound(append(k, "/r"...), round)
}

// addRegistered adds n registered voters at a station of election eid in region.
func (turnoutProj) addRegistered(w *writer, eid, station, region []byte, n int64) {
	w.add(bkey(w.kb, shortTurnout, "s/", station), turnoutWidth, colRegistered, -1, n)
	w.add(bkey(w.kb, shortTurnout, "e/", eid), turnoutWidth, colRegistered, -1, n)
	for _, l := range regionLens {
		if l > len(region) {
			break
		}
		w.kb = append(bkey(w.kb, shortTurnout, "g/", nil), levelDigit(region[:l]), '/')
		w.add(append(w.kb, region[:l]...), turnoutWidth, colRegistered, -1, n)
	}
}

func (t turnoutProj) registered(w *writer, e *rec) {
	type count struct {
		station []byte
		n       int64
	}
	var per []count // few stations per batch: a linear search beats a map
	ok := eachField(e.payload, func(k, v []byte) bool {
		if string(k) != "voters" {
			return true
		}
		return eachObject(v, func(o []byte) bool {
			var sid []byte
			fine := eachField(o, func(k, v []byte) bool {
				if string(k) == "station_id" {
					var ok bool
					sid, ok = jsonStr(v)
					return ok
				}
				return true
			})
			for i := range per {
				if bytes.Equal(per[i].station, sid) {
					per[i].n++
					return fine
				}
			}
			per = append(per, count{station: sid, n: 1})
			return fine
		})
	})
	if !ok {
		w.skip(e, "voters_registered payload")
		return
	}
	for _, c := range per {
		t.addRegistered(w, e.aggID, c.station, e.region, c.n)
	}
}

// objectionDecided adds or removes a roll entry when an objection is
// upheld. The objection and the roll entry come from the election's own
// events before this one (rare; a replay of one aggregate).
func (t turnoutProj) objectionDecided(w *writer, e *rec) {
	var p domain.RollObjectionDecided
	if err := json.Unmarshal(e.payload, &p); err != nil {
		w.skip(e, "roll_objection_decided payload")
		return
	}
	if !p.Upheld {
		return
	}
	st, err := w.foldAggregate(string(e.kind), string(e.aggID), string(e.region), e.pos-1)
	if err != nil {
		w.fail(err)
		return
	}
	el, _ := st.(*domain.Election)
	if el == nil || el.Objections[p.ObjectionID] == nil {
		return
	}
	o := el.Objections[p.ObjectionID]
	entry, onRoll := el.Roll[o.RollNo]
	switch {
	case o.Claim == domain.ClaimAdd && !onRoll:
		t.addRegistered(w, e.aggID, []byte(o.StationID), e.region, 1)
	case o.Claim == domain.ClaimRemove && onRoll:
		t.addRegistered(w, e.aggID, []byte(el.StationOf(entry)), e.region, -1)
	}
}

func (turnoutProj) called(w *writer, e *rec) {
	var p domain.ElectionCalled
	if err := json.Unmarshal(e.payload, &p); err != nil {
		w.skip(e, "election.called payload")
		return
	}
	v := p.Rules.Validity
	if v == (domain.Threshold{}) {
		v = moreThanHalf
	}
	b, _ := json.Marshal(electionMeta{Region: string(e.region), Validity: v})
	w.setBlob(bkey(w.kb, shortTurnout, "E/", e.aggID), b)
}

var moreThanHalf = domain.Threshold{Num: 1, Den: 2, Strict: true}

// stationEstablished records a station's election (for check-ins) and lists
// the station under its election, in the calling projection's key space.
func stationEstablished(w *writer, e *rec) {
	var p domain.StationEstablished
	if err := json.Unmarshal(e.payload, &p); err != nil {
		w.skip(e, "station.established payload")
		return
	}
	w.setBlob(bkey(w.kb, w.short, "m/", e.aggID), []byte(p.ElectionID))
	mobile := []byte("0")
	if p.Mobile {
		mobile = []byte("1")
	}
	w.kb = append(bkey(w.kb, w.short, "x/", []byte(p.ElectionID)), '/')
	w.put(append(w.kb, e.aggID...), mobile)
}
