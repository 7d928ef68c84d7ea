package reliability

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStartupPermissionDenied: serve on a data directory this user may
// not create stops at once, saying so in both languages. Root passes
// every permission check, so as root the test runs serve as the user
// nobody (65534) with the data directory under one only root may enter.
func TestStartupPermissionDenied(t *testing.T) {
	parent := t.TempDir() // 0700
	exe := bin
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		exe, cred = publicCopy(t, bin), &syscall.Credential{Uid: 65534, Gid: 65534}
	} else {
		if err := os.Chmod(parent, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(parent, 0o700) })
	}
	out, took := runStartup(t, func() *exec.Cmd {
		cmd := exec.Command(exe, "serve", "--data", filepath.Join(parent, "data"), "--http", "127.0.0.1:0")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		return cmd
	})
	t.Logf("serve without permission on the data directory, after %.2fs: %s", took.Seconds(), out)
	for _, want := range []string{"permission denied", "无权限", "data directory"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve without permission: %q does not say %q", out, want)
		}
	}
}

// TestStartupDiskFull: serve whose writes fail for want of room stops at
// once, saying so. A full filesystem needs a mount of its own (root); a
// file size limit (RLIMIT_FSIZE, set by the shell's ulimit -f for the
// child only) makes every write past 512 bytes fail with EFBIG, as a full
// disk fails with ENOSPC, without privileges.
func TestStartupDiskFull(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, took := runStartup(t, func() *exec.Cmd {
		return exec.Command("sh", "-c", `ulimit -f 1 && exec "$0" "$@"`, bin,
			"serve", "--data", data, "--http", "127.0.0.1:0")
	})
	t.Logf("serve with no room to write, after %.2fs: %s", took.Seconds(), out)
	for _, want := range []string{"disk is full", "磁盘已满", "data directory"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve with no room: %q does not say %q", out, want)
		}
	}
}

// runStartup runs a serve that must fail to start and returns what it
// printed and how long it took; it fails the test if serve starts, runs
// on for 30 s, or cannot be started at all. A copy of the executable just
// written may be busy (ETXTBSY) while another test's fork still holds its
// write descriptor until that child's exec; the start is then tried again.
func runStartup(t *testing.T, command func() *exec.Cmd) (string, time.Duration) {
	t.Helper()
	for try := 0; ; try++ {
		cmd := command()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Start()
		if errors.Is(err, syscall.ETXTBSY) && try < 50 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("start %s: %v", cmd.Path, err)
		}
		timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
		err = cmd.Wait()
		timer.Stop()
		if err == nil || strings.Contains(out.String(), "ledger node serving") {
			t.Fatalf("serve started: %v\n%s", err, out.String())
		}
		return strings.TrimSpace(out.String()), time.Since(start)
	}
}

// publicCopy copies the executable file to a directory anyone may read,
// for a child run as another user.
func publicCopy(t *testing.T, file string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ledger-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	to := filepath.Join(dir, filepath.Base(file))
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// The mode is set again: a node opened earlier in this process set
	// the umask to 077, which took the others' bits off at create.
	if err := os.Chmod(to, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}
