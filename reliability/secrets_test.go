package reliability

import (
	"strings"
	"testing"
)

// checkSecretAbsent fails if the child's stderr (its logs) holds its admin token.
func checkSecretAbsent(t *testing.T, c *child) {
	t.Helper()
	if c.token != "" && strings.Contains(c.stderrText(), c.token) {
		t.Fatal("the admin token appears in the serve child's logs (stderr)")
	}
}
