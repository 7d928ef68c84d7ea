package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
	"ledger/projections"
)

// gate cuts the API off, as a dropped connection does: while cut, every
// API request's connection is closed without an answer.
type gate struct {
	h   http.Handler
	cut atomic.Bool
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.cut.Load() && strings.HasPrefix(r.URL.Path, "/api/") {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
	}
	g.h.ServeHTTP(w, r)
}

// villageDay prepares a village election for today (China time) with
// stations A (roll numbers 1..300, voter 10 holding the published proxies
// of 11 and 12) and B (301..320), both with open polls. It uses the ledger's
// Go API: the forms for calling an election, the roll and the candidates
// are not in the dashboard yet.
func villageDay(t *testing.T, w *walk, stationB string) {
	t.Helper()
	today := time.Now().In(chinaTime).Format(time.DateOnly)
	d, _ := time.ParseInLocation(time.DateOnly, today, chinaTime)
	w.now = d.AddDate(0, 0, -30).Add(9 * time.Hour)
	w.do(domain.CallElection{ElectionAddr: w.ea, Committee: domain.CommitteeVillagers, Seats: 3, ElectionDay: domain.Date(today),
		ElectionCommittee: []string{"主任 王建国", "委员 李秀英", "委员 张伟"}})
	var roll []domain.VoterEntry
	for i := 1; i <= 320; i++ {
		st := w.station
		if i > 300 {
			st = stationB
		}
		roll = append(roll, domain.VoterEntry{RollNo: i, StationID: st})
	}
	w.do(domain.RegisterVoters{ElectionAddr: w.ea, Voters: roll})
	w.now = d.AddDate(0, 0, -20).Add(9 * time.Hour)
	w.do(domain.PublishRoll{ElectionAddr: w.ea})
	w.nominate(1, "甲", "乙", "丙", "丁", "戊")
	for _, p := range []int{11, 12} {
		w.do(domain.RegisterProxy{ElectionAddr: w.ea, PrincipalRollNo: p, HolderRollNo: 10, Relation: domain.RelationSpouse, Written: true})
	}
	w.do(domain.PublishProxies{ElectionAddr: w.ea})
	for _, st := range []string{w.station, stationB} {
		w.do(domain.EstablishStation{StationAddr: domain.StationAddr{StationID: st, ElectionID: w.ea.ElectionID, Region: w.ea.Region},
			Place: "村委会", Scrutineers: []string{"监票人甲", "监票人乙", "监票人丙"}})
	}
	w.now = time.Time{} // now
	for _, st := range []string{w.station, stationB} {
		w.do(domain.OpenPolls{StationAddr: domain.StationAddr{StationID: st, ElectionID: w.ea.ElectionID, Region: w.ea.Region}, Round: 1})
	}
}

// ballotKeys is ballot i of the count as typed on the board, and as sent
// through the API.
func ballotKeys(i int) (string, domain.BallotMarks) {
	switch i % 10 {
	case 6:
		return "14w王五\r\r", domain.BallotMarks{Candidates: []string{"c1", "c4"}, WriteIns: []string{"王五"}}
	case 7:
		return "b", domain.BallotMarks{Blank: true}
	case 8:
		return "x", domain.BallotMarks{Unreadable: true}
	case 9:
		return "25\r", domain.BallotMarks{Candidates: []string{"c2", "c5"}}
	case 5:
		return "1234\r", domain.BallotMarks{Candidates: []string{"c1", "c2", "c3", "c4"}} // more marks than seats: invalid
	default:
		return "123\r", domain.BallotMarks{Candidates: []string{"c1", "c2", "c3"}}
	}
}

// checkInOrder is the order roll numbers come to the desk: 1..300 without
// 11 and 12, whose ballots their proxy holder (10) takes.
func checkInOrder() []int {
	var out []int
	for i := 1; i <= 300; i++ {
		if i != 11 && i != 12 {
			out = append(out, i)
		}
	}
	return out
}

// TestRecordingInTheBrowser records a whole village election's day
// through the check-in desk and the counting board: 300 ballots issued
// (two by proxy) with refusals between them, the server cut off for 50
// check-ins, 300 ballots counted with write-ins, blank and invalid ones and
// a correction, the count reconciled and closed. The declared result and
// turnout must equal the same election recorded through the API.
func TestRecordingInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium chromium-driver)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode: starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := openNode(t, ctx)
	g := &gate{}
	s := serveNode(t, n, func(h http.Handler) http.Handler { g.h = h; return g })
	b := browser(t)
	sh := newShooter(t)
	var sup struct{ Token string }
	eid, sid, sidB := ulid.Make().String(), ulid.Make().String(), ulid.Make().String()
	region := domain.Region("220102001001")
	s.call(t, "POST", "/api/v1/tokens", s.admin, fmt.Sprintf(`{"role":"supervisor","actor":"supervisor:desk","scope":[%q]}`, eid), http.StatusCreated, &sup)
	w := &walk{t: t, ctx: ctx, n: n, ea: domain.ElectionAddr{ElectionID: eid, Region: region}, station: sid}
	villageDay(t, w, sidB)

	// The tablet: 1280x800, landscape.
	run(t, b, "tablet size", viewport(1280, 800))
	run(t, b, "sign in as supervisor", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), sup.Token), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`document.getElementById('main').dataset.ready === 'turnout' || !!document.querySelector('[data-testid="refused"]') || location.pathname.startsWith('/turnout')`))
	start := time.Now()
	run(t, b, "election page", chromedp.Navigate(s.url+"/elections/"+eid), ready("/elections/"+eid, "election"))
	run(t, b, "desk", chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/desk/%s/%s"]`, eid, sid))), ready("/desk/"+eid+"/"+sid, "desk"))
	t.Logf("desk page: election page and desk loaded in %v", time.Since(start).Round(time.Millisecond))

	verdict := func(keys, want string) string {
		t.Helper()
		run(t, b, "type "+keys, chromedp.SendKeys(chromedp.ID("roll"), keys))
		code := eval[string](t, b, "verdict", `document.getElementById('verdict').dataset.code || ''`)
		txt := text(t, b, "#verdict")
		if code != want {
			t.Errorf("roll %q: verdict %q (%s), want %s", keys, code, txt, want)
		}
		run(t, b, "escape", chromedp.SendKeys(chromedp.ID("roll"), "\x1b"))
		return txt
	}
	order := checkInOrder()
	keys, issued := 0, 0
	checkIn := func(nos []int) time.Duration {
		t0 := time.Now()
		for _, no := range nos {
			k := fmt.Sprintf("%d\r\r", no)
			keys += len(k)
			issued++
			if no == 10 {
				issued += 2
			}
			run(t, b, fmt.Sprintf("check in %d", no), chromedp.SendKeys(chromedp.ID("roll"), k))
		}
		return time.Since(t0)
	}
	online := checkIn(order[:100])
	run(t, b, "first 100 sent", waitJS(`document.getElementById('queue').dataset.waiting === '0'`))
	// Refusals, in plain Chinese.
	if txt := verdict("999\r", "not_on_roll"); !strings.Contains(txt, "选民名单上没有 999 号") {
		t.Errorf("not on roll: %q", txt)
	}
	if txt := verdict("305\r", "wrong_station"); !strings.Contains(txt, "不属于本投票站") {
		t.Errorf("wrong station: %q", txt)
	}
	if txt := verdict("7\r", "already_checked_in"); !strings.Contains(txt, "本轮已领取选票") {
		t.Errorf("already checked in: %q", txt)
	}
	if txt := verdict("11\r", "already_checked_in"); !strings.Contains(txt, "已领取选票") {
		t.Errorf("principal whose holder took the ballot: %q", txt)
	}
	sh.shot(b, "desk")

	// The server goes away for 50 check-ins.
	g.cut.Store(true)
	offline := checkIn(order[100:150])
	run(t, b, "queue shows offline", waitJS(`document.getElementById('queue').dataset.online === '0'`))
	waiting := eval[string](t, b, "waiting", `document.getElementById('queue').dataset.waiting`)
	sh.shot(b, "desk-offline")
	if digits(waiting) == 0 {
		t.Errorf("offline: queue shows %s waiting", waiting)
	}
	var tj struct {
		Voted int64 `json:"voted"`
	}
	g.cut.Store(false)
	run(t, b, "queue drains", waitJS(`document.getElementById('queue').dataset.waiting === '0' && document.getElementById('queue').dataset.online === '1'`))
	rest := checkIn(order[150:])
	run(t, b, "all sent", waitJS(`document.getElementById('queue').dataset.waiting === '0'`))
	s.call(t, "GET", "/api/v1/turnout/elections/"+eid, s.admin, "", 200, &tj)
	if tj.Voted != int64(issued) || issued != 300 {
		t.Fatalf("after the desk: %d voted on the server, %d issued at the desk, want 300", tj.Voted, issued)
	}
	if got := digits(text(t, b, "#issued")); got != 300 {
		t.Errorf("the desk counts %d ballots issued, want 300", got)
	}
	total := online + offline + rest
	t.Logf("check-in desk: %d check-ins, %d keystrokes (%.1f each), %.0f ms each in the browser test (%v online, %v with the server cut off)",
		len(order), keys, float64(keys)/float64(len(order)), float64(total.Milliseconds())/float64(len(order)), online.Round(time.Millisecond), offline.Round(time.Millisecond))

	// Close the polls (no form yet), then count on the board.
	for _, st := range []string{sid, sidB} {
		w.do(domain.ClosePolls{StationAddr: domain.StationAddr{StationID: st, ElectionID: eid, Region: region}})
	}
	w.do(domain.CloseCount{StationAddr: domain.StationAddr{StationID: sidB, ElectionID: eid, Region: region}, Round: 1})
	run(t, b, "board", chromedp.Navigate(s.url+"/count/"+eid+"/"+sid), ready("/count/"+eid+"/"+sid, "count"))
	var ballots []domain.BallotMarks
	keys = 0
	t0 := time.Now()
	for i := range 300 {
		k, m := ballotKeys(i)
		keys += len([]rune(k))
		ballots = append(ballots, m)
		run(t, b, fmt.Sprintf("ballot %d", i), chromedp.SendKeys(chromedp.ID("main"), k))
		if i == 40 {
			// A ballot entered wrong is corrected before it is sent.
			run(t, b, "wrong ballot", chromedp.SendKeys(chromedp.ID("main"), "5\r"))
			before := eval[string](t, b, "cast", `document.querySelector('#tally tr[data-id="cast"] th.n').textContent`)
			run(t, b, "undo", chromedp.SendKeys(chromedp.ID("main"), "\b"))
			after := eval[string](t, b, "cast", `document.querySelector('#tally tr[data-id="cast"] th.n').textContent`)
			keys += 3
			if digits(before) != 42 || digits(after) != 41 {
				t.Errorf("correction: cast %s before undo, %s after; want 42 and 41", before, after)
			}
		}
	}
	counted := time.Since(t0)
	sh.shot(b, "board")
	tally := eval[map[string]string](t, b, "board tally", `Object.fromEntries([...document.querySelectorAll('#tally tr')].map(r => [r.dataset.id, r.cells[1].textContent]))`)
	run(t, b, "ballots sent", waitJS(`document.getElementById('queue').dataset.waiting === '0'`))
	run(t, b, "close the count", chromedp.Click(chromedp.ID("close-count")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="closed"]`)))
	closedText := text(t, b, `[data-testid="closed"]`)
	t.Logf("counting board: 300 ballots, %d keystrokes (%.1f each), %.0f ms each in the browser test; %s", keys, float64(keys)/300, float64(counted.Milliseconds())/300, closedText)

	// The projector: the board's figures, read-only.
	run(t, b, "projector", chromedp.Navigate(s.url+"/count/"+eid+"/"+sid+"/public"), ready("/count/"+eid+"/"+sid+"/public", "projector"),
		chromedp.WaitVisible(chromedp.CSS(`#projector table.tally`)))
	sh.shot(b, "board-projector")

	// The same election recorded through the API.
	eid2, sid2, sidB2 := ulid.Make().String(), ulid.Make().String(), ulid.Make().String()
	w2 := &walk{t: t, ctx: ctx, n: n, ea: domain.ElectionAddr{ElectionID: eid2, Region: region}, station: sid2}
	villageDay(t, w2, sidB2)
	var items []domain.CheckInItem
	for _, no := range order {
		items = append(items, domain.CheckInItem{RollNo: no, Mode: domain.ModeInPerson})
		if no == 10 {
			items = append(items, domain.CheckInItem{RollNo: 11, Mode: domain.ModeProxy, ProxyHolderRollNo: 10},
				domain.CheckInItem{RollNo: 12, Mode: domain.ModeProxy, ProxyHolderRollNo: 10})
		}
	}
	a2 := domain.StationAddr{StationID: sid2, ElectionID: eid2, Region: region}
	postCommand(t, s, "check_ins", domain.CheckIns{StationAddr: a2, CheckIns: items})
	for _, st := range []string{sid2, sidB2} {
		w2.do(domain.ClosePolls{StationAddr: domain.StationAddr{StationID: st, ElectionID: eid2, Region: region}})
	}
	postCommand(t, s, "record_ballots", domain.RecordBallots{StationAddr: a2, Round: 1, Ballots: ballots})
	w2.do(domain.CloseCount{StationAddr: a2, Round: 1})
	w2.do(domain.CloseCount{StationAddr: domain.StationAddr{StationID: sidB2, ElectionID: eid2, Region: region}, Round: 1})
	w.do(domain.DeclareResult{ElectionAddr: w.ea, Round: 1, StationIDs: []string{sid, sidB}})
	w2.do(domain.DeclareResult{ElectionAddr: w2.ea, Round: 1, StationIDs: []string{sid2, sidB2}})

	got, want := resultsFor(t, s, eid), resultsFor(t, s, eid2)
	if got != want {
		t.Errorf("recorded in the browser:\n%s\nrecorded through the API:\n%s", got, want)
	}
	var r projections.ElectionResults
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &r)
	r0 := r.Rounds[0]
	if digits(tally["cast"]) != r0.Cast || digits(tally["blank"]) != r0.Blank || digits(tally["invalid"]) != r0.Invalid {
		t.Errorf("the board showed %v; declared cast %d blank %d invalid %d", tally, r0.Cast, r0.Blank, r0.Invalid)
	}
	t.Logf("declared: %s", got)

	// An observer sees no recording page: no links, and the desk is refused.
	run(t, b, "sign in as observer", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("signout")), chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), s.observer), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`location.pathname.startsWith('/turnout')`), chromedp.Navigate(s.url+"/elections/"+eid), ready("/elections/"+eid, "election"))
	if n := eval[int](t, b, "observer's links", `document.querySelectorAll('[data-testid="desk-link"], [data-testid="count-link"]').length`); n != 0 {
		t.Errorf("an observer sees %d links to the desk or the board", n)
	}
	run(t, b, "observer on the desk", chromedp.Navigate(s.url+"/desk/"+eid+"/"+sid), chromedp.WaitVisible(chromedp.CSS(`[data-testid="refused"]`)))
}

// postCommand sends one command through the HTTP API with a fresh command ID.
func postCommand(t *testing.T, s *testSite, ct string, cmd any) {
	t.Helper()
	body, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", s.url+"/api/v1/commands/"+ct, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ulid.Make().String())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		var p map[string]any
		_ = json.NewDecoder(res.Body).Decode(&p)
		t.Fatalf("%s: HTTP %d %v", ct, res.StatusCode, p)
	}
}

// resultsFor is an election's declared result and turnout without its IDs,
// as text to compare.
func resultsFor(t *testing.T, s *testSite, eid string) string {
	t.Helper()
	var r projections.ElectionResults
	var tj projections.ElectionTurnout
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &r)
	s.call(t, "GET", "/api/v1/turnout/elections/"+eid, s.admin, "", 200, &tj)
	var b strings.Builder
	fmt.Fprintf(&b, "turnout registered %d voted %d in person %d proxy %d\n", tj.Registered, tj.Voted, tj.InPerson, tj.Proxy)
	for _, rr := range r.Rounds {
		fmt.Fprintf(&b, "round %d %s valid %v cast %d valid %d blank %d invalid %d registered %d voted %d\n",
			rr.Round, rr.Phase, rr.RoundValid, rr.Cast, rr.Valid, rr.Blank, rr.Invalid, rr.Registered, rr.Voted)
		for _, v := range rr.Tally {
			fmt.Fprintf(&b, "  %s %s %d\n", v.ID, v.Name, v.Votes)
		}
		var el []string
		for _, m := range rr.Elected {
			el = append(el, m.Name)
		}
		slices.Sort(el)
		fmt.Fprintf(&b, "  elected %v\n", el)
	}
	return b.String()
}

// viewport emulates a screen of w x h CSS pixels.
func viewport(w, h int64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: w, Height: h, DeviceScaleFactor: 1})
		return chromedp.Void{}, err
	}
}
