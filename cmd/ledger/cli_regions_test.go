package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ledger/projections"
)

// TestRegionsImport records Jilin's register from the shipped file, reads
// names back through the API, and checks that a file with a bad row sends
// nothing and that the same import again records nothing twice.
func TestRegionsImport(t *testing.T) {
	e := newCLIEnv(t)
	bad := filepath.Join(e.dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("code,name,parent\n22,吉林省,\n2201,长春市,22\n220102,南关区,2202\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := e.run(e.args("regions", "import", "", bad)...)
	if code != 3 || !strings.Contains(out, "line 4") || !strings.Contains(out, "nothing was sent") {
		t.Fatalf("a bad row: exit %d, want 3 naming line 4:\n%s", code, out)
	}
	if v := e.region(t, "22"); v.Known {
		t.Fatalf("a refused file recorded %+v", v)
	}

	jilin := filepath.Join("..", "..", "regions", "jilin.csv")
	var rep regionsReport
	out = e.must("regions", "import", "", jilin, "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Recorded != 13014 || len(rep.Commands) != 14 || len(rep.Rejected) != 0 {
		t.Errorf("recorded %d regions in %d commands, rejected %v", rep.Recorded, len(rep.Commands), rep.Rejected)
	}
	v := e.region(t, "220102")
	if v.Name != "南关区" || len(v.Ancestors) != 2 || v.Ancestors[0].Name != "吉林省" || v.Ancestors[1].Name != "长春市" || len(v.Children) == 0 {
		t.Errorf("220102: %+v", v)
	}
	if v := e.region(t, "220102001001"); v.Committee != "residents" || v.Name == "" {
		t.Errorf("a community: %+v", v)
	}
	if v := e.region(t, "2299"); v.Known {
		t.Errorf("an unrecorded code is known: %+v", v)
	}

	out = e.must("regions", "import", "", jilin, "--json")
	rep = regionsReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Commands {
		if !c.Duplicate {
			t.Fatalf("the same import again recorded command %s anew", c.CommandID)
		}
	}
}

// region reads a region through the public API.
func (e *cliEnv) region(t *testing.T, code string) projections.RegionView {
	t.Helper()
	res, err := http.Get(e.url + "/api/v1/public/regions/" + code)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v projections.RegionView
	if res.StatusCode != 200 {
		t.Fatalf("region %s: status %d", code, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
