package reliability

import (
	"context"
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
)

// TestDiskFullAndReadOnly runs serve on a small tmpfs of its own: when the
// disk fills up, writes are refused with 507, a code and Retry-After,
// nothing is half-written, and writes resume when space returns;
// afterwards every acknowledged command is there and the log verifies.
// On the same data directory mounted read-only, serve refuses to start and
// says why. Needs root and mount(8): skipped, saying so, without them.
func TestDiskFullAndReadOnly(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root and mount): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	data := filepath.Join(mnt, "data")
	c := startServe(t, data, "--min-free-mib", "32")
	e := setupElection(t, c, 1, 50)
	var acked sync.Map
	checkIn := func(roll int) reply {
		key := ulid.Make().String()
		r, err := post(context.Background(), c.url, c.token, "check_in", key, checkInAt, e.checkIn(roll))
		if err != nil {
			t.Fatal(err)
		}
		if r.status == http.StatusCreated {
			acked.Store(key, roll)
		}
		return r
	}
	if r := checkIn(1); r.status != http.StatusCreated {
		t.Fatalf("first check-in: %d %s", r.status, r.body)
	}

	filler := filepath.Join(mnt, "filler")
	fill(t, filler, mnt, 16<<20) // leave less than the 32 MiB serve asks for
	sleepQuarter()
	sleepQuarter() // the server looks at the disk every quarter second
	r := checkIn(2)
	if r.status != http.StatusInsufficientStorage || r.problemCode() != "disk_full" || r.header.Get("Retry-After") == "" {
		t.Fatalf("check-in on a full disk: %d %s", r.status, r.body)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, checkIn, 2, http.StatusCreated)

	c.stop(t)
	verify(t, data)
	events := checkAcked(t, data, &acked)
	t.Logf("the log holds %d events, every acknowledged command once; a full disk answered 507", events)

	// The same data directory, read-only: serve refuses to start, saying why.
	ro := t.TempDir()
	if out, err := exec.Command("mount", "--bind", data, ro).CombinedOutput(); err != nil {
		t.Fatalf("bind mount: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", ro).Run() })
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", ro).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	out, err := exec.Command(bin, "serve", "--data", ro, "--http", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "read-only") {
		t.Fatalf("serve on a read-only data directory: %v\n%s", err, out)
	}
	t.Logf("serve on a read-only data directory: %s", strings.TrimSpace(string(out)))
}

func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

func sleepQuarter() { time.Sleep(250 * time.Millisecond) }

// fill writes a file until the filesystem at mnt has less than left bytes free.
func fill(t *testing.T, file, mnt string, left uint64) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for freeBytes(t, mnt) > left {
		if _, err := f.Write(chunk); err != nil {
			break // the disk is full
		}
	}
}

// waitStatus retries a check-in (the server looks at the disk every
// quarter second) until it gets want.
func waitStatus(t *testing.T, checkIn func(int) reply, roll, want int) {
	t.Helper()
	for range 40 {
		if r := checkIn(roll); r.status == want {
			return
		}
		sleepQuarter()
	}
	t.Fatalf("check-in %d never got %d", roll, want)
}
