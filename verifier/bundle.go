package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"ledger/envelope"
)

// BundleFormat names version 2 of the bundle format, the one Export
// writes: version 1 plus signed heads, which make it complete.
const BundleFormat = "ledger-audit-bundle/v2"

// BundleFormatV1 names version 1: events with inclusion proofs and no
// heads. It still parses, but cannot prove that no event is missing, so
// VerifyBundle reports that as a problem.
const BundleFormatV1 = "ledger-audit-bundle/v1"

// Bundle is a self-contained proof that the events of a selection (an
// election and its stations) are in the log, and that they are all of
// them: each event's canonical bytes (from which its hash is
// recomputed), an inclusion proof per event against one signed
// checkpoint, the public key that signed it, and the signed heads of
// the selection's aggregates at that checkpoint. VerifyBundle checks it
// with no server and no data directory.
type Bundle struct {
	Format      string        `json:"format"`
	VerifierKey string        `json:"verifier_key"`    // note verifier key of the checkpoint's signer
	Checkpoint  string        `json:"checkpoint"`      // signed note, C2SP tlog-checkpoint
	Heads       string        `json:"heads,omitempty"` // signed note, HeadsHeader (version 2)
	Events      []BundleEvent `json:"events"`
}

// BundleEvent is one event of a bundle.
type BundleEvent struct {
	Position       uint64   `json:"position"`        // 1-based; the leaf index is Position-1
	Canonical      []byte   `json:"canonical"`       // canonical encoding v1 (base64 in JSON)
	Hash           string   `json:"hash"`            // hex SHA-256 of Canonical
	InclusionProof [][]byte `json:"inclusion_proof"` // RFC 6962, against the checkpoint's root
}

// Marshal encodes the bundle as indented JSON.
func (b *Bundle) Marshal() ([]byte, error) { return json.MarshalIndent(b, "", "  ") }

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
	switch {
	case b.Format != BundleFormat && b.Format != BundleFormatV1:
		return nil, fmt.Errorf("%w: format %q", ErrBundle, b.Format)
	case b.Format == BundleFormat && b.Heads == "":
		return nil, fmt.Errorf("%w: a %s bundle without heads", ErrBundle, BundleFormat)
	case b.Format == BundleFormatV1 && b.Heads != "":
		return nil, fmt.Errorf("%w: heads in a %s bundle", ErrBundle, BundleFormatV1)
	}
	return &b, nil
}

// BundleProblem is an event of a bundle that does not verify.
type BundleProblem struct {
	Position  uint64 `json:"position"`
	Aggregate string `json:"aggregate,omitempty"` // kind/id, when the event decodes
	What      string `json:"what"`
}

// BundleResult is what VerifyBundle found: the verified checkpoint, how
// many events the bundle holds, the heads that make it complete, and what
// does not verify (none when the bundle is good): first each event's own
// problems in bundle order, then those of completeness by aggregate. A
// problem of completeness names the missing versions; its Position is the
// event where the gap shows, or the signed head's position when the
// bundle holds no event of the aggregate, or 0 when the bundle has no
// heads at all.
type BundleResult struct {
	Checkpoint Checkpoint
	Events     uint64
	// Heads are the signed heads; their aggregates are proven complete
	// when Problems is empty.
	Heads    Heads
	Problems []BundleProblem
}

// BundleOption adjusts VerifyBundle.
type BundleOption func(*bundleOptions)

type bundleOptions struct{ pinned string }

// PinKey makes VerifyBundle require that the bundle's verifier key is
// vkey, so that a bundle re-signed with another key fails.
func PinKey(vkey string) BundleOption {
	return func(o *bundleOptions) { o.pinned = strings.TrimSpace(vkey) }
}

// VerifyBundle checks a bundle offline: the checkpoint's signature by the
// bundled key (which must equal a pinned key, if given), for each event
// its canonical bytes against its hash and its inclusion proof against the
// checkpoint's root, and completeness: the heads must be signed by the
// same key for the same checkpoint, and for each head the bundle must hold
// its aggregate's every version from 1 to the head, in order, each linked
// to the one before by its previous hash, and no event of another
// aggregate. A bundle that does not parse, or whose key, checkpoint or
// heads signature does not verify, is an error; other problems are in the
// result.
func VerifyBundle(data []byte, opts ...BundleOption) (BundleResult, error) {
	var o bundleOptions
	for _, opt := range opts {
		opt(&o)
	}
	b, err := ParseBundle(data)
	if err != nil {
		return BundleResult{}, err
	}
	if o.pinned != "" && strings.TrimSpace(b.VerifierKey) != o.pinned {
		return BundleResult{}, fmt.Errorf("%w: signed with key %q, not the pinned one", ErrCheckpoint, b.VerifierKey)
	}
	v, err := NewVerifier(b.VerifierKey)
	if err != nil {
		return BundleResult{}, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	cp, err := ParseCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return BundleResult{}, err
	}
	r := BundleResult{Checkpoint: cp, Events: uint64(len(b.Events))}
	var last uint64
	for i := range b.Events {
		if p := checkBundleEvent(&b.Events[i], last, cp); p != nil {
			r.Problems = append(r.Problems, *p)
		}
		last = b.Events[i].Position
	}
	if b.Heads == "" {
		r.Problems = append(r.Problems, BundleProblem{What: "completeness not proven: the bundle has no signed heads (format v1); it shows only that each event it holds is in the log, not that none is missing"})
		return r, nil
	}
	if r.Heads, err = ParseHeads([]byte(b.Heads), v); err != nil {
		return BundleResult{}, err
	}
	r.Problems = append(r.Problems, checkComplete(r.Heads, cp, b, decodeEvents(b))...)
	return r, nil
}

func checkBundleEvent(be *BundleEvent, last uint64, cp Checkpoint) *BundleProblem {
	p := &BundleProblem{Position: be.Position}
	var e envelope.Envelope
	if err := envelope.DecodeCanonical(be.Canonical, &e); err != nil {
		p.What = err.Error()
		return p
	}
	p.Aggregate = e.Aggregate().String()
	h := envelope.Hash(sha256.Sum256(be.Canonical))
	switch {
	case be.Position <= last:
		p.What = fmt.Sprintf("positions out of order: %d after %d", be.Position, last)
	case be.Position == 0 || be.Position > cp.Size:
		p.What = fmt.Sprintf("position outside the checkpoint's %d events", cp.Size)
	case be.Hash != h.String():
		p.What = "hash does not match the canonical bytes"
	default:
		if err := VerifyInclusion(be.Position-1, cp, h, be.InclusionProof); err != nil {
			p.What = err.Error()
		} else {
			return nil
		}
	}
	return p
}
