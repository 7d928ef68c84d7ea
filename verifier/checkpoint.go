package verifier

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Errors of verification. Match them with errors.Is.
var (
	// ErrCheckpoint means a checkpoint is malformed, not signed by the
	// expected key, or not in canonical form.
	ErrCheckpoint = errors.New("audit: invalid checkpoint")
	// ErrProof means an inclusion or consistency proof does not verify.
	ErrProof = errors.New("audit: proof does not verify")
	// ErrForged means an event's contents do not match its hash.
	ErrForged = errors.New("audit: forged or broken event")
	// ErrBundle means a bundle does not parse or is not a version 1 bundle.
	ErrBundle = errors.New("audit: invalid bundle")
)

// Verifier is a note verifier that also carries its encoded verifier key
// ("<name>+<hash>+<base64 key>"), so that it can be written into bundles.
type Verifier struct {
	note.Verifier
	Key string
}

// NewVerifier parses an encoded note verifier key.
func NewVerifier(vkey string) (*Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	return &Verifier{Verifier: v, Key: vkey}, nil
}

// Checkpoint is a parsed, verified checkpoint.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	// Note is the signed note, as stored and published.
	Note []byte
}

// MarshalBody returns the C2SP tlog-checkpoint body of a tree: its origin,
// its size in decimal and its root in standard base64, one per line.
func MarshalBody(origin string, size uint64, root []byte) []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
}

// ParseCheckpoint verifies a signed checkpoint note against v and parses
// it. It is strict: the note must carry a valid signature by v, the origin
// must be v's name, the body must be exactly the three lines origin, size,
// base64 root of 32 bytes in canonical form, with no extension lines.
// Signatures by other keys are ignored. Errors wrap ErrCheckpoint.
func ParseCheckpoint(data []byte, v note.Verifier) (Checkpoint, error) {
	if v == nil {
		return Checkpoint{}, fmt.Errorf("%w: no verifier", ErrCheckpoint)
	}
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	origin, size, root, err := parseBody(n.Text)
	switch {
	case err != nil:
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	case origin != v.Name():
		return Checkpoint{}, fmt.Errorf("%w: origin %q, want %q", ErrCheckpoint, origin, v.Name())
	case len(root) != 32:
		return Checkpoint{}, fmt.Errorf("%w: root of %d bytes", ErrCheckpoint, len(root))
	case !bytes.Equal(MarshalBody(origin, size, root), []byte(n.Text)):
		return Checkpoint{}, fmt.Errorf("%w: body is not in canonical form", ErrCheckpoint)
	}
	return Checkpoint{Origin: origin, Size: size, Root: root, Note: bytes.Clone(data)}, nil
}

// parseBody reads the three lines of a checkpoint body; extension lines
// are refused.
func parseBody(text string) (origin string, size uint64, root []byte, err error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || lines[3] != "" {
		if len(lines) > 4 {
			return "", 0, nil, errors.New("extension lines are not accepted")
		}
		return "", 0, nil, errors.New("a checkpoint body is three lines")
	}
	origin = strings.TrimSuffix(lines[0], "\n")
	if origin == "" {
		return "", 0, nil, errors.New("empty origin")
	}
	if size, err = strconv.ParseUint(strings.TrimSuffix(lines[1], "\n"), 10, 64); err != nil {
		return "", 0, nil, fmt.Errorf("size: %w", err)
	}
	if root, err = base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n")); err != nil {
		return "", 0, nil, fmt.Errorf("root: %w", err)
	}
	return origin, size, root, nil
}

// ParseUnverified reads size and root from a note's body without checking
// its signature: only to name what a checkpoint claims, never to trust it.
func ParseUnverified(data []byte) (size uint64, root []byte, ok bool) {
	text, _, found := bytes.Cut(data, []byte("\n\n"))
	if !found {
		return 0, nil, false
	}
	lines := strings.SplitN(string(text), "\n", 4) // extension lines may follow
	if len(lines) < 3 {
		return 0, nil, false
	}
	_, size, root, err := parseBody(strings.Join(lines[:3], "\n") + "\n")
	return size, root, err == nil
}
