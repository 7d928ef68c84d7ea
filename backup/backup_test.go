package backup_test

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/backup"
	"ledger/domain"
	"ledger/node"
)

// TestBackupRestore: a backup of a node restores into a new data directory
// whose node holds the same Merkle root; a second backup into the same
// directory is refused.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	n, err := node.Open(ctx, node.Config{DataDir: t.TempDir(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		cmd, err := domain.DecodeCommand("call_election", []byte(`{"election_id":"`+ulid.Make().String()+
			`","region":"220102001001","committee":"villagers","seats":5,"election_day":"2026-05-01","election_committee":["主任 王建国"],"rules":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		if _, err := n.Ledger.Execute(ctx, cmd, app.Meta{CommandID: ulid.Make().String(), OccurredAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "backup")
	info, err := backup.Backup(ctx, n, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Backup(ctx, n, dir); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("second bdir into %s: %v, want ErrNotEmpty", dir, err)
	}
	n.Close()
	if info.TreeSize != 3 || info.StreamBytes == 0 {
		t.Fatalf("backup info %+v", info)
	}
	cfg := node.Config{DataDir: filepath.Join(t.TempDir(), "restored"), Offline: true}
	if _, err := backup.Restore(ctx, dir, cfg); err != nil {
		t.Fatal(err)
	}
	r, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	<-r.Store.Ready()
	root, err := r.Tree.Root(info.TreeSize)
	if err != nil || hex.EncodeToString(root) != info.Root {
		t.Fatalf("restored root %x (%v), bdir %s", root, err, info.Root)
	}
}
