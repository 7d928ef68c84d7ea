package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/mod/sumdb/note"

	"ledger/eventstore"
	"ledger/verifier"
)

// BundleFormat names the bundle format Export writes (verifier.BundleFormat).
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
	// HeadsSigner signs the bundle's heads: the checkpoint's signing key
	// (its name and key must match Verifier). Required: without heads a
	// bundle cannot prove that it is complete.
	HeadsSigner note.Signer
	// Selection says in one line what Filter selects ("election ID and
	// its stations"); it is signed into the heads.
	Selection string
}

// Export builds a bundle of the events that Filter selects among those the
// checkpoint covers, reading the log in order, and signs their heads: for
// each aggregate with a selected event, its last selected event at the
// checkpoint. Filter must select whole aggregates (every event of an
// aggregate or none), or the heads claim less than the log holds and the
// bundle fails verification.
func Export(ctx context.Context, log LogReader, tree *Tree, opts ExportOptions) (*Bundle, error) {
	switch {
	case opts.Verifier == nil:
		return nil, errors.New("audit: export needs the verifier key")
	case opts.HeadsSigner == nil:
		return nil, errors.New("audit: export needs the checkpoint signing key to sign the bundle's heads")
	case opts.HeadsSigner.Name() != opts.Verifier.Name() || opts.HeadsSigner.KeyHash() != opts.Verifier.KeyHash():
		return nil, errors.New("audit: export: the heads signer is not the checkpoint verifier's key")
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
	heads := map[string]verifier.Head{}
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
			agg := e.Aggregate().String()
			heads[agg] = verifier.Head{Aggregate: agg, Version: e.Version, Position: e.Position, Hash: e.Hash}
		}
		from += uint64(len(events))
	}
	if b.Heads, err = signHeads(opts, cp, heads); err != nil {
		return nil, err
	}
	return b, nil
}

func signHeads(opts ExportOptions, cp Checkpoint, heads map[string]verifier.Head) (string, error) {
	hs := verifier.Heads{Origin: cp.Origin, Size: cp.Size, Root: cp.Root, Selection: opts.Selection}
	for _, k := range slices.Sorted(maps.Keys(heads)) {
		hs.Heads = append(hs.Heads, heads[k])
	}
	signed, err := verifier.SignHeads(opts.HeadsSigner, hs)
	if err != nil {
		return "", fmt.Errorf("audit: export: %w", err)
	}
	return string(signed), nil
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
// reports as Verify does: a bundle that does not parse, or whose key,
// checkpoint or heads do not verify, is an error; problems with events
// and with completeness are in the Report, by position (0 for a bundle
// without heads). An intact report lists the aggregates proven complete.
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
	if r.Intact {
		r.Selection = res.Heads.Selection
		for _, h := range res.Heads.Heads {
			r.Complete = append(r.Complete, h.Aggregate)
		}
	}
	return r, nil
}
