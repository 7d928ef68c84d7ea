package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"ledger/eventstore"
)

// BundleFormat names version 1 of the bundle format.
const BundleFormat = "ledger-audit-bundle/v1"

// ErrBundle means a bundle does not parse or is not a version 1 bundle.
var ErrBundle = errors.New("audit: invalid bundle")

// Bundle is a self-contained proof that some events are in the log: each
// event's canonical bytes (from which its hash is recomputed), an
// inclusion proof per event against one signed checkpoint, and the public
// key that signed it. It is checked with VerifyBundle, with no server and
// no data directory.
type Bundle struct {
	Format      string        `json:"format"`
	VerifierKey string        `json:"verifier_key"` // note verifier key of the checkpoint's signer
	Checkpoint  string        `json:"checkpoint"`   // signed note, C2SP tlog-checkpoint
	Events      []BundleEvent `json:"events"`
}

// BundleEvent is one event of a bundle.
type BundleEvent struct {
	Position       uint64   `json:"position"`        // 1-based; the leaf index is Position-1
	Canonical      []byte   `json:"canonical"`       // canonical encoding v1 (base64 in JSON)
	Hash           string   `json:"hash"`            // hex SHA-256 of Canonical
	InclusionProof [][]byte `json:"inclusion_proof"` // RFC 6962, against the checkpoint's root
}

// LogReader reads the global log in order; *eventstore.Store is one.
type LogReader interface {
	ReadLog(ctx context.Context, from uint64, limit int) ([]eventstore.Envelope, error)
}

// ExportOptions configure Export.
type ExportOptions struct {
	// Filter selects the events to bundle; nil selects all.
	Filter func(eventstore.Envelope) bool
	// Verifier is the checkpoint signer's public key, bundled. Required.
	Verifier *Verifier
	// Checkpoint is the signed note to prove against. Default: a fresh one
	// signed with Signer when set, else the latest stored one.
	Checkpoint []byte
	Signer     note.Signer
}

// Export builds a bundle of the events that Filter selects among those the
// checkpoint covers, reading the log in order.
func Export(ctx context.Context, log LogReader, tree *Tree, opts ExportOptions) (*Bundle, error) {
	if opts.Verifier == nil {
		return nil, errors.New("audit: export needs the verifier key")
	}
	n, err := exportCheckpoint(tree, opts)
	if err != nil {
		return nil, err
	}
	cp, err := ParseCheckpoint(n, opts.Verifier)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Format: BundleFormat, VerifierKey: opts.Verifier.Key, Checkpoint: string(n), Events: []BundleEvent{}}
	for from := uint64(1); from <= cp.Size; {
		events, err := log.ReadLog(ctx, from, int(min(cp.Size-from+1, 1024)))
		if err != nil {
			return nil, err
		}
		if len(events) == 0 {
			return nil, fmt.Errorf("audit: export: log ends before position %d", from)
		}
		for _, e := range events {
			if opts.Filter != nil && !opts.Filter(e) {
				continue
			}
			p, err := tree.InclusionProof(e.Position-1, cp.Size)
			if err != nil {
				return nil, err
			}
			b.Events = append(b.Events, BundleEvent{Position: e.Position, Canonical: e.AppendCanonical(nil), Hash: e.Hash.String(), InclusionProof: p})
		}
		from += uint64(len(events))
	}
	return b, nil
}

func exportCheckpoint(tree *Tree, opts ExportOptions) ([]byte, error) {
	switch {
	case opts.Checkpoint != nil:
		return opts.Checkpoint, nil
	case opts.Signer != nil:
		return tree.Checkpoint(opts.Signer)
	}
	return tree.LatestCheckpoint()
}

// Marshal encodes the bundle as indented JSON.
func (b *Bundle) Marshal() ([]byte, error) { return json.MarshalIndent(b, "", "  ") }

// BundleOption adjusts VerifyBundle.
type BundleOption func(*bundleOptions)

type bundleOptions struct{ pinned string }

// PinKey makes VerifyBundle require that the bundle's verifier key is
// vkey, so that a bundle re-signed with another key fails.
func PinKey(vkey string) BundleOption {
	return func(o *bundleOptions) { o.pinned = strings.TrimSpace(vkey) }
}

// ParseBundle decodes a bundle strictly: unknown fields, trailing data and
// other formats are errors wrapping ErrBundle.
func ParseBundle(data []byte) (*Bundle, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the bundle", ErrBundle)
	}
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("%w: format %q", ErrBundle, b.Format)
	}
	return &b, nil
}

// VerifyBundle checks a bundle offline: the checkpoint's signature by the
// bundled key (which must equal a pinned key, if given), and for each
// event its canonical bytes against its hash and its inclusion proof
// against the checkpoint's root. A bundle that does not parse, or whose
// key or checkpoint does not verify, is an error; problems with events are
// in the Report, by position.
func VerifyBundle(data []byte, opts ...BundleOption) (Report, error) {
	var o bundleOptions
	for _, opt := range opts {
		opt(&o)
	}
	b, err := ParseBundle(data)
	if err != nil {
		return Report{}, err
	}
	if o.pinned != "" && strings.TrimSpace(b.VerifierKey) != o.pinned {
		return Report{}, fmt.Errorf("%w: signed with key %q, not the pinned one", ErrCheckpoint, b.VerifierKey)
	}
	v, err := NewVerifier(b.VerifierKey)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	cp, err := ParseCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return Report{}, err
	}
	r := Report{Events: uint64(len(b.Events)), TreeSize: cp.Size, Root: cp.Root, Checkpoints: 1}
	var last uint64
	for i := range b.Events {
		if p := checkBundleEvent(&b.Events[i], last, cp); p != nil {
			r.add(*p)
		}
		last = b.Events[i].Position
	}
	r.finish()
	return r, nil
}

func checkBundleEvent(be *BundleEvent, last uint64, cp Checkpoint) *Problem {
	p := &Problem{Position: be.Position, Source: SourceBundle}
	var e eventstore.Envelope
	if err := eventstore.DecodeCanonical(be.Canonical, &e); err != nil {
		p.What = err.Error()
		return p
	}
	p.Aggregate = e.Aggregate().String()
	h := eventstore.Hash(sha256.Sum256(be.Canonical))
	switch {
	case be.Position <= last:
		p.What = fmt.Sprintf("positions out of order: %d after %d", be.Position, last)
	case be.Position == 0 || be.Position > cp.Size:
		p.What = fmt.Sprintf("position outside the checkpoint's %d events", cp.Size)
	case be.Hash != hex.EncodeToString(h[:]):
		p.What = "hash does not match the canonical bytes"
	default:
		if err := verifyInclusion(be.Position-1, cp, h, be.InclusionProof); err != nil {
			p.What = err.Error()
		} else {
			return nil
		}
	}
	return p
}
