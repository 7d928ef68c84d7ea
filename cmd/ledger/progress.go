package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressEvery is how often a progress bar writes a line when stderr is
// a file or a pipe rather than a terminal.
const progressEvery = 30 * time.Second

// newBar returns a progress bar on stderr (see barOptions); --json keeps a
// terminal free of it.
func newBar(g *globals, total int64, what string) *progressbar.ProgressBar {
	opts := append(barOptions(os.Stderr, g.jsonOut), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	return progressbar.NewOptions64(total, opts...)
}

// barOptions says where and how often a progress bar draws on w: redrawn
// in place on a terminal (unless quietOnTerminal); on a file or a pipe (a
// log, a CI job, a service manager) one plain line every progressEvery, so
// that a long rebuild or a province-scale demo shows it is alive and how
// fast it goes; on any other writer (a test's buffer) not at all.
func barOptions(w io.Writer, quietOnTerminal bool) []progressbar.Option {
	f, ok := w.(*os.File)
	switch {
	case !ok:
		return []progressbar.Option{progressbar.OptionSetWriter(io.Discard)}
	case isTerminal(f) && quietOnTerminal:
		return []progressbar.Option{progressbar.OptionSetWriter(io.Discard)}
	case isTerminal(f):
		return []progressbar.Option{progressbar.OptionSetWriter(f), progressbar.OptionThrottle(200 * time.Millisecond)}
	default:
		return []progressbar.Option{progressbar.OptionSetWriter(lineWriter{f}), progressbar.OptionThrottle(progressEvery),
			progressbar.OptionSetWidth(20), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(true)}
	}
}

// lineWriter turns a progress bar's redraws into plain lines: carriage
// returns and blank redraws are dropped and each drawing ends its line.
type lineWriter struct{ w io.Writer }

func (l lineWriter) Write(p []byte) (int, error) {
	s := strings.TrimSpace(strings.ReplaceAll(string(p), "\r", ""))
	if s == "" {
		return len(p), nil
	}
	if _, err := fmt.Fprintln(l.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isTerminal reports whether f is a terminal (so that progress is drawn).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
