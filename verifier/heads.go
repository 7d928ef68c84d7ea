package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"ledger/envelope"
)

// HeadsHeader is the first line of a heads statement, version 1.
const HeadsHeader = "ledger-bundle-heads/v1"

// Head is the last event of one aggregate at a checkpoint: its version
// (the aggregate's chain runs from version 1 to it), its log position and
// its hash.
type Head struct {
	Aggregate string // "kind/id"
	Version   uint64
	Position  uint64
	Hash      envelope.Hash
}

// Heads is the statement that makes a bundle complete: for the checkpoint
// of size Size and root Root, the aggregates the selection covers, each
// with its head. It is signed with the checkpoint's key, so that whoever
// signed the checkpoint also says that these are all the aggregates of the
// selection and that no event of them exists between their head and the
// checkpoint.
type Heads struct {
	Origin    string
	Size      uint64
	Root      []byte
	Selection string // what the bundle covers, in words, one line
	Heads     []Head // sorted by Aggregate, each once
}

// MarshalHeads returns the body of a heads statement: HeadsHeader, the
// origin, the size in decimal, the root in standard base64, the selection,
// the number of heads, then one line per head "kind/id version position
// hash" (hash in lower-case hex), sorted by aggregate. It refuses names
// or a selection that would not stay on one line or one field.
func MarshalHeads(h Heads) ([]byte, error) {
	if strings.ContainsAny(h.Selection, "\n") || strings.ContainsAny(h.Origin, "\n") {
		return nil, fmt.Errorf("%w: heads: a line break in the origin or selection", ErrBundle)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%s\n%d\n%s\n%s\n%d\n", HeadsHeader, h.Origin, h.Size, base64.StdEncoding.EncodeToString(h.Root), h.Selection, len(h.Heads))
	for i, hd := range h.Heads {
		if hd.Aggregate == "" || strings.ContainsAny(hd.Aggregate, " \t\n") {
			return nil, fmt.Errorf("%w: heads: aggregate name %q", ErrBundle, hd.Aggregate)
		}
		if i > 0 && h.Heads[i-1].Aggregate >= hd.Aggregate {
			return nil, fmt.Errorf("%w: heads not sorted or repeated at %s", ErrBundle, hd.Aggregate)
		}
		fmt.Fprintf(&b, "%s %d %d %s\n", hd.Aggregate, hd.Version, hd.Position, hd.Hash)
	}
	return b.Bytes(), nil
}

// SignHeads signs a heads statement as a signed note.
func SignHeads(signer note.Signer, h Heads) ([]byte, error) {
	body, err := MarshalHeads(h)
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: string(body)}, signer)
}

// ParseHeads verifies a signed heads statement against v and parses it
// strictly: the body must re-marshal to exactly the signed text. Errors
// wrap ErrBundle.
func ParseHeads(data []byte, v note.Verifier) (Heads, error) {
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		return Heads{}, fmt.Errorf("%w: heads: %w", ErrBundle, err)
	}
	h, err := parseHeadsBody(n.Text)
	if err != nil {
		return Heads{}, fmt.Errorf("%w: heads: %w", ErrBundle, err)
	}
	if body, err := MarshalHeads(h); err != nil || string(body) != n.Text {
		return Heads{}, fmt.Errorf("%w: heads are not in canonical form", ErrBundle)
	}
	return h, nil
}

func parseHeadsBody(text string) (Heads, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 6 || lines[0] != HeadsHeader {
		return Heads{}, errors.New("not a " + HeadsHeader + " statement")
	}
	h := Heads{Origin: lines[1], Selection: lines[4]}
	var err error
	if h.Size, err = strconv.ParseUint(lines[2], 10, 64); err != nil {
		return Heads{}, fmt.Errorf("size: %w", err)
	}
	if h.Root, err = base64.StdEncoding.DecodeString(lines[3]); err != nil {
		return Heads{}, fmt.Errorf("root: %w", err)
	}
	count, err := strconv.Atoi(lines[5])
	if err != nil || count != len(lines)-6 {
		return Heads{}, fmt.Errorf("count %q does not match %d head lines", lines[5], len(lines)-6)
	}
	for _, line := range lines[6:] {
		hd, err := parseHead(line)
		if err != nil {
			return Heads{}, err
		}
		h.Heads = append(h.Heads, hd)
	}
	return h, nil
}

func parseHead(line string) (Head, error) {
	f := strings.Split(line, " ")
	if len(f) != 4 {
		return Head{}, fmt.Errorf("head line %q", line)
	}
	v, err1 := strconv.ParseUint(f[1], 10, 64)
	p, err2 := strconv.ParseUint(f[2], 10, 64)
	h, err3 := envelope.ParseHash(f[3])
	if err := errors.Join(err1, err2, err3); err != nil || v == 0 || p == 0 {
		return Head{}, fmt.Errorf("head line %q: %v", line, err)
	}
	return Head{Aggregate: f[0], Version: v, Position: p, Hash: h}, nil
}

// checkComplete checks that the bundle's events are, for each head, the
// whole chain of its aggregate from version 1 to the head, and that the
// bundle holds no event of another aggregate. events are the bundle's
// decoded events in bundle order (nil where one does not decode).
func checkComplete(hs Heads, cp Checkpoint, b *Bundle, events []*envelope.Envelope) []BundleProblem {
	var probs []BundleProblem
	if hs.Origin != cp.Origin || hs.Size != cp.Size || !bytes.Equal(hs.Root, cp.Root) {
		return []BundleProblem{{What: fmt.Sprintf("completeness not proven: the heads are for size %d, the checkpoint is of size %d or another root", hs.Size, cp.Size)}}
	}
	chains := map[string][]int{}
	for i, e := range events {
		if e == nil {
			continue
		}
		agg := e.Aggregate().String()
		if _, ok := slices.BinarySearchFunc(hs.Heads, agg, func(h Head, a string) int { return strings.Compare(h.Aggregate, a) }); !ok {
			probs = append(probs, BundleProblem{Position: b.Events[i].Position, Aggregate: agg, What: "aggregate not among the bundle's signed heads"})
			continue
		}
		chains[agg] = append(chains[agg], i)
	}
	for _, hd := range hs.Heads {
		probs = append(probs, checkChain(hd, b, events, chains[hd.Aggregate])...)
	}
	return probs
}

// checkChain walks one aggregate's events in bundle order: versions 1, 2,
// ... each linked to the previous by its PrevHash, ending at the head.
func checkChain(hd Head, b *Bundle, events []*envelope.Envelope, idx []int) []BundleProblem {
	var probs []BundleProblem
	bad := func(pos uint64, format string, args ...any) {
		probs = append(probs, BundleProblem{Position: pos, Aggregate: hd.Aggregate, What: fmt.Sprintf(format, args...)})
	}
	var want uint64 = 1
	var prev envelope.Hash
	var last *BundleEvent
	for _, i := range idx {
		e, be := events[i], &b.Events[i]
		switch {
		case e.Version < want:
			bad(be.Position, "version %d again (duplicate or out of order)", e.Version)
			continue
		case e.Version > want:
			bad(be.Position, "%s missing before version %d", versions(want, e.Version-1), e.Version)
		case e.PrevHash != prev:
			bad(be.Position, "version %d does not follow the bundle's version %d (previous hash differs)", e.Version, want-1)
		}
		prev, want, last = statedHash(be), e.Version+1, be
	}
	switch {
	case last == nil:
		bad(hd.Position, "no event in the bundle; %s missing", versions(1, hd.Version))
	case want-1 < hd.Version:
		bad(hd.Position, "%s missing: the head at the checkpoint is version %d", versions(want, hd.Version), hd.Version)
	case want-1 > hd.Version:
		bad(last.Position, "version %d is past the signed head version %d", want-1, hd.Version)
	case last.Position != hd.Position || prev != hd.Hash:
		bad(last.Position, "the last event is not the signed head (position %d)", hd.Position)
	}
	return probs
}

// statedHash is the hash a bundle event states, or that of its bytes when
// the stated one does not parse; a mismatch between the two is the event's
// own problem, so the chain goes on from the stated one.
func statedHash(be *BundleEvent) envelope.Hash {
	h, err := envelope.ParseHash(be.Hash)
	if err != nil {
		return sha256.Sum256(be.Canonical)
	}
	return h
}

func versions(from, to uint64) string {
	if from == to {
		return "version " + strconv.FormatUint(from, 10)
	}
	return fmt.Sprintf("versions %d-%d", from, to)
}

// decodeEvents decodes each bundle event, nil where one does not decode.
func decodeEvents(b *Bundle) []*envelope.Envelope {
	out := make([]*envelope.Envelope, len(b.Events))
	for i := range b.Events {
		var e envelope.Envelope
		if envelope.DecodeCanonical(b.Events[i].Canonical, &e) == nil {
			out[i] = &e
		}
	}
	return out
}
