package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"ledger/verifier"
)

// DefaultOrigin is the checkpoint origin (and key name) when none is set.
const DefaultOrigin = "ledger"

// Key files in a data directory.
const (
	SignerKeyFile   = "checkpoint.key" // note signer key, mode 0600
	VerifierKeyFile = "checkpoint.pub" // note verifier key, safe to publish
)

// Errors of checkpoints. Match them with errors.Is.
var (
	// ErrCheckpoint means a checkpoint is malformed, not signed by the
	// expected key, or not in canonical form (verifier.ErrCheckpoint).
	ErrCheckpoint = verifier.ErrCheckpoint
	// ErrNoCheckpoint means no stored checkpoint covers what was asked.
	ErrNoCheckpoint = errors.New("audit: no checkpoint")
)

// Verifier is a note verifier with its encoded key (verifier.Verifier).
type Verifier = verifier.Verifier

// NewVerifier parses an encoded note verifier key.
func NewVerifier(vkey string) (*Verifier, error) { return verifier.NewVerifier(vkey) }

// LoadOrCreateKey returns the checkpoint signing key kept in dir. At first
// start it generates an Ed25519 note key named origin (DefaultOrigin when
// empty), writes the signer key to dir/checkpoint.key with mode 0600 and
// the verifier key to dir/checkpoint.pub. A stored key with another name
// is an error.
func LoadOrCreateKey(dir, origin string) (note.Signer, *Verifier, error) {
	if origin == "" {
		origin = DefaultOrigin
	}
	skeyPath := filepath.Join(dir, SignerKeyFile)
	skey, err := os.ReadFile(skeyPath)
	if errors.Is(err, os.ErrNotExist) {
		skey, err = createKey(dir, origin)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("audit: checkpoint key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: checkpoint key %s: %w", skeyPath, err)
	}
	if signer.Name() != origin {
		return nil, nil, fmt.Errorf("audit: checkpoint key %s is named %q, want %q", skeyPath, signer.Name(), origin)
	}
	vkey, err := os.ReadFile(filepath.Join(dir, VerifierKeyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: checkpoint verifier key: %w", err)
	}
	v, err := NewVerifier(string(vkey))
	if err != nil {
		return nil, nil, err
	}
	if v.KeyHash() != signer.KeyHash() || v.Name() != signer.Name() {
		return nil, nil, fmt.Errorf("audit: %s does not match %s", VerifierKeyFile, SignerKeyFile)
	}
	return signer, v, nil
}

// LoadKey returns the checkpoint signing key kept in dir, checked against
// its verifier key, and creates nothing: for read-only commands that sign
// statements about the log (the heads of a bundle) but never the log.
// ErrNoKey when dir holds no signing key.
func LoadKey(dir string) (note.Signer, error) {
	skey, err := os.ReadFile(filepath.Join(dir, SignerKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoKey, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint key: %w", err)
	}
	return signer, nil
}

// ErrNoKey means a data directory holds no checkpoint signing key.
var ErrNoKey = errors.New("audit: no checkpoint signing key")

func createKey(dir, origin string) ([]byte, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, SignerKeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(skey + "\n")
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, VerifierKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, err
	}
	return []byte(skey), nil
}

// Checkpoint is a parsed, verified checkpoint (verifier.Checkpoint).
type Checkpoint = verifier.Checkpoint

// SignCheckpoint signs a C2SP tlog-checkpoint body (origin = the signer's
// name, size, base64 root) as a signed note.
func SignCheckpoint(signer note.Signer, size uint64, root []byte) ([]byte, error) {
	body := tlog.Checkpoint{Origin: signer.Name(), Size: size, Hash: root}.Marshal()
	n, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		return nil, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return n, nil
}

// ParseCheckpoint verifies a signed checkpoint note against v and parses
// it, strictly (verifier.ParseCheckpoint). Errors wrap ErrCheckpoint.
func ParseCheckpoint(data []byte, v note.Verifier) (Checkpoint, error) {
	return verifier.ParseCheckpoint(data, v)
}

// Checkpoint signs the tree's current size and root.
func (t *Tree) Checkpoint(signer note.Signer) ([]byte, error) {
	return t.CheckpointAt(signer, t.Size())
}

// CheckpointAt signs the tree's root at size, any size up to Size().
func (t *Tree) CheckpointAt(signer note.Signer, size uint64) ([]byte, error) {
	root, err := t.Root(size)
	if err != nil {
		return nil, err
	}
	return SignCheckpoint(signer, size, root)
}

// Stored checkpoints: 'x' size(8, big-endian) root(32) -> signed note. Two
// notes of one size with different roots (a fork) are both kept.
const prefixCheckpoint = 'x'

func checkpointKey(size uint64, root []byte) []byte {
	k := make([]byte, 0, 9+len(root))
	k = append(k, prefixCheckpoint)
	k = binary.BigEndian.AppendUint64(k, size)
	return append(k, root...)
}

// StoreCheckpoint records a signed checkpoint note durably (pebble.Sync).
// It does not verify the note: verification checks stored notes.
func StoreCheckpoint(db *pebble.DB, data []byte) error {
	size, root, ok := verifier.ParseUnverified(data)
	if !ok {
		return fmt.Errorf("%w: malformed note", ErrCheckpoint)
	}
	if err := db.Set(checkpointKey(size, root), data, pebble.Sync); err != nil {
		return fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return nil
}

// CopyCheckpoints stores in db every checkpoint note of from that carries
// a valid signature by v, in one synced batch, and reports how many it
// stored and how many it left (malformed, or not signed by v). The signed
// checkpoints live in Pebble only: a rebuild from JetStream uses this to
// keep those the node handed out, and verify then checks them against the
// rebuilt log like any stored checkpoint.
func CopyCheckpoints(ctx context.Context, from pebble.Reader, db *pebble.DB, v note.Verifier) (kept, left int, err error) {
	stored, err := Checkpoints(ctx, from)
	if err != nil {
		return 0, 0, err
	}
	b := db.NewBatch()
	defer b.Close()
	for _, c := range stored {
		cp, err := ParseCheckpoint(c.Note, v)
		if err != nil {
			left++
			continue
		}
		if err := b.Set(checkpointKey(cp.Size, cp.Root), c.Note, nil); err != nil {
			return 0, 0, err
		}
		kept++
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, 0, fmt.Errorf("audit: store checkpoints: %w", err)
	}
	return kept, left, nil
}

// StoredCheckpoint is a checkpoint note as stored, with the size and root
// its key claims (not verified).
type StoredCheckpoint struct {
	Size uint64
	Root []byte
	Note []byte
}

// Checkpoints returns every stored checkpoint note in size order.
func Checkpoints(ctx context.Context, db pebble.Reader) ([]StoredCheckpoint, error) {
	it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixCheckpoint}, UpperBound: []byte{prefixCheckpoint + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []StoredCheckpoint
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 9 {
			continue
		}
		out = append(out, StoredCheckpoint{
			Size: binary.BigEndian.Uint64(k[1:9]), Root: bytes.Clone(k[9:]), Note: bytes.Clone(it.Value()),
		})
	}
	return out, it.Error()
}

// LatestCheckpoint returns the stored checkpoint note of the largest size,
// or ErrNoCheckpoint.
func LatestCheckpoint(db *pebble.DB) ([]byte, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixCheckpoint}, UpperBound: []byte{prefixCheckpoint + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, errors.Join(ErrNoCheckpoint, it.Error())
	}
	return bytes.Clone(it.Value()), nil
}

// Checkpoints returns every checkpoint stored in the tree's database.
func (t *Tree) Checkpoints(ctx context.Context) ([]StoredCheckpoint, error) {
	db, err := t.reader()
	if err != nil {
		return nil, err
	}
	return Checkpoints(ctx, db)
}

// LatestCheckpoint returns the latest stored checkpoint note, or
// ErrNoCheckpoint.
func (t *Tree) LatestCheckpoint() ([]byte, error) {
	db, err := t.reader()
	if err != nil {
		return nil, err
	}
	return LatestCheckpoint(db)
}

// StoreCheckpoint records a signed checkpoint note in the tree's database.
func (t *Tree) StoreCheckpoint(data []byte) error {
	db, err := t.reader()
	if err != nil {
		return err
	}
	return StoreCheckpoint(db, data)
}
