package eventstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// sameAsJSON fails t unless parseBatch, where it takes data, gives what
// encoding/json gives. It reports whether parseBatch took it.
func sameAsJSON(t *testing.T, data []byte) bool {
	t.Helper()
	got, ok := parseBatch(data)
	if !ok {
		return false
	}
	var want []batchEvent
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("parseBatch took what encoding/json refuses (%v):\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseBatch and encoding/json differ on\n%s\n got %+v\nwant %+v", data, got, want)
	}
	return true
}

// TestParseBatchMatchesJSON: the batches the ledger writes are parsed by
// the fast path; anything outside what it knows is left to encoding/json,
// and what it takes it reads as encoding/json does.
func TestParseBatchMatchesJSON(t *testing.T) {
	events := attrSamples()
	plain := encodeBatch(events[:2])
	if !sameAsJSON(t, plain) {
		t.Fatalf("the ledger's own batch was not parsed by the fast path:\n%s", plain)
	}
	if got, _ := parseBatch(plain); got[1].LedgerCommandID != got[0].LedgerCommandID || got[1].LedgerActor == got[0].LedgerActor {
		t.Fatalf("attributes mixed up between events: %+v", got)
	}
	if sameAsJSON(t, encodeBatch(events)) {
		t.Fatal("strings with escapes were taken by the fast path")
	}
	one := string(encodeBatch(events[:1]))
	body := strings.TrimSuffix(strings.TrimPrefix(one, "[{"), "}]")
	for _, c := range []struct {
		name string
		data string
		fast bool // the fast path takes it
	}{
		{"whitespace everywhere", " [ {" + strings.ReplaceAll(body, `":`, "\" :\n\t") + "} ]\r\n", true},
		{"data first", `[{"data":[1,{"a":"]}\""}],` + strings.Replace(body, `,"data":{"roll_no":12}`, "", 1) + "}]", true},
		{"data a string", strings.Replace(one, `"data":{"roll_no":12}`, `"data":"x\"}"`, 1), true},
		{"data a number", strings.Replace(one, `"data":{"roll_no":12}`, `"data":-1.5e3`, 1), true},
		{"empty object", `[{}]`, true},
		{"no data", strings.Replace(one, `,"data":{"roll_no":12}`, "", 1), true},
		{"data null", strings.Replace(one, `"data":{"roll_no":12}`, `"data":null`, 1), false},
		{"data invalid", strings.Replace(one, `"data":{"roll_no":12}`, `"data":{"roll_no":12,}`, 1), false},
		{"data two values", strings.Replace(one, `"data":{"roll_no":12}`, `"data":1 2`, 1), false},
		{"unknown name", strings.Replace(one, `"subject"`, `"extra":"x","subject"`, 1), false},
		{"name in capitals", strings.Replace(one, `"type"`, `"TYPE"`, 1), false},
		{"name twice", strings.Replace(one, `"subject"`, `"type":"other","subject"`, 1), false},
		{"null attribute", strings.Replace(one, `"ledgercommandid":"C1"`, `"ledgercommandid":null`, 1), false},
		{"number attribute", strings.Replace(one, `"ledgerversion":"70001"`, `"ledgerversion":70001`, 1), false},
		{"escaped attribute", strings.Replace(one, `"type":"station.voter_checked_in"`, `"type":"station\u002evoter_checked_in"`, 1), false},
		{"invalid UTF-8", strings.Replace(one, `"S-1.a"`, "\"S-1\xff\"", 1), false},
		{"null event", `[null]`, false},
		{"empty", `[]`, false},
		{"trailing comma", `[{},]`, false},
		{"trailing bytes", one + "x", false},
		{"cut short", one[:len(one)-2], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if fast := sameAsJSON(t, []byte(c.data)); fast != c.fast {
				t.Fatalf("fast path took it: %v, want %v:\n%s", fast, c.fast, c.data)
			}
		})
	}
}

// FuzzParseBatch: on any input the fast path takes, encoding/json gives
// the same events.
func FuzzParseBatch(f *testing.F) {
	events := attrSamples()
	f.Add(encodeBatch(events[:1]))
	f.Add(encodeBatch(events[:2]))
	f.Add(encodeBatch(events))
	f.Add([]byte(`[{"data":[1,{"a":"]}\""}],"id":"x"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsJSON(t, data)
	})
}
