package eventstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrCorruptStore matches a *StoreDamage: the Pebble copy's files are
// damaged (a checksum mismatch, a missing table, a broken manifest). Its
// code, for the CLI and the HTTP API, is "corrupt_store".
var ErrCorruptStore = errors.New("corrupt_store")

// StoreDamage names a damaged file of the Pebble copy and what is wrong
// with it. The remedy is always the same: rebuild the copy from the log of
// record (ledger rebuild --from-jetstream).
type StoreDamage struct {
	File   string // path of the damaged or missing file
	Reason string
}

func (d *StoreDamage) Error() string {
	return fmt.Sprintf("corrupt_store: %s: %s; rebuild the Pebble copy from JetStream (ledger rebuild --from-jetstream)", d.File, d.Reason)
}

// Is reports whether target is ErrCorruptStore.
func (d *StoreDamage) Is(target error) bool { return target == ErrCorruptStore }

// CheckFiles reads every block of every table of the Pebble copy under
// dataDir and checks its checksum, and checks that every table the
// manifest lists is there and that the manifest itself reads. It opens
// Pebble read-only and writes nothing. It returns the damage found, in
// file name order (nil when none); an error only when the copy cannot be
// examined at all.
func CheckFiles(ctx context.Context, dataDir string) ([]StoreDamage, error) {
	dir := PebblePath(dataDir)
	tables, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return nil, err
	}
	slices.Sort(tables)
	var found []StoreDamage
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		if err := checkTable(ctx, t); err != nil {
			found = append(found, StoreDamage{File: t, Reason: err.Error()})
		}
	}
	return append(found, checkManifest(dir)...), nil
}

// checkTable validates the checksum of each block of one table.
func checkTable(ctx context.Context, path string) (err error) {
	defer func() {
		if r := recover(); r != nil { // a table damaged past what the reader expects
			err = fmt.Errorf("unreadable table: %v", r)
		}
	}()
	f, err := vfs.Default.Open(path)
	if err != nil {
		return err
	}
	readable, err := sstable.NewSimpleReadable(f)
	if err != nil {
		_ = f.Close()
		return err
	}
	o := &pebble.Options{}
	o.EnsureDefaults()
	r, err := sstable.NewReader(ctx, readable, o.MakeReaderOptions())
	if err != nil {
		_ = readable.Close()
		return err
	}
	defer r.Close()
	return r.ValidateBlockChecksums()
}

// checkManifest opens the copy read-only and checks that each table its
// manifest lists exists.
func checkManifest(dir string) []StoreDamage {
	db, err := openPebble(dir, nil, true)
	if err != nil {
		file := dir
		if m := pebbleFile.FindStringSubmatch(err.Error()); m != nil {
			file = filepath.Join(dir, m[1]+".sst")
		}
		return []StoreDamage{{File: file, Reason: "the copy does not open: " + err.Error()}}
	}
	defer db.Close()
	levels, err := db.SSTables()
	if err != nil {
		return []StoreDamage{{File: dir, Reason: "manifest: " + err.Error()}}
	}
	var found []StoreDamage
	for _, level := range levels {
		for _, t := range level {
			p := filepath.Join(dir, fmt.Sprintf("%06d.sst", uint64(t.BackingSSTNum)))
			if _, err := os.Stat(p); err != nil {
				found = append(found, StoreDamage{File: p, Reason: "table listed in the manifest is missing"})
			}
		}
	}
	return found
}

// pebbleFile finds the table Pebble names in a corruption error.
var pebbleFile = regexp.MustCompile(`file (\d{6,})\b`)

// AsStoreDamage turns an error of Pebble that reports corruption into a
// *StoreDamage naming the Pebble directory under dataDir (and the file,
// when Pebble names one); other errors are returned as they are.
func AsStoreDamage(err error, dataDir string) error {
	if err == nil || errors.Is(err, ErrCorruptStore) || !pebble.IsCorruptionError(err) {
		return err
	}
	file := PebblePath(dataDir)
	if m := pebbleFile.FindStringSubmatch(err.Error()); m != nil {
		file = filepath.Join(file, m[1]+".sst")
	}
	return &StoreDamage{File: file, Reason: err.Error()}
}

// IsStoreDamage reports whether err is damage of the Pebble copy: a
// *StoreDamage or a corruption error of Pebble itself.
func IsStoreDamage(err error) bool {
	return errors.Is(err, ErrCorruptStore) || pebble.IsCorruptionError(err)
}
