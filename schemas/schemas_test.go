package schemas_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/schemas"
)

// TestCommittedSchemas is the CI check: the committed files are exactly
// what the generator makes from the Go types.
func TestCommittedSchemas(t *testing.T) {
	diffs, err := schemas.Check("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.Log("regenerate with: go run ./schemas/gen")
	}
}

func TestEverySchemaForbidsUnknownProperties(t *testing.T) {
	for _, ev := range domain.EventTypes() {
		s := loadSchema(t, "events/"+ev.EventType()+".json")
		if s["additionalProperties"] != false || s["$id"] != schemas.DataSchema(ev.EventType()) {
			t.Errorf("%s: additionalProperties %v, $id %v", ev.EventType(), s["additionalProperties"], s["$id"])
		}
	}
}

// TestRealPayloadsValidate checks every event of the domain's golden
// scenarios (real Decide output) against its committed schema.
func TestRealPayloadsValidate(t *testing.T) {
	files, _ := filepath.Glob("../domain/testdata/*.golden")
	if len(files) == 0 {
		t.Fatal("no golden scenarios under ../domain/testdata")
	}
	seen := map[string]int{}
	for _, f := range files {
		for _, ev := range goldenEvents(t, f) {
			seen[ev.Type]++
			s := loadSchema(t, "events/"+ev.Type+".json")
			if errs := validate(s, decode(t, ev.Payload), ev.Type); len(errs) > 0 {
				t.Errorf("%s: %s: %v", filepath.Base(f), ev.Payload, errs)
			}
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d event types in the golden scenarios", len(seen))
	}
}

func TestValidatorRejects(t *testing.T) {
	s := loadSchema(t, "events/station.voter_checked_in.json")
	good := `{"round":1,"roll_no":7,"mode":"in_person","at":"2026-05-01T08:00:00+08:00"}`
	tests := []struct{ name, payload string }{
		{"unknown property", `{"round":1,"roll_no":7,"mode":"in_person","at":"2026-05-01T08:00:00+08:00","name":"张三"}`},
		{"missing required", `{"round":1,"mode":"in_person","at":"2026-05-01T08:00:00+08:00"}`},
		{"wrong type", `{"round":"1","roll_no":7,"mode":"in_person","at":"2026-05-01T08:00:00+08:00"}`},
		{"bad time", `{"round":1,"roll_no":7,"mode":"in_person","at":"yesterday"}`},
	}
	if errs := validate(s, decode(t, []byte(good)), ""); len(errs) > 0 {
		t.Fatalf("good payload: %v", errs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := validate(s, decode(t, []byte(tt.payload)), ""); len(errs) == 0 {
				t.Error("valid; want an error")
			}
		})
	}
}

// TestEnvelopeMatchesMessages checks the envelope schema against what
// eventstore.EncodeMessage really sends, in both content modes.
func TestEnvelopeMatchesMessages(t *testing.T) {
	s := loadSchema(t, "envelope.json")
	evs := []eventstore.Envelope{sealed(1, `{"round":1,"roll_no":1,"mode":"in_person","at":"2026-05-01T08:00:00+08:00"}`), sealed(2, `{"round":1}`)}
	batch := eventstore.EncodeMessage("ledger.ev", evs)
	var elems []any
	if err := json.Unmarshal(batch.Data, &elems); err != nil {
		t.Fatal(err)
	}
	for _, e := range elems {
		if errs := validate(s, e, ""); len(errs) > 0 {
			t.Errorf("batch element: %v", errs)
		}
	}
	single := eventstore.EncodeMessage("ledger.ev", evs[:1])
	attrs := map[string]any{}
	for name, v := range single.Header {
		if a, ok := strings.CutPrefix(name, "ce-"); ok {
			attrs[a] = v[0]
		}
	}
	if errs := validate(s, attrs, ""); len(errs) > 0 {
		t.Errorf("ce- headers of a single-event message: %v", errs)
	}
}

func sealed(version uint64, payload string) eventstore.Envelope {
	e := eventstore.Envelope{
		EventID: "01J0000000000000000000000" + string(rune('0'+version)), Type: "station.voter_checked_in", SchemaVersion: 1,
		AggregateKind: "station", AggregateID: "01J00000000000000000000101", Version: version, Region: "220102001001",
		RecordedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), Actor: "监票人", CommandID: "01J00000000000000000000999",
		Payload: []byte(payload),
	}
	e.Seal()
	return e
}

type goldenEvent struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func goldenEvents(t *testing.T, path string) []goldenEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var line struct{ Events []goldenEvent }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, line.Events...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b).(map[string]any)
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}
