package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"ledger/eventstore"
	"ledger/history"
)

func exportTestBundle(t *testing.T) (*verifyLog, *Bundle, []byte) {
	t.Helper()
	l := newVerifyLog(t)
	a, c := testAggregate(1), testAggregate(2)
	b, err := Export(context.Background(), l.store, l.tree, ExportOptions{
		Verifier: l.v, HeadsSigner: l.signer, Selection: "elections e1 and e2",
		Filter: func(e eventstore.Envelope) bool { return e.Aggregate() == a || e.Aggregate() == c },
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return l, b, data
}

func TestBundleRoundTrip(t *testing.T) {
	l, b, data := exportTestBundle(t)
	if len(b.Events) < 5 {
		t.Fatalf("bundle has %d events", len(b.Events))
	}
	r, err := VerifyBundle(data, PinKey(l.v.Key))
	if err != nil || !r.Intact || r.Events != uint64(len(b.Events)) || r.TreeSize != 30 {
		t.Fatalf("VerifyBundle: %+v, %v", r, err)
	}
	if got, want := strings.Join(r.Complete, ","), "election/e1,election/e2"; got != want || r.Selection != "elections e1 and e2" {
		t.Fatalf("complete %q (%q), want %q", got, r.Selection, want)
	}
}

// TestBundleIncomplete: an exported bundle with any event deleted, the
// last one deleted, all deleted, one duplicated or two swapped does not
// verify, and the problem names what is missing.
func TestBundleIncomplete(t *testing.T) {
	_, b, _ := exportTestBundle(t)
	type variant struct {
		name   string
		mutate func(b *Bundle)
	}
	var tests []variant
	for i := range b.Events {
		tests = append(tests, variant{fmt.Sprintf("event %d deleted", i), func(b *Bundle) { b.Events = slices.Delete(b.Events, i, i+1) }})
	}
	tests = append(tests,
		variant{"all deleted", func(b *Bundle) { b.Events = nil }},
		variant{"one duplicated", func(b *Bundle) { b.Events = slices.Insert(b.Events, 2, b.Events[1]) }},
		variant{"two swapped", func(b *Bundle) { b.Events[1], b.Events[2] = b.Events[2], b.Events[1] }},
		variant{"heads dropped", func(b *Bundle) { b.Format, b.Heads = "ledger-audit-bundle/v1", "" }},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Bundle
			data, _ := b.Marshal()
			_ = json.Unmarshal(data, &c)
			tc.mutate(&c)
			data, _ = c.Marshal()
			r, err := VerifyBundle(data)
			if err != nil || r.Intact || len(r.Complete) != 0 {
				t.Fatalf("got %+v, %v; want a bundle problem", r, err)
			}
			if w := r.FirstBad.What; !strings.Contains(w, "missing") && !strings.Contains(w, "again") &&
				!strings.Contains(w, "out of order") && !strings.Contains(w, "not proven") {
				t.Fatalf("first problem %q names nothing missing", w)
			}
		})
	}
}

func TestBundleTampered(t *testing.T) {
	l, b, _ := exportTestBundle(t)
	other, otherV := testKey(t, "ledger")
	resigned, _ := l.tree.CheckpointAt(other, 30)
	second := b.Events[1].Position
	tests := []struct {
		name    string
		mutate  func(b *Bundle)
		pin     string
		wantErr error
		wantAt  uint64
	}{
		{"canonical byte flipped", func(b *Bundle) { b.Events[1].Canonical[40] ^= 1 }, "", nil, second},
		{"hash replaced", func(b *Bundle) { b.Events[1].Hash = strings.Repeat("0", 64) }, "", nil, second},
		{"proof byte flipped", func(b *Bundle) { b.Events[1].InclusionProof[0] = flip(b.Events[1].InclusionProof[0]) }, "", nil, second},
		{"proofs swapped", func(b *Bundle) {
			b.Events[1].InclusionProof, b.Events[2].InclusionProof = b.Events[2].InclusionProof, b.Events[1].InclusionProof
		}, "", nil, second},
		{"position moved", func(b *Bundle) { b.Events[1].Position++ }, "", nil, second + 1},
		{"resigned with another key, key swapped", func(b *Bundle) { b.Checkpoint, b.VerifierKey = string(resigned), otherV.Key }, l.v.Key, ErrCheckpoint, 0},
		{"resigned with another key", func(b *Bundle) { b.Checkpoint = string(resigned) }, "", ErrCheckpoint, 0},
		{"checkpoint extra line", func(b *Bundle) { b.Checkpoint = strings.Replace(b.Checkpoint, "\n\n", "\nx\n\n", 1) }, "", ErrCheckpoint, 0},
		{"wrong format", func(b *Bundle) { b.Format = "v0" }, "", ErrBundle, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Bundle
			data, _ := b.Marshal()
			_ = json.Unmarshal(data, &c)
			tc.mutate(&c)
			data, _ = c.Marshal()
			var opts []BundleOption
			if tc.pin != "" {
				opts = append(opts, PinKey(tc.pin))
			}
			r, err := VerifyBundle(data, opts...)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || r.Intact || r.FirstBad.Position != tc.wantAt || r.FirstBad.Source != SourceBundle {
				t.Fatalf("got %+v, %v; want a bundle problem at %d", r.FirstBad, err, tc.wantAt)
			}
		})
	}
}

func TestParseBundleStrict(t *testing.T) {
	_, _, data := exportTestBundle(t)
	bad := map[string][]byte{
		"unknown field": bytes.Replace(data, []byte(`"format"`), []byte(`"extra": 1, "format"`), 1),
		"trailing data": append(bytes.Clone(data), []byte(` {}`)...),
		"not json":      []byte("format: v1"),
	}
	for name, d := range bad {
		if _, err := ParseBundle(d); !errors.Is(err, ErrBundle) {
			t.Errorf("%s: got %v, want ErrBundle", name, err)
		}
	}
}

// TestReplay checks history.Replay on the log the verify tests build.
func TestReplay(t *testing.T) {
	l := newVerifyLog(t)
	agg := testAggregate(3)
	var mine []eventstore.Envelope
	for _, e := range l.events {
		if e.Aggregate() == agg {
			mine = append(mine, e)
		}
	}
	ctx := context.Background()
	all, err := history.Replay(ctx, l.store, agg, history.AsOf{})
	if err != nil || len(all) != len(mine) {
		t.Fatalf("replay now: %d events, %v; want %d", len(all), err, len(mine))
	}
	at := mine[2].Position
	got, err := history.Replay(ctx, l.store, agg, history.AsOf{Position: at})
	if err != nil || len(got) != 3 || got[2].Position != at {
		t.Fatalf("replay at position %d: %d events, %v", at, len(got), err)
	}
	got, err = history.Replay(ctx, l.store, agg, history.AsOf{Time: mine[1].RecordedAt})
	if err != nil || len(got) != 2 {
		t.Fatalf("replay at time: %d events, %v", len(got), err)
	}
}
