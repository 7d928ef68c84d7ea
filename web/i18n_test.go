package web

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// keyLike matches text that looks like a message key left untranslated
// (election.kind.by_election, turnout.live).
var keyLike = regexp.MustCompile(`\b[a-z]+(?:\.[a-zA-Z0-9_]+)+\b`)

// TestTranslations opens every page in Chinese and in English and fails on
// a message key that the page's language lacks (the dashboard falls back
// to Chinese, then to the key itself), on key-like text on screen, and on
// a key that one dictionary has and the other lacks.
func TestTranslations(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium chromium-driver)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode: records a province and starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := startSite(t, ctx)
	var trail struct {
		Entries []struct {
			AggregateKind string `json:"aggregate_kind"`
			AggregateID   string `json:"aggregate_id"`
		} `json:"entries"`
	}
	s.call(t, "GET", "/api/v1/audit/events?region=22&limit=200", s.admin, "", 200, &trail)
	var eid string
	for _, e := range trail.Entries {
		if e.AggregateKind == "election" {
			eid = e.AggregateID
			break
		}
	}
	if eid == "" {
		t.Fatal("no election in the recorded province")
	}
	var et struct {
		Stations []struct {
			StationID string `json:"station_id"`
		} `json:"stations"`
	}
	s.call(t, "GET", "/api/v1/turnout/elections/"+eid, s.admin, "", 200, &et)
	sid := et.Stations[0].StationID
	pages := []string{"/turnout/22", "/turnout/2205", "/turnout/99", "/elections/" + eid, "/report/" + eid, "/report/" + eid + "/" + sid,
		"/desk/" + eid + "/" + sid, "/count/" + eid + "/" + sid, "/count/" + eid + "/" + sid + "/public",
		"/audit?kind=election&id=" + eid, "/consultations/22", "/supervision/22", "/public", "/public/elections/" + eid}

	b := browser(t)
	run(t, b, "sign in", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.admin), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`document.getElementById('main').dataset.ready === 'turnout'`))
	const i18n = `import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'i18n.js'))`
	parity := get(t, b, "dictionaries", chromedp.Evaluate[map[string][]string](i18n+`.then(m => m.keyParity())`, chromedp.EvalAwaitPromise))
	if len(parity["zhOnly"]) > 0 || len(parity["enOnly"]) > 0 {
		t.Errorf("keys only in Chinese %v, only in English %v", parity["zhOnly"], parity["enOnly"])
	}
	named := get(t, b, "event names", chromedp.Evaluate[[]string](strings.Replace(i18n, "i18n.js", "eventnames.js", 1)+`.then(m => Object.keys(m.eventNames))`, chromedp.EvalAwaitPromise))
	schemas, err := filepath.Glob(filepath.Join("..", "schemas", "events", "*.json"))
	if err != nil || len(schemas) == 0 {
		t.Fatalf("event schemas: %v", err)
	}
	for _, f := range schemas {
		if typ := strings.TrimSuffix(filepath.Base(f), ".json"); !slices.Contains(named, typ) {
			t.Errorf("event type %s has no name on the audit pages (web/assets/js/eventnames.js)", typ)
		}
	}
	for _, lang := range []string{"zh", "en"} {
		for _, p := range pages {
			run(t, b, "open "+p, chromedp.Navigate(s.url+p), waitJS(`!!document.getElementById('main').dataset.ready`),
				chromedp.Sleep(300*time.Millisecond))
			if lang == "en" && p == pages[0] {
				run(t, b, "English", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'en-US'`),
					waitJS(`!!document.getElementById('main').dataset.ready`))
			}
			missing := get(t, b, "missing keys", chromedp.Evaluate[[]string](i18n+`.then(m => m.missingKeys())`, chromedp.EvalAwaitPromise))
			for _, m := range missing {
				if strings.HasPrefix(m, lang+":") {
					t.Errorf("%s %s: no translation of %s", lang, p, m)
				}
			}
			body := eval[string](t, b, "page text", `document.body.innerText`)
			for _, k := range keyLike.FindAllString(body, -1) {
				if !strings.Contains(k, "@") && !strings.HasPrefix(k, "ledger.") {
					t.Errorf("%s %s: key-like text %q on screen", lang, p, k)
				}
			}
		}
	}
	checkCSV(t, b, s.url)
	screens(t, b, s.url, pages)
}

// checkCSV: every table has an export button, and the CSV of the turnout
// table starts with a byte order mark and holds the table's rows.
func checkCSV(t *testing.T, b context.Context, base string) {
	t.Helper()
	run(t, b, "turnout", chromedp.Navigate(base+"/turnout/22"), ready("/turnout/22", "turnout"))
	const dom = `import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'dom.js'))`
	csv := get(t, b, "csv", chromedp.Evaluate[string](dom+`.then(m => m.tableCSV(document.getElementById('children')))`, chromedp.EvalAwaitPromise))
	rows := eval[[]screenRow](t, b, "rows", rowsJS)
	lines := strings.Split(strings.TrimSuffix(csv, "\r\n"), "\r\n")
	if !strings.HasPrefix(csv, "\uFEFF") || len(lines) != len(rows)+1 || !strings.HasPrefix(lines[1], rows[0].Cells[0]+","+rows[0].Cells[1]) {
		t.Errorf("CSV of the turnout table: %q; rows %v", csv, rows)
	}
	if n := eval[[]int](t, b, "buttons", `[document.querySelectorAll('main table').length, document.querySelectorAll('[data-testid="csv"]').length]`); n[0] != n[1] || n[0] == 0 {
		t.Errorf("%d tables, %d export buttons", n[0], n[1])
	}
}

// screens opens every page on a phone (390x844) and a 10-inch tablet
// (800x1280, portrait): no page may be wider than the screen, and on the
// phone the navigation is behind the menu button, which opens it.
func screens(t *testing.T, b context.Context, base string, pages []string) {
	t.Helper()
	sh := newShooter(t)
	for _, size := range [][2]int64{{390, 844}, {800, 1280}} {
		run(t, b, "screen size", viewport(size[0], size[1]))
		for _, p := range pages {
			checkWidth(t, b, base, p)
		}
		run(t, b, "turnout", chromedp.Navigate(base+"/turnout/22"), ready("/turnout/22", "turnout"))
		nav := eval[bool](t, b, "navigation shown", `document.getElementById('nav').offsetParent !== null`)
		if phone := size[0] < 600; nav == phone {
			t.Errorf("at %d px the navigation is shown: %v", size[0], nav)
		}
		if size[0] < 600 {
			sh.shot(b, "phone-turnout")
			run(t, b, "open the menu", chromedp.Click(chromedp.ID("menu")), waitJS(`document.getElementById('nav').offsetParent !== null`))
			sh.shot(b, "phone-menu")
			run(t, b, "follow a link", chromedp.Click(chromedp.CSS(`#nav a[data-nav="consultations"]`)),
				waitJS(`document.getElementById('main').dataset.ready === 'consultations' && document.getElementById('nav').offsetParent === null`))
		}
	}
}
