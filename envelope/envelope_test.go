package envelope

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func sample() Envelope {
	e := Envelope{EventID: "01J0000000000000000000000E", Type: "election.called", SchemaVersion: 1,
		AggregateKind: "election", AggregateID: "01J0000000000000000000000A", Version: 3, Region: "220102001001",
		RecordedAt: time.Date(2026, 5, 1, 1, 0, 0, 5, time.UTC), OccurredAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		Actor: "clerk", CommandID: "01J0000000000000000000000C", CorrelationID: "c", CausationID: "k",
		Payload: []byte(`{"n":1}`)}
	e.PrevHash[0] = 7
	e.Seal()
	return e
}

func TestHashText(t *testing.T) {
	e := sample()
	b, err := json.Marshal(e.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"` + e.Hash.String() + `"`; string(b) != want || len(b) != 66 {
		t.Fatalf("JSON hash %s, want %s", b, want)
	}
	var back Hash
	if err := json.Unmarshal(b, &back); err != nil || back != e.Hash {
		t.Fatalf("round trip: %v, %x", err, back)
	}
	for _, bad := range []string{`"00"`, `"` + strings.Repeat("zz", 32) + `"`} {
		if err := json.Unmarshal([]byte(bad), &back); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestViewMatchesDecode(t *testing.T) {
	e := sample()
	c := e.AppendCanonical(nil)
	var got Envelope
	if err := DecodeCanonical(c, &got); err != nil {
		t.Fatal(err)
	}
	var v View
	if err := ParseView(c, &v); err != nil {
		t.Fatal(err)
	}
	n, err := v.VersionNumber()
	if err != nil || n != e.Version || string(v.Type) != e.Type || string(v.AggregateID) != e.AggregateID ||
		string(v.Payload) != string(e.Payload) || [HashSize]byte(v.PrevHash) != e.PrevHash || string(v.Region) != got.Region {
		t.Fatalf("view %+v does not show %+v", v, e)
	}
	if err := ParseView(c[:len(c)-1], &v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated: %v, want ErrCorrupt", err)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = ParseView(c, &v) }); allocs != 0 {
		t.Errorf("ParseView allocates %v times", allocs)
	}
}

func TestWireEventRebuildsEnvelope(t *testing.T) {
	e := sample()
	e.Position, e.Seq = 9, 4
	b, err := json.Marshal(EventOf(&e))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"payload":{"n":1}`) || !strings.Contains(string(b), `"hash":"`+e.Hash.String()+`"`) {
		t.Fatalf("wire form %s: payload not JSON or hash not hex", b)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ComputeHash() != e.Hash {
		t.Fatal("the wire event does not rebuild the hashed envelope")
	}
}

func FuzzParseView(f *testing.F) {
	e := sample()
	f.Add(e.AppendCanonical(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v View
		var d Envelope
		errV, errD := ParseView(b, &v), DecodeCanonical(b, &d)
		if errD == nil && errV != nil {
			t.Fatalf("DecodeCanonical accepts what ParseView refuses: %v", errV)
		}
	})
}
