package main

import (
	"net"
	"strings"
	"testing"
)

// TestStartupPortInUse: a taken HTTP or NATS port is refused at once,
// naming the flag and the cause, before the stores open.
func TestStartupPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, args := range [][]string{
		{"serve", "--data", t.TempDir(), "--http", addr},
		{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--nats-listen", addr},
	} {
		out, code := run(t, args...)
		if code == 0 || !strings.Contains(out, "address already in use") || !strings.Contains(out, "cannot be opened") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}
