package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/internal/testkit"
)

var (
	cycles = flag.Int("cycles", 0, "kill-restart cycles of TestCrashLoop (default 3, or 20 with LEDGER_LONG=1)")
	bin    string // the ledger binary, built once by TestMain
)

// long reports whether the long variants run (LEDGER_LONG=1).
func long() bool { return os.Getenv("LEDGER_LONG") == "1" }

func TestMain(m *testing.M) {
	if spec := os.Getenv(natsServerEnv); spec != "" {
		runNATSServer(spec) // a child process of the failover test
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "ledger-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ledger")
	build := exec.Command("go", "build", "-o", bin, "ledger/cmd/ledger")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the ledger binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// child is one "ledger serve" process.
type child struct {
	cmd    *exec.Cmd
	data   string
	url    string // http://host:port
	token  string
	stderr *bytes.Buffer // everything the child wrote to stderr
	mu     *sync.Mutex
	done   chan struct{}
}

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// startServe runs "ledger serve" on data with a random loopback HTTP port
// and waits until it is ready. Extra arguments follow serve's own.
func startServe(t *testing.T, data string, extra ...string) *child {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--http", "127.0.0.1:0"}, extra...)
	c := &child{cmd: exec.Command(bin, args...), data: data, stderr: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	c.cmd.Stderr = lockedBuffer{c.mu, c.stderr}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ledger node serving "); ok {
				addr <- strings.Fields(a)[0]
			}
		}
	}()
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill() })
	select {
	case c.url = <-addr:
	case <-c.done:
		t.Fatalf("ledger serve exited: %s", c.stderrText())
	case <-time.After(60 * time.Second):
		c.kill()
		t.Fatalf("ledger serve did not start: %s", c.stderrText())
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	c.token = strings.TrimSpace(string(tok))
	c.waitReady(t)
	return c
}

func (c *child) stderrText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(c.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ledger serve not ready in 60s: %s", c.stderrText())
}

// kill sends SIGKILL and waits for the process to end.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop asks the child to shut down (SIGTERM) and waits.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.kill()
		t.Fatal("ledger serve did not stop on SIGTERM in 30s")
	}
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// problemCode returns the "code" of a problem+json body.
func (r reply) problemCode() string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

var httpClient = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}

// post sends a command with its Idempotency-Key and Occurred-At.
func post(ctx context.Context, base, token, ct, key, occurred string, body any) (reply, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return reply{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/commands/"+ct, bytes.NewReader(b))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if occurred != "" {
		req.Header.Set("Occurred-At", occurred)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: rb}, err
}

// mustPost sends a command that must be recorded (201).
func mustPost(t *testing.T, c *child, ct, occurred string, body any) reply {
	t.Helper()
	r, err := post(context.Background(), c.url, c.token, ct, ulid.Make().String(), occurred, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusCreated {
		t.Fatalf("%s: %d %s", ct, r.status, r.body)
	}
	return r
}

// election is a village election set up for check-ins: polls open at
// every station, voters spread over the stations by roll number.
type election struct {
	ID, Region string
	Stations   []string
	Voters     int
}

// station returns the station of a roll number.
func (e election) station(roll int) string { return e.Stations[(roll-1)%len(e.Stations)] }

// checkIn is the body of voter roll's in-person check-in.
func (e election) checkIn(roll int) map[string]any {
	return map[string]any{"station_id": e.station(roll), "election_id": e.ID, "region": e.Region, "roll_no": roll, "mode": "in_person"}
}

// checkInAt is when the check-ins happen (election day).
const checkInAt = "2026-05-01T09:00:00+08:00"

// setupElection records a village election up to open polls, the way
// domain/testdata/village_election.jsonl does, with voters on the roll
// spread over stations.
func setupElection(t *testing.T, c *child, stations, voters int) election {
	t.Helper()
	return electionCommands(stations, voters, func(ct, at string, body map[string]any) {
		mustPost(t, c, ct, at, body)
	})
}

// electionCommands emits the commands of setupElection, in order, with
// their occurred-at.
func electionCommands(stations, voters int, emit func(ct, at string, body map[string]any)) election {
	e := election{ID: ulid.Make().String(), Region: "220102001001", Voters: voters}
	for range stations {
		e.Stations = append(e.Stations, ulid.Make().String())
	}
	addr := func(m map[string]any) map[string]any {
		m["election_id"], m["region"] = e.ID, e.Region
		return m
	}
	emit("call_election", "2026-04-01T09:00:00+08:00", addr(map[string]any{"committee": "villagers", "seats": 5,
		"election_day": "2026-05-01", "election_committee": []string{"主任 王建国", "委员 李秀英", "委员 张伟"}, "rules": map[string]any{}}))
	for first := 1; first <= voters; first += 5000 {
		var batch []map[string]any
		for roll := first; roll < first+5000 && roll <= voters; roll++ {
			batch = append(batch, map[string]any{"roll_no": roll, "station_id": e.station(roll)})
		}
		emit("register_voters", "2026-04-01T09:00:00+08:00", addr(map[string]any{"voters": batch}))
	}
	emit("publish_roll", "2026-04-11T09:00:00+08:00", addr(map[string]any{}))
	for i, name := range []string{"刘一", "陈二", "张三", "李四", "王五", "赵六", "孙七"} {
		emit("nominate_candidate", "2026-04-11T09:00:00+08:00", addr(map[string]any{
			"candidate_id": fmt.Sprintf("c%d", i+1), "name": name, "nominated_by": "villagers_joint"}))
	}
	emit("publish_candidates", "2026-04-17T09:00:00+08:00", addr(map[string]any{}))
	for i, s := range e.Stations {
		emit("establish_station", "2026-04-17T09:00:00+08:00", addr(map[string]any{"station_id": s,
			"mobile": false, "approved": false, "place": fmt.Sprintf("第%d投票站", i+1), "scrutineers": []string{"监票人甲", "监票人乙"}}))
	}
	for _, s := range e.Stations {
		emit("open_polls", "2026-05-01T08:00:00+08:00", addr(map[string]any{"station_id": s, "round": 1}))
	}
	return e
}

// runLedger runs the ledger binary with args and returns its combined
// output and exit code.
func runLedger(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// checkRebuildEqual rebuilds every read model of a stopped node with
// "ledger rebuild" and checks the result equals the live one.
func checkRebuildEqual(t *testing.T, data string) int {
	t.Helper()
	live := testkit.ReadModelKeys(t, data)
	if out, code := runLedger(t, "rebuild", "--data", data); code != 0 {
		t.Fatalf("ledger rebuild: exit %d\n%s", code, out)
	}
	rebuilt := testkit.ReadModelKeys(t, data)
	if len(live) != len(rebuilt) {
		t.Fatalf("read models: %d keys live, %d after rebuild", len(live), len(rebuilt))
	}
	for k, v := range live {
		if !bytes.Equal(rebuilt[k], v) {
			t.Fatalf("read-model key %q differs after rebuild", k)
		}
	}
	return len(live)
}

// verify runs "ledger audit verify" and fails unless it exits 0.
func verify(t *testing.T, data string) {
	t.Helper()
	if out, code := runLedger(t, "audit", "verify", "--data", data); code != 0 {
		t.Fatalf("ledger audit verify: exit %d\n%s", code, out)
	}
}

// quiet drops Pebble's informational logs.
type quiet struct{}

func (quiet) Infof(string, ...any)              {}
func (quiet) Errorf(string, ...any)             {}
func (quiet) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
