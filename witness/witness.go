// Package witness is a transparency log witness speaking C2SP
// tlog-witness: logs submit each new signed checkpoint with a consistency
// proof from the last checkpoint the witness cosigned for them, and the
// witness answers with an Ed25519 cosignature (C2SP tlog-cosignature,
// cosignature/v1, timestamped) only if the new checkpoint extends that
// one. It keeps, per log, only the latest checkpoint it cosigned, durably,
// one file per log.
//
// A witness run by a party independent of the log's operator is what keeps
// the operator from rewriting history or showing two histories: see
// docs/operations.md ("Witnesses").
//
//	key, err := witness.LoadOrCreateKey(dir, "witness.example/county")
//	w, err := witness.New(witness.Config{Dir: dir, Key: key, Logs: []string{logVerifierKey}})
//	http.ListenAndServe(addr, w.Handler())
package witness

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	tlog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Config configures a Witness.
type Config struct {
	// Dir holds the state files (and usually the key). Required.
	Dir string
	// Key signs the cosignatures. Required.
	Key Key
	// Logs are the verifier keys of the logs this witness cosigns
	// ("<name>+<hash>+<base64 key>", as "ledger audit key" prints); a
	// key's name is the log's checkpoint origin. Several keys may share
	// one origin.
	Logs []string
	// Logger receives one line per refused or accepted checkpoint.
	// Default: discard.
	Logger *slog.Logger
}

// Witness checks and cosigns checkpoints. Its methods are safe for
// concurrent use; checking a request against the stored checkpoint and
// replacing it happen under one lock, so two requests can never roll a
// log back.
type Witness struct {
	key    Key
	logs   map[string][]note.Verifier // origin -> trusted keys
	byHash map[string]string          // OriginHash -> origin
	files  stateFiles
	log    *slog.Logger
	mu     sync.Mutex
}

// New returns a Witness for cfg.
func New(cfg Config) (*Witness, error) {
	if cfg.Dir == "" || cfg.Key.Signer == nil {
		return nil, errors.New("witness: a data directory and a key are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Witness{key: cfg.Key, logs: map[string][]note.Verifier{}, byHash: map[string]string{},
		files: stateFiles{dir: cfg.Dir}, log: cfg.Logger}
	for _, k := range cfg.Logs {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("witness: log key %q: %w", k, err)
		}
		w.logs[v.Name()] = append(w.logs[v.Name()], v)
		w.byHash[OriginHash(v.Name())] = v.Name()
	}
	if len(w.logs) == 0 {
		return nil, errors.New("witness: no log configured (--log NAME+KEY)")
	}
	return w, nil
}

// Error is a refusal of add-checkpoint with its HTTP status: 400
// malformed, 403 not signed by a trusted key of the origin, 404 unknown
// origin, 409 old size is not the size the witness holds (Size), 422 not
// consistent with what the witness holds.
type Error struct {
	Status int
	Size   uint64 // the witness's known size, on 409
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("witness: %d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// emptyRoot is the RFC 6962 root of the empty tree: SHA-256 of "".
var emptyRoot = sha256.Sum256(nil)

// AddCheckpoint checks req as tlog-witness's add-checkpoint specifies
// and, when every check passes, persists the checkpoint as this log's
// latest (fsynced) and returns the witness's cosignature lines. A refusal
// is an *Error; any other error is the witness's own failure (500).
func (w *Witness) AddCheckpoint(req Request) ([]byte, error) {
	origin, _, _ := bytes.Cut(req.Checkpoint, []byte("\n"))
	vs, ok := w.logs[string(origin)]
	if !ok {
		return nil, refuse(http.StatusNotFound, "unknown log origin %q", origin)
	}
	n, err := note.Open(req.Checkpoint, note.VerifierList(vs...))
	if err != nil {
		return nil, refuse(http.StatusForbidden, "checkpoint of %q is not signed by a trusted key: %v", origin, err)
	}
	var cp tlog.Checkpoint
	if _, err := cp.Unmarshal([]byte(n.Text)); err != nil || len(cp.Hash) != sha256.Size {
		return nil, refuse(http.StatusBadRequest, "malformed checkpoint body: %v", err)
	}
	if req.OldSize > cp.Size {
		return nil, refuse(http.StatusBadRequest, "old size %d is larger than the checkpoint's %d", req.OldSize, cp.Size)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	known, err := w.known(cp.Origin)
	if err != nil {
		return nil, err
	}
	if err := w.check(req, cp, known); err != nil {
		w.log.Warn("checkpoint refused", "origin", cp.Origin, "old", req.OldSize, "size", cp.Size, "known", known.Size, "status", err.Status, "reason", err.Reason)
		return nil, err
	}
	return w.cosign(n, cp)
}

// known is the latest checkpoint cosigned for origin (size 0 if none).
func (w *Witness) known(origin string) (tlog.Checkpoint, error) {
	stored, err := w.files.load(origin)
	if err != nil || stored == nil {
		return tlog.Checkpoint{}, err
	}
	text, _, _ := bytes.Cut(stored, []byte("\n\n"))
	var cp tlog.Checkpoint
	if _, err := cp.Unmarshal(append(text, '\n')); err != nil {
		return cp, fmt.Errorf("witness: stored state of %q is corrupt: %w", origin, err)
	}
	return cp, nil
}

func (w *Witness) check(req Request, cp, known tlog.Checkpoint) *Error {
	switch {
	case req.OldSize != known.Size:
		return &Error{Status: http.StatusConflict, Size: known.Size,
			Reason: fmt.Sprintf("old size %d, but the latest checkpoint cosigned is of size %d", req.OldSize, known.Size)}
	case cp.Size == 0 && !bytes.Equal(cp.Hash, emptyRoot[:]):
		return refuse(http.StatusUnprocessableEntity, "a checkpoint of size 0 must have the empty tree's root")
	case req.OldSize == 0 && len(req.Proof) != 0:
		return refuse(http.StatusUnprocessableEntity, "old size 0 takes no consistency proof")
	case req.OldSize == 0:
		return nil
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, req.OldSize, cp.Size, req.Proof, known.Hash, cp.Hash); err != nil {
		return refuse(http.StatusUnprocessableEntity, "checkpoint of size %d is not consistent with the one of size %d cosigned: %v", cp.Size, known.Size, err)
	}
	return nil
}

// cosign signs n's body, stores the checkpoint with the log's verified
// signatures and the cosignature, and returns the cosignature line.
func (w *Witness) cosign(n *note.Note, cp tlog.Checkpoint) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs}, w.key.Signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	if err := w.files.store(cp.Origin, signed); err != nil {
		return nil, err
	}
	w.log.Info("checkpoint cosigned", "origin", cp.Origin, "size", cp.Size)
	trimmed := bytes.TrimSuffix(signed, []byte("\n"))
	return signed[bytes.LastIndexByte(trimmed, '\n')+1:], nil
}

// Latest returns the latest checkpoint cosigned for the log whose
// OriginHash is originHash, with the log's signature and the
// cosignature; nil when there is none.
func (w *Witness) Latest(originHash string) ([]byte, error) {
	origin, ok := w.byHash[originHash]
	if !ok {
		return nil, nil
	}
	return w.files.load(origin)
}

// VerifierKey is the key others use to check this witness's cosignatures.
func (w *Witness) VerifierKey() string { return w.key.VerifierKey }
