// Package cosig checks the cosignatures that witnesses add to a signed
// checkpoint (C2SP tlog-cosignature, Ed25519 cosignature/v1) against a
// quorum: at least K of a named set of witnesses must have cosigned the
// checkpoint's body. It needs only the signed-note libraries, so that
// anyone checking a receipt or a bundle can import it without the ledger's
// engine.
//
// A cosignature says that, at its timestamp, the witness had verified that
// the checkpoint extends every checkpoint of the same log it cosigned
// before. A checkpoint cosigned by a quorum of independent witnesses was
// therefore shown to them all: a log that shows another history to someone
// else cannot get that one cosigned by the same witnesses.
package cosig

import (
	"errors"
	"fmt"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// ErrQuorum means a checkpoint carries fewer valid cosignatures than the
// quorum asks. The error's text names the witnesses missing.
var ErrQuorum = errors.New("cosig: not enough witness cosignatures (见证人联署不足)")

// ErrPolicy means a witness key or a quorum is malformed.
var ErrPolicy = errors.New("cosig: invalid witness policy")

// Witness is one witness a verifier trusts: its name and its verifier key
// in the cosignature/v1 form ("<name>+<hash>+<base64 0x04||key>"; a plain
// Ed25519 note key, type 0x01, is accepted and read as the same public
// key).
type Witness struct {
	Name string
	Key  string
	v    note.Verifier
}

// ParseWitness parses a witness verifier key.
func ParseWitness(vkey string) (Witness, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return Witness{}, fmt.Errorf("%w: witness key %q: %w", ErrPolicy, vkey, err)
	}
	if k, err := fnote.VKeyToCosignatureV1(vkey); err == nil {
		vkey = k
	}
	return Witness{Name: v.Name(), Key: vkey, v: v}, nil
}

// Verifier is the witness's cosignature verifier.
func (w Witness) Verifier() note.Verifier { return w.v }

// Policy is a set of witnesses and the quorum of them a checkpoint needs.
// The zero Policy asks for nothing.
type Policy struct {
	Witnesses []Witness
	Quorum    int
}

// NewPolicy builds a policy from witness verifier keys. quorum 0 means
// all of them; it must not exceed their number. Two keys of one name are
// an error (a cosignature names its witness).
func NewPolicy(vkeys []string, quorum int) (Policy, error) {
	p := Policy{Quorum: quorum}
	seen := map[string]bool{}
	for _, k := range vkeys {
		w, err := ParseWitness(k)
		if err != nil {
			return Policy{}, err
		}
		if seen[w.Name] {
			return Policy{}, fmt.Errorf("%w: witness %q named twice", ErrPolicy, w.Name)
		}
		seen[w.Name] = true
		p.Witnesses = append(p.Witnesses, w)
	}
	if quorum == 0 {
		p.Quorum = len(p.Witnesses)
	}
	if p.Quorum < 0 || p.Quorum > len(p.Witnesses) {
		return Policy{}, fmt.Errorf("%w: quorum %d of %d witnesses", ErrPolicy, quorum, len(p.Witnesses))
	}
	return p, nil
}

// Cosignature is one witness's valid cosignature on a checkpoint.
type Cosignature struct {
	Witness string    `json:"witness"`
	Time    time.Time `json:"time"`
}

// Result says which of a policy's witnesses cosigned a checkpoint.
type Result struct {
	Quorum   int           `json:"quorum"`
	Of       int           `json:"of"`
	Cosigned []Cosignature `json:"cosigned"`
	Missing  []string      `json:"missing,omitempty"`
}

// Met reports whether the quorum is met.
func (r Result) Met() bool { return len(r.Cosigned) >= r.Quorum }

// Check reads the cosignatures of the policy's witnesses on a signed
// checkpoint note. A witness counts only when its signature line (name
// and key hash) is present and verifies over the note's body; others are
// listed as missing. It does not check the log's own signature (the
// caller does, with the log's key). It returns ErrQuorum, naming the
// missing witnesses, when fewer than Quorum cosigned.
func (p Policy) Check(signed []byte) (Result, error) {
	r := Result{Quorum: p.Quorum, Of: len(p.Witnesses)}
	for _, w := range p.Witnesses {
		n, err := note.Open(signed, note.VerifierList(w.v))
		if err != nil {
			r.Missing = append(r.Missing, w.Name)
			continue
		}
		t, _ := fnote.CoSigV1Timestamp(n.Sigs[0])
		r.Cosigned = append(r.Cosigned, Cosignature{Witness: w.Name, Time: t.UTC()})
	}
	if !r.Met() {
		return r, fmt.Errorf("%w: %d of %d witnesses cosigned, quorum %d; missing: %s",
			ErrQuorum, len(r.Cosigned), len(p.Witnesses), p.Quorum, strings.Join(r.Missing, ", "))
	}
	return r, nil
}

// Has reports whether witness w validly cosigned the signed note.
func (w Witness) Has(signed []byte) bool {
	_, err := note.Open(signed, note.VerifierList(w.v))
	return err == nil
}
