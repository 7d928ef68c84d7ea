package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ledger/node"
)

// TestHoldDataDir is not a test of its own: TestOfflineCommandsAgainstRunningNode
// runs it in a child process to hold a data directory the way "ledger
// serve" does (node.Open, then Serving with its address).
func TestHoldDataDir(t *testing.T) {
	dir := os.Getenv("LEDGER_TEST_HOLD_DIR")
	if dir == "" {
		t.Skip("run by TestOfflineCommandsAgainstRunningNode in a child process")
	}
	n, err := node.Open(context.Background(), node.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Serving("http://127.0.0.1:18080"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
}

// TestOfflineCommandsAgainstRunningNode: the offline commands (replay,
// verify, export, backup, rebuild) against the data directory of a node
// running in another process answer at once with exit status 7 and say
// which process holds it, where it serves and what to do, instead of
// "resource temporarily unavailable"; rebuild moves nothing aside. Once
// the node stops, replay works.
func TestOfflineCommandsAgainstRunningNode(t *testing.T) {
	dir := t.TempDir()
	election := recordVillage(t, dir)
	child := exec.Command(os.Args[0], "-test.run=^TestHoldDataDir$")
	child.Env = append(os.Environ(), "LEDGER_TEST_HOLD_DIR="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.Contains(line, "holding") {
		t.Fatalf("the child did not open the node: %q %v", line, err)
	}
	pid := strconv.Itoa(child.Process.Pid)
	for _, args := range [][]string{
		{"audit", "replay", "election/" + election, "--data", dir},
		{"audit", "verify", "--data", dir},
		{"audit", "export", "--data", dir, "--election", election, "--out", filepath.Join(t.TempDir(), "b.json")},
		{"backup", "--data", dir, "--out", filepath.Join(t.TempDir(), "backup")},
		{"rebuild", "--data", dir},
		{"rebuild", "--from-jetstream", "--data", dir},
	} {
		start := time.Now()
		out, code := run(t, args...)
		if code != 7 || !strings.Contains(out, "process "+pid) || !strings.Contains(out, "http://127.0.0.1:18080") ||
			!strings.Contains(out, "正由") || !strings.Contains(out, "Stop it") {
			t.Errorf("%v: exit %d after %s\n%s\nwant exit 7 naming process %s, its address and what to do", args, code, time.Since(start), out, pid)
		}
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, "*.bad-*")); len(aside) > 0 {
		t.Errorf("rebuild moved %v aside while the node ran", aside)
	}
	stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("the child: %v", err)
	}
	if out, code := run(t, "audit", "replay", "election/"+election, "--data", dir); code != 0 {
		t.Errorf("replay after the node stopped: exit %d\n%s", code, out)
	}
}
