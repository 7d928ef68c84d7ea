package eventstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"ledger/eventstore"
)

func sampleEvents() []eventstore.Envelope {
	e := eventstore.Envelope{
		EventID: "01JDQ8Z3W5D3V0Y8C1N2P3Q4R5", Type: "station.voter_checked_in", SchemaVersion: 1,
		AggregateKind: "station", AggregateID: "S1", Version: 7, Region: "220102001001",
		RecordedAt: time.Date(2026, 11, 28, 8, 0, 0, 123, time.UTC), Actor: "supervisor-1",
		CommandID: "C1", Payload: []byte(`{"roll_no":12}`),
	}
	e.Seal()
	f := e
	f.EventID, f.Version, f.PrevHash, f.Payload = "01JDQ8Z3W5D3V0Y8C1N2P3Q4R6", 8, e.Hash, []byte(`{"roll_no":13,"note":"<&>"}`)
	f.Seal()
	return []eventstore.Envelope{e, f}
}

func FuzzDecodeCanonical(f *testing.F) {
	for _, e := range sampleEvents() {
		f.Add(e.AppendCanonical(nil))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e eventstore.Envelope
		if err := eventstore.DecodeCanonical(b, &e); err != nil {
			return
		}
		if got := e.AppendCanonical(nil); string(got) != string(b) {
			// Re-encoding must be stable except for times, which normalize.
			var again eventstore.Envelope
			if err := eventstore.DecodeCanonical(got, &again); err != nil {
				t.Fatalf("re-encoding does not decode: %v", err)
			}
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	events := sampleEvents()
	for _, m := range []*nats.Msg{
		eventstore.EncodeMessage("ledger.ev", events[:1]),
		eventstore.EncodeMessage("ledger.ev", events),
	} {
		var hdr strings.Builder
		for k, v := range m.Header {
			hdr.WriteString(k + ": " + v[0] + "\n")
		}
		f.Add(hdr.String(), m.Data)
	}
	f.Fuzz(func(t *testing.T, hdrText string, data []byte) {
		hdr := nats.Header{}
		for line := range strings.SplitSeq(hdrText, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				hdr[k] = []string{v}
			}
		}
		got, err := eventstore.DecodeMessage(hdr, data, 1)
		if err != nil {
			return
		}
		for _, e := range got {
			if e.ComputeHash() != e.Hash {
				t.Fatal("decoded an event whose hash does not match")
			}
		}
	})
}

func TestMessageRoundTrip(t *testing.T) {
	events := sampleEvents()
	for n := 1; n <= 2; n++ {
		m := eventstore.EncodeMessage("ledger.ev", events[:n])
		if want := "ledger.ev.22.2201.220102.220102001.220102001001.station.S1"; m.Subject != want {
			t.Fatalf("subject: got %s, want %s", m.Subject, want)
		}
		got, err := eventstore.DecodeMessage(m.Header, m.Data, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("got %d events, want %d", len(got), n)
		}
		for i := range got {
			if got[i].Hash != events[i].Hash || got[i].Seq != 9 || string(got[i].Payload) != string(events[i].Payload) {
				t.Fatalf("event %d did not round-trip", i)
			}
		}
	}
	m := eventstore.EncodeMessage("ledger.ev", events[:1])
	m.Data = []byte(`{"roll_no":99}`)
	if _, err := eventstore.DecodeMessage(m.Header, m.Data, 1); err == nil {
		t.Fatal("a changed payload decoded without error")
	}
}

// BenchmarkMessageCodec encodes and decodes a message of 50 check-ins, as
// a batched check_ins command records, and reports the cost per event.
//
//	go test ./eventstore -run '^$' -bench MessageCodec
func BenchmarkMessageCodec(b *testing.B) {
	base := sampleEvents()[0]
	events := make([]eventstore.Envelope, 50)
	for i := range events {
		e := base
		e.Version = uint64(i + 1)
		e.Payload = []byte(`{"round":1,"roll_no":` + strings.Repeat("7", 1+i%4) + `,"mode":"in_person","at":"2026-11-28T09:15:00Z"}`)
		if i > 0 {
			e.PrevHash = events[i-1].Hash
		}
		e.Seal()
		events[i] = e
	}
	m := eventstore.EncodeMessage("ledger.ev", events)
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			eventstore.EncodeMessage("ledger.ev", events)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := eventstore.DecodeMessage(m.Header, m.Data, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	})
}
