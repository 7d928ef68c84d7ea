package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"ledger/eventstore"
	"ledger/verifier"
)

// Sources of a Problem.
const (
	SourceJetStream  = "jetstream"
	SourcePebble     = "pebble"
	SourceTree       = "tree"
	SourceCheckpoint = "checkpoint"
	SourceBundle     = "bundle"
)

// Problem is one thing verification found wrong.
type Problem struct {
	// Position is the first log position (1-based) the problem concerns:
	// the event that differs or is missing, or a checkpoint's size.
	Position uint64 `json:"position"`
	// Aggregate is "kind/id" of the event at Position, when known.
	Aggregate string `json:"aggregate,omitempty"`
	// Source is where the problem was seen: "jetstream", "pebble",
	// "tree", "checkpoint" or "bundle".
	Source string `json:"source"`
	// What says what differs, in words.
	What string `json:"what"`
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s: position %d", p.Source, p.Position)
	if p.Aggregate != "" {
		s += " (" + p.Aggregate + ")"
	}
	return s + ": " + p.What
}

// SourceReport is what one copy of the log showed.
type SourceReport struct {
	Checked bool   `json:"checked"`
	Events  uint64 `json:"events"` // events checked before the first problem, if any
	Root    []byte `json:"root,omitempty"`
}

// Report is the result of a verification.
type Report struct {
	// Intact is true when nothing was found wrong.
	Intact bool `json:"intact"`
	// Events is the number of events verified (the tree's size, or the
	// number of events in a bundle).
	Events    uint64       `json:"events"`
	TreeSize  uint64       `json:"tree_size"`
	Root      []byte       `json:"root,omitempty"`
	Pebble    SourceReport `json:"pebble"`
	JetStream SourceReport `json:"jetstream"`
	// Checkpoints is the number of checkpoints whose signature verified.
	Checkpoints int `json:"checkpoints"`
	// FirstBad is the problem at the lowest position, nil when intact.
	FirstBad *Problem `json:"first_bad,omitempty"`
	// Problems lists the first problem each check found, by position.
	Problems []Problem `json:"problems,omitempty"`
	// Repairs lists the start-up repairs recorded in Pebble: stream
	// messages put back from Pebble's log. They are not problems (the
	// copies agree again) but acts on the record an inspection must see.
	Repairs []eventstore.Repair `json:"repairs,omitempty"`
	// Complete lists, for a bundle, the aggregates whose every event from
	// version 1 to their signed head at the checkpoint the bundle holds;
	// empty for a bundle that cannot prove it (see Problems) and for Verify.
	Complete []string `json:"complete,omitempty"`
	// Selection is what a bundle's heads say it covers.
	Selection string `json:"selection,omitempty"`
}

func (r *Report) add(p Problem) { r.Problems = append(r.Problems, p) }

func (r *Report) finish() {
	order := map[string]int{SourcePebble: 0, SourceJetStream: 1, SourceTree: 2, SourceCheckpoint: 3}
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return order[a.Source] < order[b.Source]
	})
	r.Intact = len(r.Problems) == 0
	r.FirstBad = nil
	if !r.Intact {
		r.FirstBad = &r.Problems[0]
	}
}

// Progress reports how far a verification has come.
type Progress struct {
	Source string // "pebble" or "jetstream"
	Done   uint64 // events checked
	Total  uint64 // events expected (the tree's size)
}

// VerifyOptions configure Verify. The zero value of every optional field
// means its default.
type VerifyOptions struct {
	// Store supplies DB, JetStream, Stream and SubjectPrefix unless those
	// are set.
	Store         *eventstore.Store
	DB            *pebble.DB
	JetStream     jetstream.JetStream
	Stream        string
	SubjectPrefix string
	// Verifier checks checkpoint signatures. Without it every checkpoint
	// is reported as unverifiable.
	Verifier note.Verifier
	// Checkpoints are more checkpoint notes to check (from witnesses or
	// other nodes), as if they were stored.
	Checkpoints [][]byte
	// SkipJetStream and SkipPebble leave out one copy of the log.
	SkipJetStream, SkipPebble bool
	// Progress, when set, is called every ProgressEvery events of each
	// source (default 65,536) and once at each source's end. Calls are
	// serialized.
	Progress      func(Progress)
	ProgressEvery uint64
}

func (o *VerifyOptions) setDefaults() error {
	if s := o.Store; s != nil {
		o.DB = cmpOr(o.DB, s.DB())
		if o.JetStream == nil {
			o.JetStream = s.JetStream()
		}
		o.Stream = cmpOr(o.Stream, s.StreamName())
		o.SubjectPrefix = cmpOr(o.SubjectPrefix, s.SubjectPrefix())
	}
	if o.DB == nil {
		return errors.New("audit: verify needs a store or a Pebble database")
	}
	if o.JetStream == nil || o.Stream == "" {
		o.SkipJetStream = true
	}
	o.SubjectPrefix = cmpOr(o.SubjectPrefix, "ledger.ev")
	if o.ProgressEvery == 0 {
		o.ProgressEvery = 1 << 16
	}
	if o.Progress != nil {
		var mu sync.Mutex
		fn := o.Progress
		o.Progress = func(p Progress) { mu.Lock(); defer mu.Unlock(); fn(p) }
	}
	return nil
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// Verify recomputes the hash chains and the Merkle tree from JetStream
// (every message from sequence 1, decoded and numbered in order) and from
// Pebble's copy of the log, independently and concurrently; compares each
// recomputed node of 16 leaves and up with the stored one (where one
// differs, the events under it one by one: JetStream's with the tree's
// leaves, the hashes stored with Pebble's events, and Pebble's with
// JetStream's), each copy's root with the stored tree's root, and both
// with every checkpoint; and checks every
// checkpoint's signature and that checkpoints are consistent with each
// other (no fork). Pebble is read from one snapshot; JetStream may hold
// events that ingest has not reached yet, which are checked but not
// compared.
//
// The error is for failures to read at all (I/O, ctx); anything found
// wrong is in the Report.
func Verify(ctx context.Context, opts VerifyOptions) (Report, error) {
	if err := opts.setDefaults(); err != nil {
		return Report{}, err
	}
	snap := opts.DB.NewSnapshot()
	defer snap.Close()
	v := &verification{opts: opts, snap: snap}
	return v.run(ctx)
}

type verification struct {
	opts   VerifyOptions
	snap   *pebble.Snapshot
	report Report
	cps    []StoredCheckpoint
	sizes  map[uint64]bool // sizes whose roots the passes record
}

func (v *verification) run(ctx context.Context) (Report, error) {
	size, err := readSize(v.snap)
	if err != nil {
		return Report{}, err
	}
	v.report.TreeSize = size
	v.report.Events = size
	if v.report.Repairs, err = eventstore.ReadRepairs(v.snap); err != nil {
		return Report{}, err
	}
	if v.cps, err = v.loadCheckpoints(ctx); err != nil {
		return Report{}, err
	}
	v.sizes = map[uint64]bool{size: true}
	for _, c := range v.cps {
		v.sizes[c.Size] = true
	}
	treeRoot, err := rootFrom(v.snap, size)
	if err != nil {
		v.report.add(Problem{Position: size, Source: SourceTree, What: err.Error()})
	}
	v.report.Root = treeRoot
	checks, err := v.runPasses(ctx, size)
	if err != nil {
		return Report{}, err
	}
	v.localizeInPebble(ctx, checks)
	v.compareSources(checks, size, treeRoot)
	v.checkCheckpoints(checks, size)
	v.report.finish()
	return v.report, nil
}

// loadCheckpoints returns the stored checkpoints and the extra ones.
func (v *verification) loadCheckpoints(ctx context.Context) ([]StoredCheckpoint, error) {
	cps, err := Checkpoints(ctx, v.snap)
	if err != nil {
		return nil, err
	}
	for _, n := range v.opts.Checkpoints {
		size, root, _ := verifier.ParseUnverified(n)
		cps = append(cps, StoredCheckpoint{Size: size, Root: root, Note: n})
	}
	return cps, nil
}

func rootFrom(r pebble.Reader, size uint64) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	hashes, err := readNodes(r, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	rng, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return rng.GetRootHash(nil)
}

// runPasses runs the Pebble and JetStream passes concurrently.
func (v *verification) runPasses(ctx context.Context, size uint64) (map[string]*sourceCheck, error) {
	checks := map[string]*sourceCheck{}
	if !v.opts.SkipPebble {
		checks[SourcePebble] = v.newCheck(SourcePebble, size)
	}
	if !v.opts.SkipJetStream {
		checks[SourceJetStream] = v.newCheck(SourceJetStream, size)
	}
	errs := make(chan error, 2)
	for name, c := range checks {
		go func() {
			scan := v.scanJetStream
			if name == SourcePebble {
				scan = v.scanPebble
			}
			err := scan(ctx, c)
			c.nodes.close() // before the snapshot closes
			errs <- err
		}()
	}
	var err error
	for range checks {
		err = errors.Join(err, <-errs)
	}
	return checks, err
}

func (v *verification) newCheck(name string, size uint64) *sourceCheck {
	c := &sourceCheck{
		name: name, size: size, sizes: v.sizes, roots: map[uint64][]byte{},
		heads: map[string]*aggHead{}, rng: rangeFactory.NewEmptyRange(0),
		nodes: newNodeReader(v.snap), progress: v.opts.Progress, every: v.opts.ProgressEvery,
		// The Pebble pass reads its events from the snapshot the leaves
		// come from: their hashes are the stored ones, nothing to compare.
		leaves: name != SourcePebble,
	}
	c.visit = c.visitNode
	return c
}

// compareSources compares each copy's length and root with the tree.
func (v *verification) compareSources(checks map[string]*sourceCheck, size uint64, treeRoot []byte) {
	for name, c := range checks {
		sr := SourceReport{Checked: true, Events: c.count, Root: c.roots[size]}
		if name == SourcePebble {
			v.report.Pebble = sr
		} else {
			v.report.JetStream = sr
		}
		if c.problem != nil {
			v.report.add(*c.problem)
			continue
		}
		if c.count < size {
			v.report.add(Problem{Position: c.count + 1, Source: name,
				What: fmt.Sprintf("log ends after %d events but the tree has %d (truncated): positions %d-%d missing", c.count, size, c.count+1, size)})
			continue
		}
		if name == SourcePebble && c.count > size {
			v.report.add(Problem{Position: size + 1, Source: name,
				What: fmt.Sprintf("log has %d events but the tree only %d", c.count, size)})
			continue
		}
		if treeRoot != nil && !bytes.Equal(c.roots[size], treeRoot) {
			v.report.add(Problem{Position: size, Source: SourceTree,
				What: fmt.Sprintf("stored tree nodes give root %x, the %s events give %x", treeRoot, name, c.roots[size])})
		}
	}
}

// checkCheckpoints checks signatures, forks, roots against each copy of
// the log and consistency between consecutive checkpoints.
func (v *verification) checkCheckpoints(checks map[string]*sourceCheck, size uint64) {
	var signed, good []Checkpoint
	for _, sc := range v.cps {
		cp, err := ParseCheckpoint(sc.Note, v.opts.Verifier)
		if err == nil && len(sc.Root) > 0 && (cp.Size != sc.Size || !bytes.Equal(cp.Root, sc.Root)) {
			err = fmt.Errorf("%w: stored under size %d root %x", ErrCheckpoint, sc.Size, sc.Root)
		}
		if err != nil {
			v.report.add(Problem{Position: sc.Size, Source: SourceCheckpoint, What: err.Error()})
			continue
		}
		signed = append(signed, cp)
		if v.checkAgainstLog(checks, cp, size) {
			good = append(good, cp)
		}
	}
	v.report.Checkpoints = len(signed)
	v.checkForks(signed)
	sort.SliceStable(good, func(i, j int) bool { return good[i].Size < good[j].Size })
	for i := 1; i < len(good); i++ {
		v.checkPair(good[i-1], good[i])
	}
}

// checkForks reports two signed checkpoints of one size with different
// roots.
func (v *verification) checkForks(signed []Checkpoint) {
	roots := map[uint64][]byte{}
	for _, cp := range signed {
		r, seen := roots[cp.Size]
		if seen && !bytes.Equal(r, cp.Root) {
			v.report.add(Problem{Position: cp.Size, Source: SourceCheckpoint,
				What: fmt.Sprintf("fork: two signed checkpoints of size %d with roots %x and %x", cp.Size, r, cp.Root)})
		}
		roots[cp.Size] = cp.Root
	}
}

// checkAgainstLog compares a verified checkpoint with the roots the
// passes recomputed; false when it was reported.
func (v *verification) checkAgainstLog(checks map[string]*sourceCheck, cp Checkpoint, size uint64) bool {
	if cp.Size > size {
		v.report.add(Problem{Position: size + 1, Source: SourceCheckpoint,
			What: fmt.Sprintf("checkpoint of size %d signed but the log has %d events (truncated)", cp.Size, size)})
		return false
	}
	for name, c := range checks {
		root, ok := c.roots[cp.Size]
		if ok && !bytes.Equal(root, cp.Root) {
			v.report.add(Problem{Position: cp.Size, Source: SourceCheckpoint,
				What: fmt.Sprintf("checkpoint of size %d has root %x, the %s log gives %x", cp.Size, cp.Root, name, root)})
			return false
		}
	}
	return true
}

// checkPair checks that a is consistent with b (a.Size <= b.Size) using
// the stored tree's nodes for the proof.
func (v *verification) checkPair(a, b Checkpoint) {
	if a.Size == b.Size {
		return // forks are reported by checkForks
	}
	nodes, err := consistencyFrom(v.snap, a.Size, b.Size)
	if err == nil {
		err = verifier.Consistent(a, b, nodes)
	}
	if err != nil {
		v.report.add(Problem{Position: b.Size, Source: SourceCheckpoint,
			What: fmt.Sprintf("checkpoints of sizes %d and %d are not consistent by the stored tree's proof: %s", a.Size, b.Size, err.Error())})
	}
}

// localizeInPebble names the event changed in Pebble, its hash
// recomputed to match, behind a problem the Pebble pass found: a stored
// node of 16 that Pebble's events do not give, or a hash chain broken at a
// later event of its aggregate. The JetStream pass compares its events
// with the tree a node at a time, so it cannot see such a change when
// JetStream's copy is intact. The events since the last node of 16 the
// Pebble pass matched are compared with JetStream's, message by message
// (Pebble keeps each event's message sequence); an earlier one that
// differs, or the one under a node that differs, becomes the problem.
func (v *verification) localizeInPebble(ctx context.Context, checks map[string]*sourceCheck) {
	pc, jc := checks[SourcePebble], checks[SourceJetStream]
	if pc == nil || jc == nil || pc.problem == nil {
		return
	}
	begin, end := pc.verified, pc.problem.Position // positions begin+1 to end
	if end <= begin || jc.count < end || jc.problem != nil && jc.problem.Position <= end {
		return // JetStream's copy is no better there
	}
	stream, err := v.opts.JetStream.Stream(ctx, v.opts.Stream)
	if err != nil {
		return
	}
	seqAt := func(pos uint64) (uint64, []byte, bool) {
		val, closer, err := v.snap.Get(eventKey(pos))
		if err != nil {
			return 0, nil, false
		}
		defer closer.Close()
		_, hash, ok := splitStored(val)
		if !ok {
			return 0, nil, false
		}
		return storedSeq(val), bytes.Clone(hash), true
	}
	// The message holding position begin+1 may start before it.
	first := begin + 1
	s, _, ok := seqAt(first)
	for ok && first > 1 {
		if prev, _, ok2 := seqAt(first - 1); !ok2 || prev != s {
			break
		}
		first--
	}
	var events []eventstore.Envelope
	var msgSeq, msgFirst uint64
	for pos := first; ok && pos <= end; pos++ {
		seq, hash, ok2 := seqAt(pos)
		if !ok2 {
			return
		}
		if events == nil || seq != msgSeq {
			m, err := stream.GetMsg(ctx, seq)
			if err != nil {
				return
			}
			if events, err = eventstore.DecodeMessage(m.Header, m.Data, seq); err != nil {
				return
			}
			msgSeq, msgFirst = seq, pos
		}
		i := pos - msgFirst
		if i >= uint64(len(events)) {
			return
		}
		if e := &events[i]; pos > begin && !bytes.Equal(e.Hash[:], hash) {
			if pos == end && !pc.badNode {
				return // the problem found is at this event already
			}
			pc.backTo(pos)
			pc.problem = &Problem{Position: pos, Aggregate: e.AggregateKind + "/" + e.AggregateID, Source: SourcePebble,
				What: fmt.Sprintf("event hash %x differs from JetStream's event at this position, %x, which the stored tree agrees with (event changed in Pebble, its hash recomputed)", hash, e.Hash[:])}
			return
		}
	}
}
