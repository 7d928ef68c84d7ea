package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
)

// newBar returns a progress bar on stderr, silent with --json or when
// stderr is not a terminal.
func newBar(g *globals, total int64, what string) *progressbar.ProgressBar {
	var w io.Writer = os.Stderr
	if g.jsonOut || !isTerminal(os.Stderr) {
		w = io.Discard
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200_000_000), progressbar.OptionClearOnFinish())
}

// isTerminal reports whether f is a terminal (so that progress is drawn).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
