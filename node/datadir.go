package node

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// privateDataDir makes dir and everything under it private to this user
// (directories 0700, files 0600: they hold roll numbers, token hashes and
// the signing key), whatever modes existed before, and sets the process's
// umask to 077 so that what the stores create later is private too. It
// refuses a directory owned by another user.
func privateDataDir(dir string, log *slog.Logger) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if err := ownedBy(dir, fi, os.Getuid()); err != nil {
		return err
	}
	syscall.Umask(0o077)
	tightened := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return gone(err)
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm()&0o077 == 0 {
			return gone(err)
		}
		tightened++
		return gone(os.Chmod(p, info.Mode().Perm()&0o700))
	})
	if err != nil {
		return fmt.Errorf("node: make the data directory %s private (数据目录权限): %w", dir, err)
	}
	if tightened > 0 {
		log.Warn("data directory made private: group and other permissions removed", "dir", dir, "entries", tightened)
	}
	return nil
}

// gone drops the error of an entry removed while the walk ran (JetStream
// replaces its state files as it works): what no longer exists needs no
// tightening, and what replaces it is made under the 077 umask.
func gone(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// ownedBy refuses a data directory that user uid does not own.
func ownedBy(dir string, fi os.FileInfo, uid int) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == uid {
		return nil
	}
	return fmt.Errorf("node: the data directory %s belongs to user %d, not to this user (%d) (数据目录属于其他用户)", dir, st.Uid, uid)
}
