package web

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
)

// reportScreen is what a report sheet shows.
type reportScreen struct {
	Figures map[string]string `json:"figures"`
	Tally   int               `json:"tally"`
	Sigs    []string          `json:"sigs"`
	Date    string            `json:"date"`
	Text    string            `json:"text"`
}

const reportJS = `(() => { const s = document.querySelector('[data-testid="report-sheet"]');
  return {figures: Object.fromEntries([...s.querySelectorAll('table.figures tr')].map(r => [r.dataset.k, r.cells[1].textContent.trim()])),
    tally: s.querySelectorAll('[data-testid="report-tally"]').length,
    sigs: [...s.querySelectorAll('[data-testid="sig"]')].map(p => p.textContent.trim()),
    date: (s.querySelector('[data-testid="report-date"]') || {}).textContent || '', text: s.textContent}; })()`

// TestResultReport records a village election's first round and checks
// the printable result report of the election and of its station against
// the API, and that printing shows the sheets alone.
func TestResultReport(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium chromium-driver)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode: starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := openNode(t, ctx)
	s := serveNode(t, n, nil)
	eid := ulid.Make().String()
	w := &walk{t: t, ctx: ctx, n: n, ea: domain.ElectionAddr{ElectionID: eid, Region: "220102001001"}, station: ulid.Make().String()}
	w.prepare(domain.CommitteeVillagers, 3, 10, "甲", "乙", "丙", "丁")
	w.day("2026-05-01")
	w.poll(1, 9)
	w.count(1, append(repeatBallot(6, "c1,c2,c3"), "c1,c4", "c1+王五", "")...)
	w.declare(1)

	b := browser(t)
	sh := newShooter(t)
	run(t, b, "sign in", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.admin), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`document.getElementById('main').dataset.ready === 'turnout'`))
	run(t, b, "election page", chromedp.Navigate(s.url+"/elections/"+eid), ready("/elections/"+eid, "election"),
		chromedp.Click(chromedp.CSS(`a[data-testid="report-link"]`)), ready("/report/"+eid, "report"))

	var res resultsJSON
	var rc struct{ Issued, Spoiled int64 }
	var api struct {
		Rounds []struct{ Cast, Valid, Blank, Invalid, Registered, Voted int64 }
	}
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &res)
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &api)
	s.call(t, "GET", "/api/v1/reconciliation/elections/"+eid+"?round=1", s.admin, "", 200, &rc)
	got := eval[reportScreen](t, b, "report", reportJS)
	r := api.Rounds[0]
	want := map[string]int64{"seats": 3, "registered": r.Registered, "voted": r.Voted, "issued": rc.Issued, "returned": r.Cast,
		"valid": r.Valid, "blank": r.Blank, "invalid": r.Invalid, "spoiled": rc.Spoiled}
	for k, v := range want {
		if got.Figures[k] != strconv.FormatInt(v, 10) {
			t.Errorf("report %s: %q, the API says %d", k, got.Figures[k], v)
		}
	}
	if got.Tally != len(res.Rounds[0].Tally) || len(got.Sigs) < 4 || got.Date != "2026年5月1日" ||
		!strings.Contains(got.Text, "《中华人民共和国村民委员会组织法》第十五条") || !strings.Contains(got.Figures["valid_round"], "有效") {
		t.Errorf("report: %d tally rows (API %d), signatures %v, date %q: %s", got.Tally, len(res.Rounds[0].Tally), got.Sigs, got.Date, got.Text)
	}
	run(t, b, "print", media("print"))
	if vis := eval[[]bool](t, b, "printed", `[document.querySelector('[data-testid="report-sheet"]').offsetParent !== null, document.querySelector('main .crumbs').offsetParent !== null]`); !vis[0] || vis[1] {
		t.Errorf("printing shows sheet %v, page chrome %v; want the sheet alone", vis[0], vis[1])
	}
	sh.shot(b, "report")
	run(t, b, "screen", media(""))

	// The station's ballot account: its place, its scrutineers, no candidate's votes.
	run(t, b, "station report", chromedp.Navigate(s.url+"/report/"+eid+"/"+w.station), ready("/report/"+eid+"/"+w.station, "report"))
	st := eval[reportScreen](t, b, "station report", reportJS)
	if st.Figures["place"] != "村委会" || st.Figures["issued"] != strconv.FormatInt(rc.Issued, 10) || st.Figures["difference"] != "0" ||
		st.Tally != 0 || !strings.Contains(strings.Join(st.Sigs, ","), "监票人 监票人甲") {
		t.Errorf("station report: %+v", st)
	}
	sh.shot(b, "report-station")
}
