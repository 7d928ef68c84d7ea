package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/backup"
	"ledger/domain"
	"ledger/node"
)

// TestRestoreIsAtomic: a restore that fails (here: a truncated stream
// snapshot) leaves the target as it was, absent or empty, with nothing
// beside it; a target that holds files is refused and left alone.
func TestRestoreIsAtomic(t *testing.T) {
	ctx := context.Background()
	bdir := backupOfThree(t)
	snap := filepath.Join(bdir, backup.StreamFile)
	fi, err := os.Stat(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(snap, fi.Size()/2); err != nil {
		t.Fatal(err)
	}

	parent := t.TempDir()
	absent := filepath.Join(parent, "absent")
	if _, err := backup.Restore(ctx, bdir, node.Config{DataDir: absent, Offline: true}); err == nil {
		t.Fatal("restore of a truncated snapshot succeeded")
	}
	if _, err := os.Stat(absent); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("target after a failed restore: %v, want it absent", err)
	}
	if left := entries(t, parent); len(left) != 0 {
		t.Fatalf("left beside the target after a failed restore: %v", left)
	}

	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, bdir, node.Config{DataDir: empty, Offline: true}); err == nil {
		t.Fatal("restore of a truncated snapshot succeeded")
	}
	if left := entries(t, empty); len(left) != 0 {
		t.Fatalf("empty target holds %v after a failed restore", left)
	}
	if left := entries(t, parent); len(left) != 1 {
		t.Fatalf("beside the target after a failed restore: %v, want only the target", left)
	}

	full := filepath.Join(parent, "full")
	if err := os.MkdirAll(full, 0o700); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(full, "keep")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, backupOfThree(t), node.Config{DataDir: full, Offline: true}); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into a directory with files: %v, want ErrNotEmpty", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" || len(entries(t, full)) != 1 {
		t.Fatalf("non-empty target changed: %q %v %v", b, err, entries(t, full))
	}
}

// backupOfThree backs up a node holding three calls of election and returns
// the backup directory.
func backupOfThree(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	callElections(t, n, 3)
	dir := filepath.Join(t.TempDir(), "backup")
	if _, err := backup.Backup(ctx, n, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// callElections records count calls of election through n.
func callElections(t *testing.T, n *node.Node, count int) {
	t.Helper()
	for range count {
		cmd, err := domain.DecodeCommand("call_election", []byte(`{"election_id":"`+ulid.Make().String()+
			`","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		if _, err := n.Ledger.Execute(context.Background(), cmd, app.Meta{CommandID: ulid.Make().String(), OccurredAt: at}); err != nil {
			t.Fatal(err)
		}
	}
}
