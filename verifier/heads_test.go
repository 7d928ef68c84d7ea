package verifier_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"ledger/verifier"
	"ledger/verifier/verifiertest"
)

// TestBundleComplete: a bundle proves that it holds every event of its
// aggregates up to the checkpoint. Deleting any event, the last, all of
// them, duplicating one, swapping two, or dropping the heads: each makes
// VerifyBundle report a problem that names what is missing.
func TestBundleComplete(t *testing.T) {
	const n = 6
	good, vkey := verifiertest.Bundle(t, n)
	type variant struct {
		name   string
		mutate func(b *verifier.Bundle)
		want   string
	}
	var tests []variant
	for i := range n {
		tests = append(tests, variant{fmt.Sprintf("event %d deleted", i+1), func(b *verifier.Bundle) {
			b.Events = slices.Delete(b.Events, i, i+1)
		}, "missing"})
	}
	tests = append(tests,
		variant{"all deleted", func(b *verifier.Bundle) { b.Events = nil }, "versions 1-6 missing"},
		variant{"tail cut", func(b *verifier.Bundle) { b.Events = b.Events[:3] }, "versions 4-6 missing"},
		variant{"one duplicated", func(b *verifier.Bundle) { b.Events = slices.Insert(b.Events, 3, b.Events[2]) }, "version 3 again"},
		variant{"two swapped", func(b *verifier.Bundle) { b.Events[2], b.Events[3] = b.Events[3], b.Events[2] }, "out of order"},
		variant{"no heads", func(b *verifier.Bundle) { b.Format, b.Heads = verifier.BundleFormatV1, "" }, "completeness not proven"},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b verifier.Bundle
			data, _ := json.Marshal(good)
			if err := json.Unmarshal(data, &b); err != nil {
				t.Fatal(err)
			}
			tc.mutate(&b)
			data, _ = json.Marshal(&b)
			res, err := verifier.VerifyBundle(data, verifier.PinKey(vkey))
			if err != nil {
				t.Fatalf("VerifyBundle: %v", err)
			}
			var all []string
			for _, p := range res.Problems {
				all = append(all, p.What)
			}
			if !strings.Contains(strings.Join(all, "; "), tc.want) {
				t.Fatalf("problems %q; want one saying %q", all, tc.want)
			}
		})
	}
	data, _ := json.Marshal(good)
	if res, err := verifier.VerifyBundle(data, verifier.PinKey(vkey)); err != nil || len(res.Problems) != 0 || len(res.Heads.Heads) != 1 {
		t.Fatalf("the untouched bundle: %+v, %v", res, err)
	}
}

// TestBundleHeadsTampered: heads that are not signed by the checkpoint's
// key, or that speak of another checkpoint, do not make a bundle complete.
func TestBundleHeadsTampered(t *testing.T) {
	good, vkey := verifiertest.Bundle(t, 4)
	other, _ := verifiertest.Bundle(t, 5)
	edited := strings.Replace(good.Heads, " 4 4 ", " 3 3 ", 1)
	for name, heads := range map[string]string{"other key and checkpoint": other.Heads, "edited": edited} {
		b := *good
		b.Heads = heads
		data, _ := json.Marshal(&b)
		res, err := verifier.VerifyBundle(data, verifier.PinKey(vkey))
		if err == nil && len(res.Problems) == 0 {
			t.Errorf("%s heads: verified", name)
		}
	}
}
