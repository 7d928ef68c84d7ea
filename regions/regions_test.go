package regions

import (
	"strings"
	"testing"

	"ledger/domain"
)

func TestJilin(t *testing.T) {
	es := Jilin()
	levels := map[domain.Level]int{}
	kinds := map[domain.CommitteeKind]int{}
	names := map[domain.Region]string{}
	for _, e := range es {
		levels[e.Code.Level()]++
		kinds[e.Committee]++
		names[e.Code] = e.Name
	}
	want := map[domain.Level]int{domain.LevelProvince: 1, domain.LevelCity: 9, domain.LevelCounty: 69,
		domain.LevelTownship: 1075, domain.LevelVillage: 11860}
	for l, n := range want {
		if levels[l] != n {
			t.Errorf("level %d: %d regions, want %d", l, levels[l], n)
		}
	}
	if kinds[domain.CommitteeResidents] == 0 || kinds[domain.CommitteeVillagers] == 0 {
		t.Errorf("committee kinds %v", kinds)
	}
	for code, name := range map[domain.Region]string{"22": "吉林省", "2201": "长春市", "2224": "延边朝鲜族自治州", "220102": "南关区"} {
		if names[code] != name {
			t.Errorf("%s is %q, want %q", code, names[code], name)
		}
	}
	for i := 1; i < len(es); i++ {
		if es[i].Code.Level() < es[i-1].Code.Level() {
			t.Fatalf("entry %d (%s) comes after its level's successors", i, es[i].Code)
		}
	}
}

func TestParseRejectsRows(t *testing.T) {
	in := "\xEF\xBB\xBFcode,name,parent,committee\n" +
		"22,吉林省,,\n" +
		"2201,长春市,22\n" +
		"220102,南关区,2202,\n" + // wrong parent
		"2201,长春,22,\n" + // repeated
		"220102001,,220102,\n" + // empty name, and 220102 is refused, so orphans follow
		"2299,,22,\n" +
		"220,x,22,\n" + // bad length
		"2202,吉林市,22,residents\n" + // committee above village
		"2203,四平市\n" // columns
	got, bad, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Code != "22" || got[1].Code != "2201" {
		t.Errorf("good rows %v", got)
	}
	wantLines := []int{4, 5, 6, 7, 8, 9, 10}
	if len(bad) != len(wantLines) {
		t.Fatalf("bad rows %v, want lines %v", bad, wantLines)
	}
	for i, l := range wantLines {
		if bad[i].Line != l || bad[i].Reason == "" {
			t.Errorf("bad row %d: %+v, want line %d", i, bad[i], l)
		}
	}
	if _, _, err := Parse(strings.NewReader("22,吉林省,\n11,北京市,\n")); err != ErrMixedProvinces {
		t.Errorf("two provinces: err %v", err)
	}
}
