package witness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// The witness keeps, per log, the latest checkpoint it cosigned (with the
// log's signature and its own cosignature) in one file,
// <dir>/logs/<hex SHA-256 of the origin>, replaced atomically: written to
// a temporary file, fsynced, renamed over the old one, and the directory
// fsynced. This file owns that layout.
const logsDir = "logs"

// OriginHash is the lower-case hex SHA-256 of a log's origin, the name of
// its state file and of its monitoring path.
func OriginHash(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return hex.EncodeToString(h[:])
}

type stateFiles struct{ dir string }

func (s stateFiles) path(origin string) string {
	return filepath.Join(s.dir, logsDir, OriginHash(origin))
}

// load returns the stored checkpoint note of origin, or nil if none.
func (s stateFiles) load(origin string) ([]byte, error) {
	b, err := os.ReadFile(s.path(origin))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: read state of %q: %w", origin, err)
	}
	return b, nil
}

// store replaces the stored checkpoint of origin durably.
func (s stateFiles) store(origin string, note []byte) error {
	dir := filepath.Join(s.dir, logsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("witness: state directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("witness: write state of %q: %w", origin, err)
	}
	tmp := f.Name()
	_, err = f.Write(note)
	if err = errors.Join(err, f.Sync(), f.Close()); err == nil {
		err = os.Rename(tmp, s.path(origin))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("witness: write state of %q: %w", origin, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
