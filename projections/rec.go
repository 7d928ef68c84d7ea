package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"ledger/envelope"
	"ledger/eventstore"
)

// rec is the view of one event that the read models need. Its byte slices
// may point into a buffer that is reused for the next event: apply
// functions copy what they keep (string(b) on insert).
type rec struct {
	pos         uint64
	typ         []byte
	kind        []byte
	aggID       []byte
	region      []byte
	payload     []byte
	occurredRaw []byte    // RFC 3339 text, when decoded from the log
	occurred    time.Time // when converted from an Envelope
}

// fromEnvelope fills r from e. The slices alias e's strings without
// copying them (copying was a third of the read models' share of live
// ingest): a rec's fields are only ever read.
func (r *rec) fromEnvelope(e *eventstore.Envelope) {
	*r = rec{pos: e.Position, typ: readOnly(e.Type), kind: readOnly(e.AggregateKind), aggID: readOnly(e.AggregateID),
		region: readOnly(e.Region), payload: e.Payload, occurred: e.OccurredAt}
	if r.occurred.IsZero() {
		r.occurred = e.RecordedAt
	}
}

// readOnly returns the bytes of s without copying them. They must never be
// written to.
func readOnly(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

var errStored = errors.New("projections: undecodable stored event")

// fromCanonical fills r from an event's canonical encoding without copying
// or allocating; r aliases b. It does not check the hash: the audit
// package verifies the log.
func (r *rec) fromCanonical(pos uint64, b []byte) error {
	var v envelope.View
	if err := envelope.ParseView(b, &v); err != nil {
		return fmt.Errorf("%w: %w", errStored, err)
	}
	*r = rec{pos: pos, typ: v.Type, kind: v.AggregateKind, aggID: v.AggregateID, region: v.Region,
		payload: v.Payload, occurredRaw: v.OccurredAt}
	if len(r.occurredRaw) == 0 {
		r.occurredRaw = v.RecordedAt
	}
	return nil
}

// occurredUnix returns the event's occurred-at (else recorded-at) in Unix
// seconds.
func (r *rec) occurredUnix() (int64, bool) {
	if !r.occurred.IsZero() {
		return r.occurred.Unix(), true
	}
	return parseTimeUnix(r.occurredRaw)
}

// parseTimeUnix parses RFC 3339 text to Unix seconds, without allocating
// for the common shapes ("2026-05-01T09:00:00+08:00", "...Z", with a
// fraction).
func parseTimeUnix(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return slowTimeUnix(b)
	}
	var d [6]int
	for i, at := range [6]int{0, 5, 8, 11, 14, 17} {
		n := 2
		if i == 0 {
			n = 4
		}
		v, ok := digits(b[at : at+n])
		if !ok {
			return slowTimeUnix(b)
		}
		d[i] = v
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		rest = rest[i:]
	}
	off := 0
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, ok1 := digits(rest[1:3])
		m, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 {
			return slowTimeUnix(b)
		}
		off = h*3600 + m*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return slowTimeUnix(b)
	}
	t := time.Date(d[0], time.Month(d[1]), d[2], d[3], d[4], d[5], 0, time.UTC)
	return t.Unix() - int64(off), true
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func slowTimeUnix(b []byte) (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// Minimal scanning of flat JSON objects, for the payloads of the hot event
// types. Anything it does not understand makes it report failure, and the
// caller falls back to encoding/json or skips the event.

// eachField calls fn with each top-level member of the JSON object b: the
// raw key (between the quotes) and the raw value. It reports false on
// malformed input or when fn returns false.
func eachField(b []byte, fn func(k, v []byte) bool) bool {
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = ws(b, i+1)
	if i < len(b) && b[i] == '}' {
		return ws(b, i+1) == len(b)
	}
	for i < len(b) {
		if b[i] != '"' {
			return false
		}
		end := skipString(b, i)
		if end < 0 {
			return false
		}
		k := b[i+1 : end-1]
		i = ws(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = ws(b, i+1)
		vend := skipValue(b, i)
		if vend < 0 || !fn(k, b[i:vend]) {
			return false
		}
		i = ws(b, vend)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return ws(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = ws(b, i+1)
	}
	return false
}

func ws(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"', or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := skipString(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// jsonInt parses a JSON integer.
func jsonInt(v []byte) (int, bool) {
	if bytes.Equal(v, []byte("null")) {
		return 0, true
	}
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	n, ok := digits(v)
	if neg {
		n = -n
	}
	return n, ok
}

// jsonBool parses true, false or null.
func jsonBool(v []byte) (bool, bool) {
	switch string(v) {
	case "true":
		return true, true
	case "false", "null":
		return false, true
	}
	return false, false
}

// jsonStr returns the contents of a JSON string; with escapes it decodes
// them into a new slice.
func jsonStr(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s, true
	}
	u, err := strconv.Unquote(string(v))
	if err != nil {
		var out string
		if json.Unmarshal(v, &out) != nil {
			return nil, false
		}
		return []byte(out), true
	}
	return []byte(u), true
}

// eachString calls fn with each string of a JSON array of strings (or null).
func eachString(v []byte, fn func(s []byte)) bool {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return true
	}
	i := ws(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	i = ws(v, i+1)
	if i < len(v) && v[i] == ']' {
		return true
	}
	for i < len(v) {
		end := skipString(v, i)
		if v[i] != '"' || end < 0 {
			return false
		}
		s, ok := jsonStr(v[i:end])
		if !ok {
			return false
		}
		fn(s)
		i = ws(v, end)
		if i >= len(v) {
			return false
		}
		if v[i] == ']' {
			return true
		}
		if v[i] != ',' {
			return false
		}
		i = ws(v, i+1)
	}
	return false
}

// checkIn is the part of a station.voter_checked_in payload turnout needs.
// The roll number is deliberately not read.
type checkIn struct {
	round int
	mode  []byte
	at    int64 // Unix seconds; 0 when absent
}

func (c *checkIn) parse(p []byte) bool {
	*c = checkIn{}
	ok := true
	fine := eachField(p, func(k, v []byte) bool {
		switch string(k) {
		case "round":
			c.round, ok = jsonInt(v)
		case "mode":
			c.mode, ok = jsonStr(v)
		case "at":
			var s []byte
			if s, ok = jsonStr(v); ok {
				c.at, ok = parseTimeUnix(s)
			}
		}
		return ok
	})
	return fine && ok
}

// ballot is a station.ballot_recorded payload.
type ballot struct {
	round      int
	candidates []byte // raw JSON array
	writeIns   []byte // raw JSON array
	blank      bool
	invalid    bool
}

func (bl *ballot) parse(p []byte) bool {
	*bl = ballot{}
	ok := true
	fine := eachField(p, func(k, v []byte) bool {
		switch string(k) {
		case "round":
			bl.round, ok = jsonInt(v)
		case "candidates":
			bl.candidates = v
		case "write_ins":
			bl.writeIns = v
		case "blank":
			bl.blank, ok = jsonBool(v)
		case "invalid":
			bl.invalid, ok = jsonBool(v)
		}
		return ok
	})
	return fine && ok
}

// eachObject calls fn with each raw element of a JSON array of objects (or null).
func eachObject(v []byte, fn func(o []byte) bool) bool {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return true
	}
	i := ws(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	i = ws(v, i+1)
	if i < len(v) && v[i] == ']' {
		return true
	}
	for i < len(v) {
		end := skipValue(v, i)
		if end < 0 || v[i] != '{' || !fn(v[i:end]) {
			return false
		}
		i = ws(v, end)
		if i >= len(v) {
			return false
		}
		if v[i] == ']' {
			return true
		}
		if v[i] != ',' {
			return false
		}
		i = ws(v, i+1)
	}
	return false
}
