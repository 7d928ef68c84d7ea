package reliability

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// TestClocksAndSecrets runs one "ledger serve --log-level debug" and
// checks at the HTTP level: an occurred-at in the future is refused with
// its code; recorded-at increases strictly from command to command; a
// wrong token is refused without echoing it; the admin token never shows
// in the child's logs; HTTP listens on loopback by default.
func TestClocksAndSecrets(t *testing.T) {
	c := startServe(t, t.TempDir(), "--log-level", "debug")
	e := setupElection(t, c, 2, 100)
	t.Run("future occurred-at", func(t *testing.T) {
		future := time.Now().Add(time.Hour).Format(time.RFC3339)
		r, err := post(context.Background(), c.url, c.token, "check_in", ulid.Make().String(), future, e.checkIn(1))
		if err != nil || r.status/100 != 4 || r.problemCode() != "occurred_at_in_future" {
			t.Fatalf("got %v %d %s, want a 4xx occurred_at_in_future", err, r.status, r.body)
		}
	})
	t.Run("recorded-at increases", func(t *testing.T) {
		var last time.Time
		for roll := 2; roll <= 30; roll++ {
			r := mustPost(t, c, "check_in", checkInAt, e.checkIn(roll))
			var out struct {
				Events []struct {
					RecordedAt time.Time `json:"recorded_at"`
				} `json:"events"`
			}
			if err := json.Unmarshal(r.body, &out); err != nil || len(out.Events) != 1 {
				t.Fatalf("%v: %s", err, r.body)
			}
			if !out.Events[0].RecordedAt.After(last) {
				t.Fatalf("recorded-at %v after %v", out.Events[0].RecordedAt, last)
			}
			last = out.Events[0].RecordedAt
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		wrong := c.token + "x"
		r, err := post(context.Background(), c.url, wrong, "check_in", ulid.Make().String(), checkInAt, e.checkIn(40))
		if err != nil || r.status != http.StatusUnauthorized {
			t.Fatalf("got %v %d, want 401", err, r.status)
		}
		if strings.Contains(string(r.body), c.token) {
			t.Fatal("the refusal echoes the token")
		}
	})
	c.stop(t)
	checkSecretAbsent(t, c)
	if strings.Contains(c.stderrText(), c.token[:len(c.token)/2]) {
		t.Fatal("half of the admin token appears in the logs")
	}
	if out, _ := runLedger(t, "serve", "--help"); !strings.Contains(out, `"127.0.0.1:8080"`) || !strings.Contains(out, "off by default") {
		t.Fatalf("serve's defaults are not loopback HTTP and no NATS port:\n%s", out)
	}
}

// TestBackupRestoreServe: the data of a "ledger serve" run, backed up with
// "ledger backup" after it stopped and restored with "ledger restore" into
// a new directory, verifies and holds the same log and Merkle root.
func TestBackupRestoreServe(t *testing.T) {
	data := t.TempDir()
	c := startServe(t, data)
	e := setupElection(t, c, 4, 1000)
	for roll := 1; roll <= 50; roll++ {
		mustPost(t, c, "check_in", checkInAt, e.checkIn(roll))
	}
	c.stop(t)
	backup := filepath.Join(t.TempDir(), "b")
	if out, code := runLedger(t, "backup", "--out", backup, "--data", data); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, out)
	}
	restored := filepath.Join(t.TempDir(), "r")
	if out, code := runLedger(t, "restore", backup, "--data", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	verify(t, restored)
	wantLog, wantRoot := logOf(t, data)
	gotLog, gotRoot := logOf(t, restored)
	if string(wantLog) != string(gotLog) || string(wantRoot) != string(gotRoot) {
		t.Fatal("the restored ledger differs from the original")
	}
	c = startServe(t, restored) // the restored node serves, with the same admin token
	mustPost(t, c, "check_in", checkInAt, e.checkIn(51))
	c.stop(t)
	t.Logf("restored %d events, Merkle root %x", len(gotLog)/32, gotRoot)
}
