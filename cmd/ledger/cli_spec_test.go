package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"ledger/domain"
)

func allSpecs() []cmdSpec {
	return slices.Concat(electionSpecs(), stationSpecs(), recallSpecs(), profileSpecs(), consultationSpecs(), supervisionSpecs())
}

// TestSpecsMatchDomain sets every flag of every friendly command and
// checks that the domain decodes the body strictly (no unknown field, the
// right JSON types), and that every command type has a friendly command.
func TestSpecsMatchDomain(t *testing.T) {
	covered := map[string]bool{"register_voters": true, "record_regions": true} // election import-roll, regions import
	for _, s := range allSpecs() {
		t.Run(s.use, func(t *testing.T) {
			covered[s.ct] = true
			c := s.build(&apiFlags{g: &globals{}})
			var argv []string
			for _, f := range s.fields {
				v := sample(f.fkind)
				switch f.key {
				case "ratings", "check_ins", "ballots": // JSON arrays
					v = "[]"
				}
				argv = append(argv, "--"+f.flag+"="+v)
			}
			if err := c.Flags().Parse(argv); err != nil {
				t.Fatal(err)
			}
			body, err := s.body(c.Flags(), flagValues(c.Flags(), s))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(body)
			if _, err := domain.DecodeCommand(s.ct, b); err != nil {
				t.Errorf("%s: %v\n%s", s.ct, err, b)
			}
		})
	}
	for _, c := range domain.CommandTypes() {
		if !covered[c.CommandType()] {
			t.Errorf("no friendly command records %s", c.CommandType())
		}
	}
}

// flagValues returns the value pointers that build registered, by flag.
func flagValues(fs *pflag.FlagSet, s cmdSpec) map[string]any {
	vals := map[string]any{}
	for _, f := range s.fields {
		fl := fs.Lookup(f.flag)
		switch f.fkind {
		case kInt:
			n, _ := fs.GetInt(f.flag)
			vals[f.flag] = &n
		case kBool:
			b, _ := fs.GetBool(f.flag)
			vals[f.flag] = &b
		case kList, kCounts:
			l, _ := fs.GetStringSlice(f.flag)
			vals[f.flag] = &l
		case kArr:
			l, _ := fs.GetStringArray(f.flag)
			vals[f.flag] = &l
		default:
			v := fl.Value.String()
			vals[f.flag] = &v
		}
	}
	return vals
}

func sample(k fkind) string {
	switch k {
	case kInt:
		return "3"
	case kBool:
		return "true"
	case kList, kArr:
		return "a"
	case kJSON:
		return "{}"
	case kTime:
		return "2026-05-01T08:00:00+08:00"
	case kCounts:
		return "resident=3"
	}
	return "x"
}

func TestCountsOf(t *testing.T) {
	got, err := countsOf([]string{"resident=14", "owners_committee=3"})
	if err != nil || len(got) != 2 || got[1]["category"] != "owners_committee" || got[1]["count"] != 3 {
		t.Errorf("countsOf = %v, %v", got, err)
	}
	if _, err := countsOf([]string{"resident"}); err == nil || !strings.Contains(err.Error(), "category=count") {
		t.Errorf("countsOf without = : %v", err)
	}
}

func TestCheckRow(t *testing.T) {
	known := map[string]bool{tHall: true}
	seen := map[int]int{7: 3}
	for _, tc := range []struct {
		rec  []string
		want string
	}{
		{[]string{"1", tHall}, ""},
		{[]string{"1", tHall, "h-1"}, ""},
		{[]string{"0", tHall}, "invalid_roll_no"},
		{[]string{"x", tHall}, "invalid_roll_no"},
		{[]string{"7", tHall}, "duplicate_roll_no"},
		{[]string{"2", "hall"}, "unknown_station"},
		{[]string{"2", tMobile}, "unknown_station"},
		{[]string{"2", tHall, "户 1"}, "invalid_household"},
		{[]string{"2"}, "bad_columns"},
	} {
		_, rej := checkRow(9, tc.rec, known, seen)
		got := ""
		if rej != nil {
			got = rej.Code
		}
		if got != tc.want {
			t.Errorf("checkRow(%v) = %q, want %q", tc.rec, got, tc.want)
		}
	}
}
