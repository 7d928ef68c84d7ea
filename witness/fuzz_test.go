package witness

import (
	"bytes"
	"testing"
)

// FuzzParseRequest: a body that parses re-encodes to itself, and parsing
// never panics.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("old 0\n\nlog\n1\nAAAA\n"))
	f.Add([]byte("old 01\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded %q as %q", b, got)
		}
	})
}
