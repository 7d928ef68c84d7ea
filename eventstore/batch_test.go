package eventstore

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// attrsBatch is the batch encoding written from attrs, the list the
// single-event headers are made of: appendBatchEvent must give the same
// bytes.
func attrsBatch(events []Envelope) []byte {
	b := []byte{'['}
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for _, kv := range attrs(&events[i]) {
			b = strconv.AppendQuote(b, kv[0])
			b = append(b, ':')
			b = appendJSONString(b, kv[1])
			b = append(b, ',')
		}
		b = append(b, `"datacontenttype":"application/json","data":`...)
		b = append(b, events[i].Payload...)
		b = append(b, '}')
	}
	return append(b, ']')
}

// TestBatchEncodingFollowsAttrs: every attribute, optional ones present
// or not, and strings that need escaping.
func TestBatchEncodingFollowsAttrs(t *testing.T) {
	events := attrSamples()
	for i := range events {
		if got, want := encodeBatch(events[:i+1]), attrsBatch(events[:i+1]); !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
	for i := range events[:2] { // no string needs escaping
		if got, est := len(encodeBatch(events[i:i+1])), 2+batchEventSize(&events[i]); got > est || est-got > 40 {
			t.Errorf("event %d takes %d bytes, %d estimated", i, got, est)
		}
	}
}

// attrSamples are events with every attribute, optional ones present or
// not, and strings that need escaping (from the third on).
func attrSamples() []Envelope {
	base := Envelope{
		EventID: "01JDQ8Z3W5D3V0Y8C1N2P3Q4R5", Type: "station.voter_checked_in", SchemaVersion: 12,
		AggregateKind: "station", AggregateID: "S-1.a", Version: 70001, Region: "220102001001",
		RecordedAt: time.Date(2026, 11, 28, 8, 0, 0, 123456789, time.UTC), CommandID: "C1", Payload: []byte(`{"roll_no":12}`),
	}
	base.Seal()
	var events []Envelope
	for i, change := range []func(e *Envelope){
		func(e *Envelope) {},
		func(e *Envelope) {
			e.Actor, e.OccurredAt = "clerk 王", time.Date(2026, 11, 28, 7, 59, 0, 0, time.FixedZone("CST", 8*3600))
		},
		func(e *Envelope) { e.CorrelationID, e.CausationID = `quote " and \ back`, "<&>" },
		func(e *Envelope) { e.Type, e.RecordedAt = "a\tb", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		func(e *Envelope) { e.AggregateKind, e.Actor = "kind\u2028", "x" },
	} {
		e := base
		e.Version += uint64(i)
		change(&e)
		e.Seal()
		events = append(events, e)
	}
	return events
}
