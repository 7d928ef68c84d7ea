package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/schollz/progressbar/v3"
)

func TestLineWriter(t *testing.T) {
	var out bytes.Buffer
	w := lineWriter{&out}
	for _, s := range []string{"\r 40% |###   | (4/10)  ", "\r          \r", "\r100% |######| (10/10)"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("write %q: %d, %v", s, n, err)
		}
	}
	if got, want := out.String(), "40% |###   | (4/10)\n100% |######| (10/10)\n"; got != want {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

// TestBarOnAFile: on a file (a log, a CI job) the bar writes plain lines,
// --json or not; on a writer that is not a file, nothing.
func TestBarOnAFile(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "stderr")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		bar := progressbar.NewOptions(10, append(barOptions(f, quiet), progressbar.OptionShowCount())...)
		_ = bar.Add(3)
		_ = bar.Finish()
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		log, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(log), "\n"), "\n")
		if strings.ContainsAny(string(log), "\r\x1b") || !strings.Contains(lines[len(lines)-1], "100%") {
			t.Fatalf("quiet %v: log %q: want plain lines ending at 100%%", quiet, log)
		}
	}
	var buf bytes.Buffer
	bar := progressbar.NewOptions(10, barOptions(&buf, false)...)
	_ = bar.Add(10)
	if buf.Len() != 0 {
		t.Fatalf("bar on a buffer wrote %q", buf.String())
	}
}
