package domain

import (
	"strings"
	"testing"
	"time"
)

func TestRecordRegions(t *testing.T) {
	const reg = "01J00000000000000000000R01"
	ok := []RegionEntry{{Code: "22", Name: "吉林省"}, {Code: "2201", Name: "长春市", Parent: "22"},
		{Code: "220102001001", Name: "华阳社区", Parent: "220102001", Committee: CommitteeResidents}}
	cmd := func(region Region, es ...RegionEntry) RecordRegions {
		return RecordRegions{RegisterID: reg, Region: region, Source: "test", Entries: es}
	}
	env := Env{Now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	evs, err := Decide(nil, cmd("22", ok...), env)
	if err != nil {
		t.Fatal(err)
	}
	st := Evolve(NewState(cmd("22").Target()), evs[0]).(*Regions)
	if got := evs[0].(RegionsRecorded); len(got.Entries) != 3 || st.Recorded != 3 {
		t.Errorf("recorded %+v, state %+v", got, st)
	}
	for _, tc := range []struct {
		name string
		c    RecordRegions
		code string
	}{
		{"register addressed by a city", cmd("2201", ok[1]), "region_not_province"},
		{"no entries", cmd("22"), "invalid_batch"},
		{"another province", cmd("22", RegionEntry{Code: "11", Name: "北京市"}), "invalid_region"},
		{"bad code", cmd("22", RegionEntry{Code: "220", Name: "x", Parent: "22"}), "invalid_region"},
		{"wrong parent", cmd("22", RegionEntry{Code: "220102", Name: "南关区", Parent: "2202"}), "wrong_parent"},
		{"empty name", cmd("22", RegionEntry{Code: "2201", Parent: "22"}), "invalid_text"},
		{"long name", cmd("22", RegionEntry{Code: "2201", Name: strings.Repeat("长", 101), Parent: "22"}), "invalid_text"},
		{"committee on a county", cmd("22", RegionEntry{Code: "220102", Name: "南关区", Parent: "2201", Committee: CommitteeVillagers}), "invalid_committee"},
		{"unknown committee", cmd("22", RegionEntry{Code: "220102001001", Name: "x", Parent: "220102001", Committee: "x"}), "invalid_committee"},
		{"twice", cmd("22", ok[1], ok[1]), "duplicate_region"},
		{"too many", cmd("22", make([]RegionEntry, MaxRegionBatch+1)...), "invalid_batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decide(nil, tc.c, env)
			wantCode(t, err, tc.code)
		})
	}
}
