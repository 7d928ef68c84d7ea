package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/node"
)

// chinaTime is the time zone of the recorded days.
var chinaTime = time.FixedZone("CST", 8*3600)

// walk records one election command by command through the node's ledger,
// with each command's occurred-at set to the walk's clock.
type walk struct {
	t       *testing.T
	ctx     context.Context
	n       *node.Node
	now     time.Time
	ea      domain.ElectionAddr
	station string
}

// day sets the clock to 09:00 China time on d.
func (w *walk) day(d string) {
	t, err := time.ParseInLocation(time.DateOnly, d, chinaTime)
	if err != nil {
		w.t.Fatal(err)
	}
	w.now = t.Add(9 * time.Hour)
}

func (w *walk) do(cmd domain.Command) {
	w.t.Helper()
	meta := app.Meta{CommandID: ulid.Make().String(), Actor: "clerk:phases", OccurredAt: w.now}
	if _, err := w.n.Ledger.Execute(w.ctx, cmd, meta); err != nil {
		w.t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
}

func (w *walk) sa() domain.StationAddr {
	return domain.StationAddr{StationID: w.station, ElectionID: w.ea.ElectionID, Region: w.ea.Region}
}

// prepare calls an election with voters roll numbers 1..voters at one
// station and the named candidates (c1, c2, ...), ending on election day.
func (w *walk) prepare(committee domain.CommitteeKind, seats, voters int, names ...string) {
	w.day("2026-04-01")
	w.do(domain.CallElection{ElectionAddr: w.ea, Committee: committee, Seats: seats, ElectionDay: "2026-05-01",
		ElectionCommittee: []string{"主任 王建国", "委员 李秀英", "委员 张伟"}})
	var roll []domain.VoterEntry
	for i := 1; i <= voters; i++ {
		roll = append(roll, domain.VoterEntry{RollNo: i, StationID: w.station})
	}
	w.do(domain.RegisterVoters{ElectionAddr: w.ea, Voters: roll})
	w.day("2026-04-11")
	w.do(domain.PublishRoll{ElectionAddr: w.ea})
	w.nominate(1, names...)
	w.do(domain.PublishProxies{ElectionAddr: w.ea})
	w.do(domain.EstablishStation{StationAddr: w.sa(), Place: "村委会", Scrutineers: []string{"监票人甲", "监票人乙", "监票人丙"}})
}

// nominate nominates the names as candidates c<first>, c<first+1>, ... and
// publishes the list.
func (w *walk) nominate(first int, names ...string) {
	for i, name := range names {
		w.do(domain.NominateCandidate{ElectionAddr: w.ea, CandidateID: fmt.Sprintf("c%d", first+i), Name: name, NominatedBy: "villagers_joint"})
	}
	w.do(domain.PublishCandidates{ElectionAddr: w.ea})
}

// poll opens round's polls and checks in roll numbers 1..voters.
func (w *walk) poll(round, voters int) {
	w.do(domain.OpenPolls{StationAddr: w.sa(), Round: round})
	for i := 1; i <= voters; i++ {
		w.do(domain.CheckIn{StationAddr: w.sa(), RollNo: i, Mode: domain.ModeInPerson})
	}
	w.do(domain.ClosePolls{StationAddr: w.sa()})
}

// count records ballots ("c1,c2", "c1+王五" for a write-in, "" blank, "?" unreadable).
func (w *walk) count(round int, ballots ...string) {
	for _, b := range ballots {
		cmd := domain.RecordBallot{StationAddr: w.sa(), Round: round}
		switch {
		case b == "":
			cmd.Blank = true
		case b == "?":
			cmd.Unreadable = true
		default:
			marks, writeIn, _ := strings.Cut(b, "+")
			if marks != "" {
				cmd.Candidates = strings.Split(marks, ",")
			}
			if writeIn != "" {
				cmd.WriteIns = []string{writeIn}
			}
		}
		w.do(cmd)
	}
}

// declare closes round's count and declares it.
func (w *walk) declare(round int) {
	w.do(domain.CloseCount{StationAddr: w.sa(), Round: round})
	w.do(domain.DeclareResult{ElectionAddr: w.ea, Round: round, StationIDs: []string{w.station}})
}

func repeatBallot(n int, b string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// phaseScreen is what the election page shows about its state.
type phaseScreen struct {
	Phase        string   `json:"phase"`
	Labels       []string `json:"labels"`
	RoundPhases  []string `json:"roundPhases"`
	RoundText    []string `json:"roundText"`
	Elected      int      `json:"elected"`
	Members      int      `json:"members"`
	Removed      int      `json:"removed"`
	Notice       string   `json:"notice"`
	NoticeRounds int      `json:"noticeRounds"`
	NoticeText   string   `json:"noticeText"`
	NoticeDate   string   `json:"noticeDate"`
	Status       string   `json:"status"`
	Body         string   `json:"body"`
}

const phaseJS = `(() => { const m = document.getElementById('main'), q = (s) => m.querySelector(s), all = (s) => [...m.querySelectorAll(s)];
  const n = q('[data-testid="notice"]');
  return {phase: m.dataset.phase, labels: all('section.round').map(s => s.dataset.label), roundPhases: all('section.round').map(s => s.dataset.phase),
    roundText: all('section.round').map(s => s.textContent), elected: all('tr.elected').length,
    members: all('tr[data-testid="member-row"]').length, removed: all('tr[data-testid="removed-row"]').length,
    notice: n ? n.dataset.notice : '', noticeRounds: all('[data-testid="notice-round"]').length, noticeText: n ? n.textContent : '',
    noticeDate: n ? n.querySelector('[data-testid="notice-date"]').textContent : '', status: q('p.status').textContent, body: m.textContent}; })()`

// phaseWant is what one phase must show. Fields left empty are not checked.
type phaseWant struct {
	phase     string
	labels    string // round labels joined by ","
	phases    string // round phases joined by ","
	notice    string // "", "result" or "void"
	rounds    int    // rounds in the notice
	date      string // the notice's date
	contains  []string
	forbidden []string
	notice2   []string // text the notice must contain
}

// checkPhase opens the election's page and compares it with want and with
// the API's results.
func checkPhase(t *testing.T, b context.Context, s *testSite, eid, name string, want phaseWant, sh *shooter) phaseScreen {
	t.Helper()
	path := "/elections/" + eid
	run(t, b, "open "+name, chromedp.Navigate(s.url+path), ready(path, "election"))
	got := eval[phaseScreen](t, b, name, phaseJS)
	var api struct {
		Rounds []struct {
			Elected []struct{ ID string } `json:"elected"`
			Phase   string                `json:"phase"`
		} `json:"rounds"`
		Members []struct{ ID string }    `json:"members"`
		Removed []struct{ Cause string } `json:"removed"`
	}
	s.call(t, "GET", "/api/v1/results/elections/"+eid, s.admin, "", 200, &api)
	declaredElected := 0
	for i, r := range api.Rounds {
		if r.Phase == "declared" {
			declaredElected += len(r.Elected)
		}
		if i < len(got.RoundPhases) && got.RoundPhases[i] != r.Phase {
			t.Errorf("%s: round %d shows phase %s, API %s", name, i+1, got.RoundPhases[i], r.Phase)
		}
	}
	if got.Phase != want.phase {
		t.Errorf("%s: phase %q, want %q", name, got.Phase, want.phase)
	}
	if want.labels != "" && strings.Join(got.Labels, ",") != want.labels {
		t.Errorf("%s: round labels %v, want %s", name, got.Labels, want.labels)
	}
	if want.phases != "" && strings.Join(got.RoundPhases, ",") != want.phases {
		t.Errorf("%s: round phases %v, want %s", name, got.RoundPhases, want.phases)
	}
	if got.Elected != declaredElected || got.Members != len(api.Members) || got.Removed != len(api.Removed) {
		t.Errorf("%s: screen shows %d elected, %d members, %d removed; API %d declared elected, %d members, %d removed",
			name, got.Elected, got.Members, got.Removed, declaredElected, len(api.Members), len(api.Removed))
	}
	if got.Notice != want.notice || got.NoticeRounds != want.rounds {
		t.Errorf("%s: notice %q with %d rounds, want %q with %d", name, got.Notice, got.NoticeRounds, want.notice, want.rounds)
	}
	if want.date != "" && got.NoticeDate != want.date {
		t.Errorf("%s: notice dated %q, want %q", name, got.NoticeDate, want.date)
	}
	for _, c := range want.contains {
		if !strings.Contains(got.Body, c) {
			t.Errorf("%s: page lacks %q", name, c)
		}
	}
	for _, c := range want.forbidden {
		if strings.Contains(got.Body, c) {
			t.Errorf("%s: page shows %q", name, c)
		}
	}
	for _, c := range want.notice2 {
		if !strings.Contains(got.NoticeText, c) {
			t.Errorf("%s: notice lacks %q: %s", name, c, got.NoticeText)
		}
	}
	if sh != nil {
		sh.shot(b, "election-"+name)
	}
	return got
}

// TestElectionPhases walks one village election through every phase
// (voting, counting, a first round with a seat left, a second round held
// invalid and repeated, announcement, a recall and a by-election, voided
// for fraud) and a residents' committee election, checking the election
// page and its notice at each.
func TestElectionPhases(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium chromium-driver)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode: starts Chromium")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := openNode(t, ctx)
	s := serveNode(t, n, nil)
	b := browser(t)
	sh := newShooter(t)
	run(t, b, "sign in", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.admin), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`document.getElementById('main').dataset.ready === 'turnout'`))

	eid := ulid.Make().String()
	w := &walk{t: t, ctx: ctx, n: n, ea: domain.ElectionAddr{ElectionID: eid, Region: "220102001001"}, station: ulid.Make().String()}
	w.prepare(domain.CommitteeVillagers, 3, 10, "甲", "乙", "丙", "丁", "戊")
	verdicts := []string{"本轮无效", "本轮有效", "尚余", "需另行选举", "选举有效", "当选名单"}

	w.day("2026-05-01")
	w.do(domain.OpenPolls{StationAddr: w.sa(), Round: 1})
	for i := 1; i <= 3; i++ {
		w.do(domain.CheckIn{StationAddr: w.sa(), RollNo: i, Mode: domain.ModeInPerson})
	}
	checkPhase(t, b, s, eid, "1-voting", phaseWant{phase: "voting", labels: "first", phases: "voting",
		contains: []string{"投票中", "尚未宣布结果"}, forbidden: verdicts}, sh)

	for i := 4; i <= 9; i++ {
		w.do(domain.CheckIn{StationAddr: w.sa(), RollNo: i, Mode: domain.ModeInPerson})
	}
	w.do(domain.ClosePolls{StationAddr: w.sa()})
	round1 := append(append(repeatBallot(4, "c1,c2,c3"), repeatBallot(2, "c1,c2,c4")...), "c1,c2+王五", "c1,c4", "?")
	w.count(1, round1[:5]...)
	checkPhase(t, b, s, eid, "2-counting", phaseWant{phase: "counting", labels: "first", phases: "counting",
		contains: []string{"计票中", "尚未宣布结果"}, forbidden: verdicts}, sh)

	// The public view shows the phase of a round being counted, never its live tally.
	run(t, b, "public while counting", chromedp.Navigate(s.url+"/public/elections/"+eid), ready("/public/elections/"+eid, "election"))
	if n := eval[int](t, b, "public tally rows", `document.querySelectorAll('tr[data-testid="tally-row"]').length`); n != 0 || text(t, b, `[data-testid="round-phase"]`) != "计票中" {
		t.Errorf("the public view of a round being counted shows %d tally rows", n)
	}
	w.count(1, round1[5:]...)
	w.declare(1)
	checkPhase(t, b, s, eid, "3-first-declared", phaseWant{phase: "voting", labels: "first,runoff", phases: "declared,voting",
		notice: "result", rounds: 1, date: "2026年5月1日",
		contains:  []string{"尚余 1 个名额", "另行选举"},
		notice2:   []string{"第1轮（正式选举", "《中华人民共和国村民委员会组织法》", "收回选票 9 张", "无效票 1 张", "将另行选举"},
		forbidden: []string{"居民委员会组织法"}}, sh)

	w.poll(2, 4)
	w.count(2, "c3", "c3", "c3", "c4")
	w.declare(2)
	w.day("2026-05-08")
	w.poll(3, 7)
	w.count(3, "c3", "c3", "c3", "c3", "c3", "c4", "c4")
	w.declare(3)
	w.do(domain.AnnounceResult{ElectionAddr: w.ea})
	w.do(domain.CertifyResult{ElectionAddr: w.ea, CertifiedBy: "某某乡人民政府"})
	checkPhase(t, b, s, eid, "4-declared", phaseWant{phase: "declared", labels: "first,runoff,rerun", phases: "declared,declared,declared",
		notice: "result", rounds: 3, date: "2026年5月8日",
		contains: []string{"已宣布结果", "重新选举", "已公告", "已确认", "本轮选举无效，需重新选举"},
		notice2:  []string{"第2轮（另行选举", "未超过登记选民半数，本轮选举无效", "第3轮（重新选举", "甲、乙、丙"}}, sh)

	w.day("2026-09-01")
	w.do(domain.ProposeRecall{ElectionAddr: w.ea, RecallID: "recall-1", MemberID: "c2", By: domain.RecallByVoters, Signatures: 3, Reason: "长期不履职"})
	w.day("2026-09-20")
	w.do(domain.RecordRecallVote{ElectionAddr: w.ea, RecallID: "recall-1", Cast: 8, For: 6, Against: 2})
	w.do(domain.CallByElection{ElectionAddr: w.ea, Seats: 1, Day: "2026-10-15"})
	w.nominate(6, "己", "庚")
	w.day("2026-10-15")
	w.poll(4, 8)
	w.count(4, append(repeatBallot(6, "c6"), "c7", "")...)
	w.declare(4)
	w.do(domain.AnnounceResult{ElectionAddr: w.ea})
	w.do(domain.CertifyResult{ElectionAddr: w.ea, CertifiedBy: "某某乡人民政府"})
	checkPhase(t, b, s, eid, "5-by-election", phaseWant{phase: "declared", labels: "first,runoff,rerun,by_election", phases: "declared,declared,declared,declared",
		notice: "result", rounds: 4, date: "2026年10月15日",
		contains: []string{"补选", "离任成员", "罢免"},
		notice2:  []string{"第4轮（补选", "乙，得票 7 张", "乙（第1轮当选）已于2026年9月20日经罢免不再担任", "甲、丙、己"}}, sh)

	w.day("2026-11-02")
	ia := domain.InspectionAddr{InspectionID: ulid.Make().String(), Region: "220102001"}
	w.do(domain.OpenInspection{InspectionAddr: ia, Title: "选举排查", Scope: domain.Scope{Kind: domain.ScopeElection, ID: eid, Region: w.ea.Region}, Inspectors: []string{"纪检组 刘某"}})
	w.do(domain.RecordFinding{InspectionAddr: ia, FindingID: "f1", Kind: domain.FindingFraud, ElectionID: eid, ElectionRegion: w.ea.Region, Summary: "以发放购物卡方式拉票"})
	w.do(domain.VoidResult{ElectionAddr: w.ea, InspectionID: ia.InspectionID, InspectionRegion: ia.Region, FindingID: "f1", Reason: "以贿选手段当选"})
	checkPhase(t, b, s, eid, "6-voided", phaseWant{phase: "voided", notice: "void", date: "2026年11月2日",
		contains:  []string{"已宣布无效", "理由：以贿选手段当选"},
		forbidden: []string{"已过半数", "选举有效", "当选的村民委员会成员", "已公告"},
		notice2:   []string{"选举结果无效公告", "以贿选手段当选", "第十七条"}}, sh)

	// English: the labels are translated too.
	run(t, b, "English", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'en-US'`), ready("/elections/"+eid, "election"))
	en := eval[phaseScreen](t, b, "English page", phaseJS)
	if !strings.Contains(en.Status, "voided") || !strings.Contains(en.Body, "by-election") || !strings.Contains(en.Body, "repeated round") {
		t.Errorf("English page: status %q; body lacks by-election or repeated round", en.Status)
	}
	run(t, b, "Chinese", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'zh-CN'`))

	// A residents' committee cites its own law.
	rid := ulid.Make().String()
	r := &walk{t: t, ctx: ctx, n: n, ea: domain.ElectionAddr{ElectionID: rid, Region: "220102001002"}, station: ulid.Make().String()}
	r.prepare(domain.CommitteeResidents, 5, 10, "赵", "钱", "孙", "李", "周", "吴")
	r.day("2026-05-01")
	r.poll(1, 8)
	r.count(1, repeatBallot(8, "c1,c2,c3,c4,c5")...)
	r.declare(1)
	checkPhase(t, b, s, rid, "residents", phaseWant{phase: "declared", labels: "first", phases: "declared", notice: "result", rounds: 1,
		date: "2026年5月1日", notice2: []string{"居民委员会选举结果公告", "《中华人民共和国城市居民委员会组织法》"}, forbidden: []string{"村民委员会组织法"}}, nil)
	checkPublic(t, b, s, rid, sh)

	// A phone: no page wider than the 390 px screen.
	run(t, b, "phone", viewport(390, 844))
	for _, p := range []string{"/public", "/public/elections/" + eid, "/public/elections/" + rid} {
		checkWidth(t, b, s.url, p)
	}
	run(t, b, "sign in again", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.admin), chromedp.Click(chromedp.ID("signin-submit")),
		waitJS(`document.getElementById('main').dataset.ready === 'turnout'`))
	for _, p := range []string{"/turnout/22", "/elections/" + eid, "/audit?kind=election&id=" + eid} {
		checkWidth(t, b, s.url, p)
	}
	if sh != nil {
		run(t, b, "phone election", chromedp.Navigate(s.url+"/elections/"+eid), ready("/elections/"+eid, "election"))
		sh.shot(b, "phone-election")
	}
}

// checkWidth opens path and fails if the page is wider than the screen.
func checkWidth(t *testing.T, b context.Context, base, path string) {
	t.Helper()
	run(t, b, "open "+path, chromedp.Navigate(base+path), waitJS(`!!document.getElementById('main').dataset.ready`))
	w := eval[map[string]int](t, b, "width of "+path, `({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`)
	if w["scroll"] > w["inner"] {
		t.Errorf("%s at %d px: the page is %d px wide", path, w["inner"], w["scroll"])
	}
}

// checkPublic signs out and reads the election, and a receipt of its
// declaration, through the public view.
func checkPublic(t *testing.T, b context.Context, s *testSite, eid string, sh *shooter) {
	t.Helper()
	var trail struct {
		Entries []struct {
			EventID string `json:"event_id"`
			Type    string `json:"type"`
		} `json:"entries"`
	}
	s.call(t, "GET", "/api/v1/audit/events?kind=election&limit=100&id="+eid, s.admin, "", 200, &trail)
	var declared string
	for _, e := range trail.Entries {
		if e.Type == "election.round_declared" {
			declared = e.EventID
		}
	}
	run(t, b, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.Navigate(s.url+"/public/elections/"+eid), ready("/public/elections/"+eid, "election"))
	got := eval[phaseScreen](t, b, "public election", phaseJS)
	if got.Notice != "result" || strings.Contains(got.Body, "票箱核对") || eval[bool](t, b, "token", `!!sessionStorage.getItem('ledger.token')`) {
		t.Errorf("public election page: notice %q; it must show the notice and no reconciliation, without a token", got.Notice)
	}
	run(t, b, "public page", chromedp.Navigate(s.url+"/public"), waitJS(`document.getElementById('main').dataset.ready === 'public'`),
		chromedp.SendKeys(chromedp.ID("public-event"), declared), chromedp.Click(chromedp.ID("public-check")),
		chromedp.WaitVisible(chromedp.CSS(`#public-verdict[data-ok="1"]`)))
	if sh != nil {
		sh.shot(b, "public")
	}
}
