package eventstore

import (
	"encoding/json"
	"unicode/utf8"
)

// parseBatch reads the body of a batch message (a JSON array of structured
// CloudEvents) into its events' attributes and data, as
// json.Unmarshal(data, &[]batchEvent) would, but without reflection: that
// call was most of the CPU of a rebuild from JetStream and of verify's
// JetStream pass. It takes the JSON the ledger writes (appendBatchEvent):
// known attribute names, each once, with strings that need no unescaping.
// Anything else (an escape, an unknown or repeated name, a null) returns
// false, and the caller decodes with encoding/json, so that both give the
// same events for any input (FuzzParseBatch checks it).
//
// The events' Data slices alias data. Strings that repeat from one event
// to the next (a command's type, aggregate, region, command ID, actor) are
// allocated once per message.
func parseBatch(data []byte) ([]batchEvent, bool) {
	p := batchParser{b: data}
	if !p.consume('[') {
		return nil, false
	}
	events := make([]batchEvent, 0, len(data)/batchEventBytes+1)
	for {
		events = append(events, batchEvent{})
		e := &events[len(events)-1]
		var prev *batchEvent
		if len(events) > 1 {
			prev = &events[len(events)-2]
		}
		if !p.object(e, prev) {
			return nil, false
		}
		if p.consume(']') {
			break
		}
		if !p.consume(',') {
			return nil, false
		}
	}
	p.space()
	return events, p.i == len(p.b)
}

// batchEventBytes is about the least a batch event takes (with a short
// payload), for sizing the array of a message's events.
const batchEventBytes = 512

type batchParser struct {
	b []byte
	i int
}

// space skips JSON whitespace.
func (p *batchParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, if c is next.
func (p *batchParser) consume(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads one event. prev is the event before it in the message, whose
// strings are reused when equal.
func (p *batchParser) object(e, prev *batchEvent) bool {
	if !p.consume('{') {
		return false
	}
	var seen uint32
	for first := true; ; first = false {
		if p.consume('}') {
			return true
		}
		if !first && !p.consume(',') {
			return false
		}
		name, ok := p.plainString()
		if !ok || !p.consume(':') {
			return false
		}
		if string(name) == "data" {
			if seen&(1<<31) != 0 {
				return false
			}
			seen |= 1 << 31
			if e.Data, ok = p.value(); !ok {
				return false
			}
			continue
		}
		k := batchAttrIndex(name)
		if k < 0 || seen&(1<<k) != 0 {
			return false
		}
		seen |= 1 << k
		v, ok := p.plainString()
		if !ok {
			return false
		}
		if f := e.field(k); f != nil {
			var was string
			if prev != nil {
				was = *prev.field(k)
			}
			if string(v) == was {
				*f = was
			} else {
				*f = string(v)
			}
		}
	}
}

// plainString reads a JSON string whose value is its bytes between the
// quotes: no backslash, no control character, valid UTF-8.
func (p *batchParser) plainString() ([]byte, bool) {
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		if c := p.b[j]; !plainByte[c] {
			if c != '"' {
				return nil, false
			}
			p.i = j + 1
			s := p.b[start:j]
			return s, utf8.Valid(s)
		}
	}
	return nil, false
}

// plainByte marks the bytes a JSON string holds as they are: all but
// control characters, the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// value reads one JSON value (the data) and returns its bytes. It finds
// the value's end by its brackets and strings, then leaves the grammar to
// json.Valid.
func (p *batchParser) value() ([]byte, bool) {
	p.space()
	start, depth := p.i, 0
scan:
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '"':
			if !p.skipString() {
				return nil, false
			}
			if depth == 0 {
				break scan
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				break scan
			}
			if depth--; depth == 0 {
				p.i++
				break scan
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				break scan
			}
		}
		p.i++
	}
	v := p.b[start:p.i]
	if depth != 0 || len(v) == 0 || string(v) == "null" || !json.Valid(v) {
		return nil, false
	}
	return v, true
}

// skipString moves past the JSON string that starts at p.i.
func (p *batchParser) skipString() bool {
	for j := p.i + 1; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			j++
		case '"':
			p.i = j + 1
			return true
		}
	}
	return false
}

// batchAttrIndex numbers the attribute names of a batch event that
// parseBatch knows: 0 to 14 for those batchEvent keeps (see field), 15 to
// 18 for those it ignores, -1 for any other.
func batchAttrIndex[T string | []byte](name T) int {
	switch string(name) {
	case "id":
		return 0
	case "type":
		return 1
	case "time":
		return 2
	case "subject":
		return 3
	case "ledgerschemaversion":
		return 4
	case "ledgerkind":
		return 5
	case "ledgerversion":
		return 6
	case "ledgerregion":
		return 7
	case "ledgeroccurredat":
		return 8
	case "ledgeractor":
		return 9
	case "ledgercommandid":
		return 10
	case "ledgercorrelationid":
		return 11
	case "ledgercausationid":
		return 12
	case "ledgerprevhash":
		return 13
	case "ledgerhash":
		return 14
	case "specversion":
		return 15
	case "source":
		return 16
	case "dataschema":
		return 17
	case "datacontenttype":
		return 18
	}
	return -1
}

// field returns where batchEvent keeps the attribute numbered k by
// batchAttrIndex, or nil for one it ignores.
func (b *batchEvent) field(k int) *string {
	switch k {
	case 0:
		return &b.ID
	case 1:
		return &b.Type
	case 2:
		return &b.Time
	case 3:
		return &b.Subject
	case 4:
		return &b.LedgerSchemaVersion
	case 5:
		return &b.LedgerKind
	case 6:
		return &b.LedgerVersion
	case 7:
		return &b.LedgerRegion
	case 8:
		return &b.LedgerOccurredAt
	case 9:
		return &b.LedgerActor
	case 10:
		return &b.LedgerCommandID
	case 11:
		return &b.LedgerCorrelationID
	case 12:
		return &b.LedgerCausationID
	case 13:
		return &b.LedgerPrevHash
	case 14:
		return &b.LedgerHash
	}
	return nil
}
