package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"ledger/eventstore"
	"ledger/verifier"
)

// BundleFormat names version 1 of the bundle format.
const BundleFormat = verifier.BundleFormat

// ErrBundle means a bundle does not parse or is not a version 1 bundle.
var ErrBundle = verifier.ErrBundle

// Bundle is a self-contained proof that some events are in the log
// (verifier.Bundle).
type Bundle = verifier.Bundle

// BundleEvent is one event of a bundle.
type BundleEvent = verifier.BundleEvent

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

// BundleOption adjusts VerifyBundle.
type BundleOption = verifier.BundleOption

// PinKey makes VerifyBundle require that the bundle's verifier key is
// vkey (verifier.PinKey).
func PinKey(vkey string) BundleOption { return verifier.PinKey(vkey) }

// ParseBundle decodes a bundle strictly (verifier.ParseBundle).
func ParseBundle(data []byte) (*Bundle, error) { return verifier.ParseBundle(data) }

// VerifyBundle checks a bundle offline with verifier.VerifyBundle and
// reports as Verify does: a bundle that does not parse, or whose key or
// checkpoint does not verify, is an error; problems with events are in
// the Report, by position.
func VerifyBundle(data []byte, opts ...BundleOption) (Report, error) {
	res, err := verifier.VerifyBundle(data, opts...)
	if err != nil {
		return Report{}, err
	}
	r := Report{Events: res.Events, TreeSize: res.Checkpoint.Size, Root: res.Checkpoint.Root, Checkpoints: 1}
	for _, p := range res.Problems {
		r.add(Problem{Position: p.Position, Source: SourceBundle, Aggregate: p.Aggregate, What: p.What})
	}
	r.finish()
	return r, nil
}
