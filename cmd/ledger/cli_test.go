package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ledger/client"
	"ledger/history"
	"ledger/node"
	"ledger/projections"
	"ledger/server"
)

// The values of domain/testdata/village_election.jsonl.
const (
	tElection = "01J00000000000000000000001"
	tRegion   = "220102001001"
	tHall     = "01J00000000000000000000101" // 村委会大院
	tMobile   = "01J00000000000000000000103" // 流动票箱（敬老院）
)

// cliEnv is a real node and server on a loopback port, and the ledger
// command line run in-process against it.
type cliEnv struct {
	t     *testing.T
	ctx   context.Context
	url   string
	token string
	dir   string
	srv   *server.Server
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	t.Setenv("LEDGER_TOKEN", "")
	t.Setenv("LEDGER_TOKEN_FILE", "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	dir := t.TempDir()
	n, err := node.Open(ctx, node.Config{DataDir: filepath.Join(dir, "data"), MemoryStorage: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	<-n.Store.Ready()
	srv, err := server.New(n, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := srv.Tokens().Bootstrap(n.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close)
	return &cliEnv{t: t, ctx: ctx, url: ts.URL, token: secret, dir: dir, srv: srv}
}

// run runs the command line and returns its output and exit code.
func (e *cliEnv) run(args ...string) (string, int) {
	e.t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.ExecuteContext(e.ctx); err != nil {
		code := exitCode(err)
		return out.String() + "ledger: " + err.Error() + "\n", code
	}
	return out.String(), 0
}

// must runs a group's subcommand with the server and token, and fails
// unless it exits 0.
func (e *cliEnv) must(group, sub, at string, args ...string) string {
	e.t.Helper()
	out, code := e.run(e.args(group, sub, at, args...)...)
	if code != 0 {
		e.t.Fatalf("ledger %s %s %s: exit %d\n%s", group, sub, strings.Join(args, " "), code, out)
	}
	return out
}

func (e *cliEnv) args(group, sub, at string, args ...string) []string {
	a := []string{group}
	if sub != "" {
		a = append(a, sub)
	}
	a = append(a, "--server", e.url, "--token", e.token)
	if at != "" {
		a = append(a, "--occurred-at", at)
	}
	return append(a, args...)
}

func (e *cliEnv) election(sub, at string, args ...string) string {
	e.t.Helper()
	return e.must("election", sub, at, append([]string{"--election", tElection, "--region", tRegion}, args...)...)
}

func (e *cliEnv) station(sub, station, at string, args ...string) string {
	e.t.Helper()
	return e.election(sub, at, append([]string{"--station", station}, args...)...)
}

// TestCLIVillageElection runs the whole life of a village election from
// the command line, then queries and exports it.
func TestCLIVillageElection(t *testing.T) {
	e := newCLIEnv(t)
	const call, roll, cands, day, closing, count = "2026-04-01T09:00:00+08:00", "2026-04-11T09:00:00+08:00",
		"2026-04-17T09:00:00+08:00", "2026-05-01T08:00:00+08:00", "2026-05-01T16:00:00+08:00", "2026-05-01T17:00:00+08:00"

	out := e.election("call", call, "--seats", "5", "--day", "2026-05-01",
		"--committee-member", "主任 王建国", "--committee-member", "委员 李秀英", "--committee-member", "委员 张伟")
	if !strings.Contains(out, "recorded call_election on election "+tElection) {
		t.Fatalf("call: %s", out)
	}

	importRoll(t, e, call)

	if out, code := e.run(e.args("election", "publish-roll", roll, "--election", tElection, "--region", tRegion)...); code != 3 ||
		!strings.Contains(out, "count_unit_too_small") {
		t.Fatalf("publish-roll with a mobile box of 6 voters counted alone: exit %d, want 3 count_unit_too_small:\n%s", code, out)
	}
	e.election("merge-count", roll, "--station", tMobile, "--count-with", tHall)
	e.election("publish-roll", roll)
	for i, name := range []string{"刘一", "陈二", "张三", "李四", "王五", "赵六"} {
		e.election("nominate", roll, "--candidate", fmt.Sprintf("c%d", i+1), "--name", name, "--nominated-by", "villagers_joint")
	}
	// The escape hatch records any command from its JSON body.
	body := fmt.Sprintf(`{"election_id":%q,"region":%q}`, tElection, tRegion)
	e.must("cmd", "publish_candidates", cands, "--body", body)

	e.station("establish-station", tHall, cands, "--place", "村委会大院", "--scrutineer", "监票人甲", "--scrutineer", "监票人乙")
	e.station("establish-station", tMobile, cands, "--mobile", "--approved", "--place", "流动票箱（敬老院）",
		"--scrutineer", "监票人丙", "--scrutineer", "监票人丁", "--scrutineer", "监票人戊")
	e.station("publish-station-voters", tMobile, cands)
	e.station("open-polls", tHall, day)
	e.station("open-polls", tMobile, day)

	for r := 1; r <= 16; r++ {
		e.station("check-in", tHall, day, "--roll", fmt.Sprint(r))
	}
	e.station("check-in", tHall, day, "--roll", "27")
	for r := 21; r <= 25; r++ {
		e.station("check-in", tMobile, day, "--roll", fmt.Sprint(r), "--mode", "mobile_box")
	}
	checkRefusals(t, e, day)

	e.station("close-polls", tHall, closing)
	e.station("close-polls", tMobile, closing)
	e.station("seal-box", tMobile, closing, "--seal-no", "F-103-1", "--sealed-by", "监票人丙", "--sealed-by", "监票人丁")

	e.station("merge-box", tHall, count, "--box", tMobile)
	e.station("record-ballot", tHall, count, "--candidates", "c1,c2,c3,c4,c5", "--repeat", "12")
	e.station("record-ballot", tHall, count, "--candidates", "c1,c2,c3,c4,c6", "--repeat", "3")
	e.station("record-ballot", tHall, count, "--candidates", "c1,c2", "--write-in", "吴九")
	e.station("record-ballot", tHall, count, "--blank")
	e.station("record-ballot", tHall, count, "--candidates", "c1,c2,c3,c4,c5", "--repeat", "5")
	e.station("close-count", tHall, count)
	e.election("declare", count, "--stations", tHall+","+tMobile)
	e.election("announce", count)
	out = e.election("certify", "2026-05-03T09:00:00+08:00", "--by", "某某街道办事处", "--json")
	var res client.CommandResponse
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.FirstPosition == 0 {
		t.Fatalf("certify --json: %v\n%s", err, out)
	}
	// A retry with the same command ID is answered with the original positions.
	out = e.election("certify", "2026-05-03T09:00:00+08:00", "--by", "某某街道办事处", "--command-id", res.CommandID)
	if !strings.Contains(out, fmt.Sprintf("already recorded (a retry) certify_result on election %s (version %d) at position %d",
		tElection, res.Version, res.FirstPosition)) {
		t.Errorf("retry of certify:\n%s", out)
	}

	checkQueries(t, e)
}

// importRoll imports the roll from a CSV with one bad row (reported, exit
// 3), then a second file with a voter already on the roll (refused by the
// server, found by splitting the batch) and a new one.
func importRoll(t *testing.T, e *cliEnv, at string) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("\xEF\xBB\xBFroll_no,station_id,household\n")
	for r := 1; r <= 26; r++ {
		st := tHall
		if r > 20 {
			st = tMobile
		}
		fmt.Fprintf(&csv, "%d,%s,h%d\n", r, st, (r+1)/2)
		if r == 10 {
			csv.WriteString("十一,01J00000000000000000000101,h6\n") // line 12: not a number
		}
	}
	file := filepath.Join(e.dir, "roll.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := e.run(e.args("election", "import-roll", at, "--election", tElection, "--region", tRegion,
		"--file", file, "--station", tHall+","+tMobile)...)
	if code != 3 || !strings.Contains(out, "registered 26 of 27 voters in 1 command") ||
		!regexp.MustCompile(`\n12 +十一 +invalid_roll_no +the roll number`).MatchString(out) {
		t.Fatalf("import-roll: exit %d, want 3 with line 12 reported:\n%s", code, out)
	}

	file2 := filepath.Join(e.dir, "late.csv")
	if err := os.WriteFile(file2, []byte(tHall+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	late := fmt.Sprintf("5,%s\n27,%s\n", tHall, tHall)
	if err := os.WriteFile(file2, []byte(late), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = e.run(e.args("election", "import-roll", at, "--election", tElection, "--region", tRegion,
		"--file", file2, "--json")...)
	var rep importReport
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &rep); err != nil {
		t.Fatalf("import-roll --json: %v\n%s", err, out)
	}
	if code != 3 || rep.Registered != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Code != "already_on_roll" || rep.Rejected[0].Line != 1 {
		t.Fatalf("import-roll with a voter on the roll: exit %d, report %+v", code, rep)
	}
}

// checkRefusals checks the exit codes of a rule violation, a usage error
// and a missing token.
func checkRefusals(t *testing.T, e *cliEnv, day string) {
	t.Helper()
	out, code := e.run(e.args("election", "check-in", day, "--election", tElection, "--region", tRegion,
		"--station", tHall, "--roll", "5")...)
	if code != 3 || !strings.Contains(out, "already_checked_in") || !strings.Contains(out, "中文:") || !strings.Contains(out, "English:") {
		t.Errorf("second check-in of roll 5: exit %d, want 3 with the code and messages:\n%s", code, out)
	}
	out, code = e.run(e.args("election", "check-in", day, "--election", tElection, "--region", tRegion,
		"--station", tHall, "--roll", "21")...)
	if code != 3 || !strings.Contains(out, "wrong_station") || !strings.Contains(out, "rule:") {
		t.Errorf("check-in at the wrong station: exit %d, want 3 with the code and the rule:\n%s", code, out)
	}
	if out, code := e.run("election", "check-in", "--server", e.url, "--station", tHall, "--region", tRegion,
		"--election", tElection, "--roll", "6"); code != 6 || !strings.Contains(out, "unauthenticated") {
		t.Errorf("check-in without a token: exit %d, want 6:\n%s", code, out)
	}
	if out, code := e.run("election", "check-in", "--server", e.url, "--token", e.token, "--station", tHall); code != 2 {
		t.Errorf("check-in without --roll: exit %d, want 2:\n%s", code, out)
	}
	if out, code := e.run("cmd", "check_inn", "--server", e.url, "--token", e.token, "--body", "{}"); code != 2 {
		t.Errorf("cmd with an unknown type: exit %d, want 2:\n%s", code, out)
	}
}

func checkQueries(t *testing.T, e *cliEnv) {
	t.Helper()
	var turnout projections.ElectionTurnout
	out := e.must("query", "turnout", "", "--election", tElection, "--json")
	if err := json.Unmarshal([]byte(out), &turnout); err != nil {
		t.Fatalf("turnout --json: %v\n%s", err, out)
	}
	if turnout.Registered != 27 || turnout.Voted != 22 || turnout.Mobile != 5 || !turnout.ValidityMet || len(turnout.Stations) != 2 {
		t.Errorf("turnout = %+v, want 22 of 27 voted, 5 at the mobile box, valid, 2 stations", turnout)
	}

	var results projections.ElectionResults
	out = e.must("query", "results", "", "--election", tElection, "--json")
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("results --json: %v\n%s", err, out)
	}
	votes := map[string]int{}
	for _, m := range results.Members {
		votes[m.ID] = m.Votes
	}
	want := map[string]int{"c1": 22 - 1, "c2": 21, "c3": 20, "c4": 20, "c5": 17}
	if fmt.Sprint(votes) != fmt.Sprint(want) || !results.Certified || len(results.Rounds) != 1 || results.Rounds[0].Cast != 22 {
		t.Errorf("results: members %v (want %v), certified %v, rounds %+v", votes, want, results.Certified, results.Rounds)
	}

	out = e.must("query", "results", "", "--election", tElection)
	if !strings.Contains(out, "CANDIDATE_ID") || !strings.Contains(out, "刘一") || !strings.Contains(out, "write-in:吴九") {
		t.Errorf("results table:\n%s", out)
	}

	file := filepath.Join(e.dir, "results.csv")
	e.must("query", "results", "", "--election", tElection, "--format", "csv", "--out", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBFround,kind,candidate_id,name,write_in,votes,elected,tied,round_status,round_reason\r\n")) ||
		!strings.Contains(string(b), "1,first,c1,刘一,false,21,true,,valid,\r\n") {
		t.Errorf("results.csv:\n%q", b)
	}
	file = filepath.Join(e.dir, "turnout.csv")
	e.must("query", "turnout", "", "--election", tElection, "--out", file)
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte(utf8BOM+"scope,id,mobile,registered,voted")) {
		t.Errorf("turnout.csv:\n%q", b)
	}

	out = e.must("query", "reconciliation", "", "--election", tElection)
	if !strings.Contains(out, "issued 22, returned 22, spoiled 0") {
		t.Errorf("reconciliation:\n%s", out)
	}
	out = e.must("query", "audit-trail", "", "--kind", "election", "--id", tElection, "--all", "--json")
	var page history.Page
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Entries) < 10 {
		t.Errorf("audit-trail: %v, %d entries", err, len(page.Entries))
	}
	if out, code := e.run("query", "turnout", "--server", e.url, "--election", tElection); code != 6 {
		t.Errorf("query without a token: exit %d, want 6:\n%s", code, out)
	}
	if out, code := e.run("query", "results", "--server", e.url, "--token", e.token, "--election", "01J00000000000000000000009"); code != 5 {
		t.Errorf("results of an unknown election: exit %d, want 5:\n%s", code, out)
	}
}

// TestCLIConsultationAndSupervision records the life of a consultation
// (domain/testdata/consultation.jsonl, without its refusals) and an
// inspection of it, then queries both.
func TestCLIConsultationAndSupervision(t *testing.T) {
	e := newCLIEnv(t)
	const id, insp = "01J00000000000000000000201", "01J00000000000000000000301"
	c := func(sub, at string, args ...string) string {
		t.Helper()
		return e.must("consultation", sub, at, append([]string{"--consultation", id, "--region", tRegion}, args...)...)
	}
	out := c("propose", "2026-03-01T09:00:00+08:00", "--topic", "小区加装电梯", "--proposed-by", "one_fifth_residents",
		"--signatures", "60", "--residents", "300", "--json")
	var proposed client.CommandResponse
	if err := json.Unmarshal([]byte(out), &proposed); err != nil || len(proposed.Events) != 1 {
		t.Fatalf("propose --json: %v\n%s", err, out)
	}
	c("consult-residents", "2026-03-01T09:00:00+08:00", "--asked", "120", "--opinions", "85", "--summary", "多数居民支持")
	c("participants", "2026-03-01T09:00:00+08:00", "--participants", "resident=14,non_registered_resident=2,owners_committee=3,property_company=1")
	c("notice", "2026-03-26T09:00:00+08:00", "--content", "讨论补偿方案", "--place", "社区议事厅", "--meeting-at", "2026-03-30T19:00:00+08:00")
	c("meeting", "2026-03-30T19:30:00+08:00", "--present", "16")
	c("opinion", "2026-03-30T19:30:00+08:00", "--category", "owners_committee", "--summary", "业委会同意垫付前期费用")
	c("vote", "2026-03-30T19:30:00+08:00", "--text", "通过加装电梯及补偿方案", "--for", "12", "--against", "3", "--abstain", "1")
	c("assign-task", "2026-04-01T09:00:00+08:00", "--task", "t1", "--title", "委托设计单位出具方案", "--owner", "社区居委会", "--deadline", "2026-05-01")
	c("complete-task", "2026-04-28T09:00:00+08:00", "--task", "t1", "--note", "设计方案已出")
	c("feedback", "2026-04-28T09:00:00+08:00", "--content", "电梯加装方案已落实")

	s := func(sub, at string, args ...string) {
		t.Helper()
		e.must("supervision", sub, at, append([]string{"--inspection", insp, "--region", "220102001"}, args...)...)
	}
	s("open", "2026-05-20T09:00:00+08:00", "--title", "协商程序排查", "--scope-kind", "meeting", "--scope-id", id, "--scope-region", tRegion, "--inspector", "民政所 陈某")
	s("evidence", "2026-05-20T09:00:00+08:00", "--evidence", "ev1", "--event", proposed.Events[0].EventID, "--description", "议题提出记录")
	s("finding", "2026-05-20T09:00:00+08:00", "--finding", "f1", "--kind", "procedure", "--summary", "公告张贴时间不足", "--evidence", "ev1")
	s("order", "2026-05-20T09:00:00+08:00", "--order", "o1", "--finding", "f1", "--responsible", "社区居委会", "--deadline", "2026-06-20")
	reporter, _, err := e.srv.Tokens().Create(server.RoleInspector, nil, "inspector:社区联络员")
	if err != nil {
		t.Fatal(err)
	}
	admin := e.token
	e.token = reporter
	s("report", "2026-06-10T09:00:00+08:00", "--order", "o1", "--report", "已制定公告制度")
	out, code := e.run(e.args("supervision", "review", "2026-06-10T09:00:00+08:00", "--inspection", insp, "--region", "220102001", "--order", "o1", "--accepted", "--note", "同意")...)
	if code == 0 || !strings.Contains(out, "reviewer_is_reporter") {
		t.Errorf("the reporter reviewed their own report: exit %d\n%s", code, out)
	}
	e.token = admin
	s("review", "2026-06-10T09:00:00+08:00", "--order", "o1", "--accepted", "--note", "同意")
	s("close", "2026-06-25T09:00:00+08:00", "--conclusion", "程序问题已整改")

	var view projections.ConsultationView
	out = e.must("query", "consultation", "", "--consultation", id, "--json")
	if err := json.Unmarshal([]byte(out), &view); err != nil || !view.Adopted || !view.FeedbackPublished || view.Present != 16 {
		t.Errorf("consultation: %v %+v", err, view)
	}
	out = e.must("query", "supervision", "", "--region", "2201")
	if !strings.Contains(out, "0 open, 1 closed inspections; 1 findings") || !strings.Contains(out, "协商程序排查") {
		t.Errorf("supervision:\n%s", out)
	}
}
