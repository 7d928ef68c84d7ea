package node

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirPrivate: a data directory made beforehand with open modes is
// private after Open, and so is everything the stores created in it.
func TestDataDirPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "pebble"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	<-n.Store.Ready()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	var open []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && d.Type()&fs.ModeSymlink == 0 && info.Mode().Perm()&0o077 != 0 {
			open = append(open, p+" "+info.Mode().Perm().String())
		}
		return nil
	})
	if len(open) > 0 {
		t.Errorf("%d entries readable by others, e.g. %s", len(open), strings.Join(open[:min(5, len(open))], ", "))
	}
}

// TestDataDirOtherOwner: a directory another user owns is refused, naming
// both users.
func TestDataDirOtherOwner(t *testing.T) {
	dir := t.TempDir()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = ownedBy(dir, fi, os.Getuid()+1)
	if err == nil || !strings.Contains(err.Error(), "belongs to user") {
		t.Fatalf("got %v", err)
	}
	if err := ownedBy(dir, fi, os.Getuid()); err != nil {
		t.Fatal(err)
	}
}
