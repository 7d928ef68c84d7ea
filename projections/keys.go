package projections

import (
	"encoding/binary"
	"strconv"
)

// Key layout. Every key starts with 'p' and the projection's short name;
// DeleteRange of [p<short>/, p<short>0) drops a read model:
//
//	p<short>/\x00cp                    -> checkpoint: last log position applied (8 bytes)
//	pto/m/<station>                    -> election ID of the station
//	pto/x/<election>/<station>         -> "1" mobile box, "0" fixed station
//	pto/E/<election>                   -> JSON electionMeta (region, validity rule)
//	pto/s/<station>[/r<round>]         -> counters [registered voted in_person proxy mobile]
//	pto/e/<election>[/r<round>]        -> counters, same columns (round 1 has no suffix)
//	pto/g/<level>/<region>             -> counters, same columns, round 1 of every election
//	pto/te/<election>\x00<bucket>      -> check-ins in the 15 minutes from bucket (unix s, 8 bytes)
//	pto/tg/<region>\x00<bucket>        -> the same per region at every level
//	prs/m/<station>                    -> election ID
//	prs/E/<election>                   -> JSON resultsMeta (rules, rounds, declared results, status)
//	prs/b/<election>/<round>           -> counters [cast valid blank invalid]
//	prs/v/<election>/<round>/c<cand>   -> votes of a candidate
//	prs/v/<election>/<round>/w<name>   -> votes of a write-in
//	prc/m/<station>                    -> election ID
//	prc/x/<election>/<station>         -> "1" mobile, "0" fixed
//	prc/b/<station>/<round>            -> counters [issued returned spoiled closed box_invalid]
//	pcs/c/<consultation>               -> JSON of the consultation's domain state
//	pcs/r/<region>\x00<consultation>   -> (empty) consultations by region
//	psv/i/<inspection>                 -> JSON of the inspection's domain state
//	psv/r/<region>\x00<inspection>     -> (empty) inspections by region
//	prg/n/<code>                       -> JSON storedRegion (name, parent, committee kind)
//	prg/c/<parent>/<code>              -> (empty) a region's children (a province under "")
//
// Rounds are 4 bytes big-endian. No key or value holds a roll number.

const (
	shortTurnout = "to"
	shortResults = "rs"
	shortRecon   = "rc"
	shortConsult = "cs"
	shortSuperv  = "sv"
	shortRegions = "rg"
)

// key builds a key in buf from parts: 'p', the short name, '/', then each
// part as is.
func key(buf []byte, short string, parts ...string) []byte {
	buf = append(buf[:0], 'p')
	buf = append(buf, short...)
	buf = append(buf, '/')
	for _, p := range parts {
		buf = append(buf, p...)
	}
	return buf
}

// bkey is key with byte-slice parts (no conversion on the hot path).
func bkey(buf []byte, short string, kind string, id []byte) []byte {
	buf = append(buf[:0], 'p')
	buf = append(buf, short...)
	buf = append(buf, '/')
	buf = append(buf, kind...)
	return append(buf, id...)
}

func appendRound(buf []byte, round int) []byte {
	return binary.BigEndian.AppendUint32(buf, uint32(round))
}

func checkpointKey(short string) []byte { return key(nil, short, "\x00cp") }

// prefixBounds returns the bounds of every key of a projection.
func prefixBounds(short string) (lo, hi []byte) {
	lo = key(nil, short)
	hi = append([]byte("p"+short), '/'+1)
	return lo, hi
}

// upperBound returns the smallest key greater than every key with prefix p.
func upperBound(p []byte) []byte {
	hi := append([]byte(nil), p...)
	for i := len(hi) - 1; i >= 0; i-- {
		if hi[i] < 0xff {
			hi[i]++
			return hi[:i+1]
		}
	}
	return nil
}

func levelDigit(region []byte) byte { return '0' + byte(levelOf(len(region))) }

// levelOf maps a region code length to its level 1..5 (0: malformed).
func levelOf(n int) int {
	switch n {
	case 2:
		return 1
	case 4:
		return 2
	case 6:
		return 3
	case 9:
		return 4
	case 12:
		return 5
	}
	return 0
}

// regionLens are the code lengths of the levels, province first.
var regionLens = [...]int{2, 4, 6, 9, 12}

func itoa(n int) string { return strconv.Itoa(n) }
