package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"ledger/domain"
	"ledger/node"
	"ledger/regions"
	"ledger/scenario"
	"ledger/server"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// testSite is a real node with a small recorded province, served by the real
// API wrapped with the dashboard.
type testSite struct {
	url      string
	admin    string
	observer string
}

func startSite(t *testing.T, ctx context.Context) *testSite {
	t.Helper()
	n := openNode(t, ctx)
	start := time.Now()
	sum, err := scenario.Record(ctx, n.Ledger, scenario.Config{Scale: 0.0002, Seed: 3, Recorders: 16, LiveIDs: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d elections, %d events in %v", sum.Elections, sum.Events, time.Since(start).Round(time.Millisecond))
	s := serveNode(t, n, nil)
	s.recordRegister(t)
	return s
}

// recordRegister records the shipped register of Jilin through the API,
// as "ledger regions import regions/jilin.csv" does.
func (s *testSite) recordRegister(t *testing.T) {
	t.Helper()
	es := regions.Jilin()
	for from := 0; from < len(es); from += domain.MaxRegionBatch {
		postCommand(t, s, "record_regions", domain.RecordRegions{RegisterID: regions.RegisterID("22"), Region: "22",
			Source: regions.JilinSource, Entries: es[from:min(from+domain.MaxRegionBatch, len(es))]})
	}
}

// openNode opens a node on embedded defaults in a temp dir.
func openNode(t *testing.T, ctx context.Context) *node.Node {
	t.Helper()
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), AllowFutureOccurredAt: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	<-n.Store.Ready()
	return n
}

// serveNode serves n's API with the dashboard on a loopback port and
// makes an admin and an observer token.
func serveNode(t *testing.T, n *node.Node, wrap func(http.Handler) http.Handler) *testSite {
	t.Helper()
	srv, err := server.New(n, server.Options{StreamPoll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := srv.Tokens().Bootstrap(n.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	h := Mount(srv.Handler())
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close) // ends the streams before ts.Close waits for them
	s := &testSite{url: ts.URL, admin: admin}
	var tok server.NewToken
	s.call(t, http.MethodPost, "/api/v1/tokens", admin, `{"role":"observer","actor":"observer:web-test"}`, http.StatusCreated, &tok)
	s.observer = tok.Token
	return s
}

// call does one API request and decodes its JSON answer into out.
func (s *testSite) call(t *testing.T, method, path, token, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, buf.String())
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

// browser starts headless Chromium with the flags this machine needs.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return bctx
}

type shooter struct {
	t   *testing.T
	dir string
}

func newShooter(t *testing.T) *shooter {
	dir := os.Getenv("LEDGER_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &shooter{t: t, dir: dir}
}

func (sh *shooter) shot(ctx context.Context, name string) {
	sh.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		sh.t.Fatal(err)
	}
	p := filepath.Join(sh.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		sh.t.Fatal(err)
	}
	sh.t.Logf("screenshot %s", p)
}

// run runs actions with a deadline, failing the test with what it was doing.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		fail(t, ctx, what, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		fail(t, ctx, what, err)
	}
	return v
}

func eval[T any](t *testing.T, ctx context.Context, what, js string) T {
	t.Helper()
	return get(t, ctx, what, chromedp.Evaluate[T](js))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, "text of "+sel, chromedp.TextContent(chromedp.CSS(sel))))
}

func fail(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(dctx, chromedp.Location())
	body, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.getElementById('main').textContent`))
	t.Fatalf("%s: %v (at %s: %.300s)", what, err, loc, body)
}

// void drops the value of an action, to run it among others.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, tg)
		return chromedp.Void{}, err
	}
}

func media(m string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return chromedp.Void{}, err
	}
}

func waitJS(js string) chromedp.Action[chromedp.Void] {
	return void(chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second)))
}

// ready waits until the page at path has rendered (main[data-ready=page]).
func ready(path, page string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`location.pathname === %q && document.getElementById('main').dataset.ready === %q`, path, page)
	return waitJS(js)
}

func digits(s string) int64 {
	n, _ := strconv.ParseInt(regexp.MustCompile(`\D`).ReplaceAllString(s, ""), 10, 64)
	return n
}

func percent(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	return f
}

type regionJSON struct {
	Region         string  `json:"region"`
	Registered     int64   `json:"registered"`
	Voted          int64   `json:"voted"`
	TurnoutPercent float64 `json:"turnout_percent"`
	ValidityMet    bool    `json:"validity_met"`
}

type screenRow struct {
	Region string   `json:"region"`
	Under  bool     `json:"under"`
	Cells  []string `json:"cells"`
}

const rowsJS = `[...document.querySelectorAll('#children tbody tr')].map(r => ({region: r.dataset.region,
  under: r.classList.contains('under'), cells: [...r.cells].map(c => c.textContent.trim())}))`

const cardsJS = `Object.fromEntries([...document.querySelectorAll('#summary .card')].map(c => [c.dataset.k, c.querySelector('.value').textContent.trim()]))`

// checkRegion compares the turnout page of region with the API's answers
// and returns the child to drill into (a village, when there is a choice).
func checkRegion(t *testing.T, ctx context.Context, s *testSite, region string) string {
	t.Helper()
	var sum regionJSON
	s.call(t, "GET", "/api/v1/turnout/regions/"+region, s.admin, "", 200, &sum)
	cards := eval[map[string]string](t, ctx, "cards of "+region, cardsJS)
	if digits(cards["registered"]) != sum.Registered || digits(cards["voted"]) != sum.Voted ||
		math.Abs(percent(cards["turnout"])-sum.TurnoutPercent) > 0.051 {
		t.Errorf("region %s: screen shows %v, API says %+v", region, cards, sum)
	}
	if len(region) == 12 {
		return ""
	}
	var kids []regionJSON
	s.call(t, "GET", "/api/v1/turnout/regions/"+region+"/children", s.admin, "", 200, &kids)
	rows := eval[[]screenRow](t, ctx, "children of "+region, rowsJS)
	if len(rows) != len(kids) || len(kids) == 0 {
		t.Fatalf("region %s: %d rows on screen, API has %d children", region, len(rows), len(kids))
	}
	for i, k := range kids {
		r := rows[i]
		if r.Region != k.Region || digits(r.Cells[2]) != k.Registered || digits(r.Cells[3]) != k.Voted ||
			math.Abs(percent(r.Cells[4])-k.TurnoutPercent) > 0.051 || r.Under == k.ValidityMet {
			t.Errorf("region %s row %d: screen %+v, API %+v", region, i, r, k)
		}
	}
	sort.SliceStable(kids, func(i, j int) bool { return kids[i].Region[len(region):] > kids[j].Region[len(region):] })
	return kids[0].Region // at the township level, codes 200+ are villages
}

// checkNames compares the names of region's subdivisions on screen with
// the region register's.
func checkNames(t *testing.T, ctx context.Context, s *testSite, region string) {
	t.Helper()
	var v struct {
		Children []struct{ Code, Name string }
	}
	s.call(t, "GET", "/api/v1/regions/"+region, s.admin, "", 200, &v)
	names := map[string]string{}
	for _, c := range v.Children {
		names[c.Code] = c.Name
	}
	rows := eval[[]screenRow](t, ctx, "children of "+region, rowsJS)
	for _, r := range rows {
		if r.Cells[0] != names[r.Region] || r.Cells[0] == "" {
			t.Errorf("%s is shown as %q, the register names it %q", r.Region, r.Cells[0], names[r.Region])
		}
	}
}

// TestDashboard drives the dashboard in headless Chromium against a real
// node with a small recorded province.
func TestDashboard(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium chromium-driver)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode: records a province and starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := startSite(t, ctx)
	b := browser(t)
	sh := newShooter(t)
	province := scenario.ProvinceCode
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// Sign in: any page sends an anonymous visitor to the sign-in form.
	run(t, b, "sign-in page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	if lbl := text(t, b, `#nav a[data-nav="turnout"]`); lbl != "投票率" {
		t.Errorf("turnout nav label %q, want 投票率 (zh-CN by default)", lbl)
	}
	sh.shot(b, "signin")
	run(t, b, "sign in as admin", chromedp.SendKeys(chromedp.ID("token"), s.admin), chromedp.Click(chromedp.ID("signin-submit")),
		ready("/turnout/"+province, "turnout"))
	if !eval[bool](t, b, "admin nav", `!document.querySelector('#nav a[data-nav="audit"]').hidden`) {
		t.Error("the admin has no audit item in the navigation")
	}

	// Drill down from the province to a village, comparing with the API.
	region, path := province, []string{province}
	for len(region) < 12 {
		next := checkRegion(t, b, s, region)
		if region == province {
			if h := text(t, b, "#main h1"); !strings.HasPrefix(h, "吉林省") {
				t.Errorf("the province's heading is %q, want the register's name 吉林省", h)
			}
			checkNames(t, b, s, province)
			run(t, b, "live turnout", waitJS(`!!document.getElementById('live').dataset.id`))
			sh.shot(b, "turnout-province")
		}
		run(t, b, "drill into "+next, chromedp.Click(css(fmt.Sprintf(`#children a[href="/turnout/%s"]`, next))),
			ready("/turnout/"+next, "turnout"))
		region = next
		path = append(path, next)
	}
	checkRegion(t, b, s, region)
	t.Logf("drilled down %s", strings.Join(path, " → "))
	run(t, b, "elections of the village", chromedp.WaitVisible(css(`a[data-testid="election-link"]`)))
	sh.shot(b, "turnout-village")

	// The village's election: numbers as the API gives them, and its announcement printed.
	href := get(t, b, "election link", chromedp.AttributeValue(css(`a[data-testid="election-link"]`), "href")).Value
	eid := strings.TrimPrefix(href, "/elections/")
	run(t, b, "open election", chromedp.Click(css(`a[data-testid="election-link"]`)), ready(href, "election"),
		chromedp.WaitVisible(css(`tr[data-testid="box-row"]`)))
	sh.shot(b, "election")
	checkElection(t, b, s, eid)
	run(t, b, "print media", media("print"))
	printed := eval[map[string]bool](t, b, "print layout", `({announcement: document.getElementById('announcement').offsetParent !== null,
	  recon: document.getElementById('recon').offsetParent !== null})`)
	if !printed["announcement"] || printed["recon"] {
		t.Errorf("printing shows %v; want the announcement only", printed)
	}
	sh.shot(b, "election-announcement-print")
	run(t, b, "screen media", media(""))

	// Switch to English and back.
	run(t, b, "switch to English", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'en-US'`), ready(href, "election"))
	if lbl := text(t, b, `#nav a[data-nav="turnout"]`); lbl != "Turnout" {
		t.Errorf("after the switch the turnout label is %q, want Turnout", lbl)
	}
	if h := text(t, b, `section.round h2`); !strings.HasPrefix(h, "Round 1") {
		t.Errorf("round heading %q in English", h)
	}
	sh.shot(b, "election-en")
	run(t, b, "back to Chinese", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'zh-CN'`), ready(href, "election"))
	if lbl := text(t, b, `#nav a[data-nav="turnout"]`); lbl != "投票率" {
		t.Errorf("after switching back the label is %q", lbl)
	}

	// Audit: timeline, checkpoint, and a receipt verified in the browser.
	run(t, b, "audit page", chromedp.Navigate(s.url+"/audit?kind=election&id="+eid), ready("/audit", "audit"),
		chromedp.WaitVisible(css(`tr[data-testid="event-row"]`)))
	var trail struct{ Entries []json.RawMessage }
	s.call(t, "GET", "/api/v1/audit/events?kind=election&limit=50&id="+eid, s.admin, "", 200, &trail)
	if n := eval[int](t, b, "timeline rows", `document.querySelectorAll('tr[data-testid="event-row"]').length`); n != len(trail.Entries) {
		t.Errorf("timeline shows %d events, the API %d", n, len(trail.Entries))
	}
	run(t, b, "receipt", chromedp.Click(css(`a[data-testid="receipt-link"]`)),
		chromedp.WaitVisible(css(`#receipt-verdict[data-ok="1"]`)))
	sh.shot(b, "audit")

	// Consultations and supervision.
	var crep struct{ Communities []json.RawMessage }
	s.call(t, "GET", "/api/v1/consultations/regions/"+province, s.admin, "", 200, &crep)
	run(t, b, "consultations", chromedp.Navigate(s.url+"/consultations/"+province), ready("/consultations/"+province, "consultations"))
	if n := eval[int](t, b, "community rows", `document.querySelectorAll('tr[data-testid="community-row"]').length`); n != len(crep.Communities) {
		t.Errorf("%d communities on screen, %d in the API", n, len(crep.Communities))
	}
	sh.shot(b, "consultations")
	run(t, b, "supervision", chromedp.Navigate(s.url+"/supervision/"+province), ready("/supervision/"+province, "supervision"))
	sh.shot(b, "supervision")

	// A code that the register does not hold and nothing was recorded under.
	run(t, b, "unknown region", chromedp.Navigate(s.url+"/turnout/99"), ready("/turnout/99", "turnout"),
		chromedp.WaitVisible(css(`[data-testid="unknown-region"]`)))
	if h := text(t, b, "#main h1"); h != "未知地区" {
		t.Errorf("/turnout/99 is headed %q, want 未知地区", h)
	}

	measureTurnout(t, b, s.url, "/turnout/"+province)

	// An observer: no audit in the navigation, a refusal on the route, and the API refuses too.
	run(t, b, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.observer), chromedp.Click(chromedp.ID("signin-submit")),
		ready("/turnout/"+province, "turnout"))
	navs := eval[[]string](t, b, "observer nav", `[...document.querySelectorAll('#nav a')].filter(a => !a.hidden && a.offsetParent !== null).map(a => a.dataset.nav)`)
	if j := strings.Join(navs, ","); strings.Contains(j, "audit") || strings.Contains(j, "supervision") {
		t.Errorf("an observer sees %v in the navigation", navs)
	}
	who := text(t, b, "#who")
	run(t, b, "observer on /audit", chromedp.Navigate(s.url+"/audit"), ready("/audit", "refused"),
		chromedp.WaitVisible(css(`[data-testid="refused"]`)))
	sh.shot(b, "audit-refused-observer")
	s.call(t, "GET", "/api/v1/audit/events", s.observer, "", http.StatusForbidden, nil)
	t.Logf("observer (shown as %q) sees %v", who, navs)
}

type resultsJSON struct {
	Rounds []struct {
		Round int `json:"round"`
		Tally []struct {
			ID string `json:"id"`
		} `json:"tally"`
		Elected []struct {
			ID string `json:"id"`
		} `json:"elected"`
	} `json:"rounds"`
	Members []json.RawMessage `json:"members"`
}

type electionScreen struct {
	Registered, Voted string
	Tally, Elected    []int
	Members           int
}

func checkElection(t *testing.T, ctx context.Context, s *testSite, eid string) {
	t.Helper()
	var tj regionJSON
	var rj resultsJSON
	s.call(t, "GET", "/api/v1/turnout/elections/"+eid, s.admin, "", 200, &tj)
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &rj)
	screen := eval[electionScreen](t, ctx, "election on screen", `({registered: document.querySelector('.card[data-k="registered"] .value').textContent,
	  voted: document.querySelector('.card[data-k="voted"] .value').textContent,
	  tally: [...document.querySelectorAll('section.round')].map(s => s.querySelectorAll('tr[data-testid="tally-row"]').length),
	  elected: [...document.querySelectorAll('section.round')].map(s => s.querySelectorAll('tr.elected').length),
	  members: document.querySelectorAll('tr[data-testid="member-row"]').length})`)
	if digits(screen.Registered) != tj.Registered || digits(screen.Voted) != tj.Voted {
		t.Errorf("election %s: screen %s/%s, API %d/%d", eid, screen.Registered, screen.Voted, tj.Registered, tj.Voted)
	}
	if len(screen.Tally) != len(rj.Rounds) || screen.Members != len(rj.Members) {
		t.Fatalf("election %s: %d rounds and %d members on screen, API %d and %d", eid, len(screen.Tally), screen.Members, len(rj.Rounds), len(rj.Members))
	}
	for i, r := range rj.Rounds {
		if screen.Tally[i] != len(r.Tally) || screen.Elected[i] != len(r.Elected) {
			t.Errorf("round %d: %d candidates and %d elected on screen, API %d and %d", r.Round, screen.Tally[i], screen.Elected[i], len(r.Tally), len(r.Elected))
		}
	}
	t.Logf("election %s: %d rounds, %d members, registered %d, voted %d", eid, len(rj.Rounds), len(rj.Members), tj.Registered, tj.Voted)
}

// measureTurnout loads the turnout page afresh a few times and logs how
// long it took to become interactive: DOMContentLoaded (the modules ran)
// and the page's own mark once the data is on screen.
func measureTurnout(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	var ready, dcl []float64
	for range 5 {
		run(t, ctx, "load turnout", chromedp.Navigate(base+path), waitJS(
			fmt.Sprintf(`location.pathname === %q && document.getElementById('main').dataset.ready === 'turnout'`, path)))
		m := eval[map[string]float64](t, ctx, "timing", `({ready: performance.getEntriesByName('ledger:turnout-ready')[0].startTime,
		  dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd})`)
		ready, dcl = append(ready, m["ready"]), append(dcl, m["dcl"])
	}
	r := slices.Clone(ready)
	sort.Float64s(r)
	sort.Float64s(dcl)
	t.Logf("turnout page interactive (data on screen; Performance API, from navigation start): median %.0f ms, runs %v ms; DOMContentLoaded median %.0f ms",
		r[len(r)/2], ints(ready), dcl[len(dcl)/2])
}

func ints(fs []float64) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = int(math.Round(f))
	}
	return out
}
