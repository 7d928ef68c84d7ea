package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"ledger/cosig"
	"ledger/witness"

	"ledger/verifier"
)

// WitnessEndpoint is a witness the node asks for cosignatures: its
// cosignature verifier key and its submission URL.
type WitnessEndpoint struct {
	Witness cosig.Witness
	URL     string
}

// ParseWitnessEndpoint parses NAME+HASH+KEY+URL: a witness's verifier key
// (as "ledger witness key" prints it) followed by "+" and its URL.
func ParseWitnessEndpoint(s string) (WitnessEndpoint, error) {
	i := strings.LastIndex(s, "+http")
	if i < 0 {
		return WitnessEndpoint{}, fmt.Errorf("%w: witness %q: want NAME+HASH+KEY+URL (http:// or https://)", cosig.ErrPolicy, s)
	}
	w, err := cosig.ParseWitness(s[:i])
	if err != nil {
		return WitnessEndpoint{}, err
	}
	return WitnessEndpoint{Witness: w, URL: s[i+1:]}, nil
}

// CosignerConfig configures a Cosigner; zero optional fields mean defaults.
type CosignerConfig struct {
	Tree      *Tree // required
	Witnesses []WitnessEndpoint
	// Quorum is how many witnesses must cosign. Default: a majority.
	Quorum int
	// Conn publishes each checkpoint again on Subject once a quorum has
	// cosigned it (and as more cosignatures arrive); nil: not published.
	Conn    *nats.Conn
	Subject string // default DefaultCheckpointSubject
	// Poll is how often the latest checkpoint is looked at. Default 100ms.
	Poll time.Duration
	// Timeout bounds one request to a witness. Default 10s.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before asking a witness
	// again after a failure (doubling). Defaults 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	HTTP                   *http.Client // default http.DefaultClient
	Logger                 *slog.Logger
}

func (cfg *CosignerConfig) setDefaults() error {
	if cfg.Tree == nil || len(cfg.Witnesses) == 0 {
		return errors.New("audit: a cosigner needs a tree and witnesses")
	}
	if cfg.Quorum == 0 {
		cfg.Quorum = len(cfg.Witnesses)/2 + 1
	}
	if cfg.Quorum < 1 || cfg.Quorum > len(cfg.Witnesses) {
		return fmt.Errorf("%w: quorum %d of %d witnesses", cosig.ErrPolicy, cfg.Quorum, len(cfg.Witnesses))
	}
	defaults := []struct {
		d   *time.Duration
		def time.Duration
	}{{&cfg.Poll, 100 * time.Millisecond}, {&cfg.Timeout, 10 * time.Second},
		{&cfg.MinBackoff, 500 * time.Millisecond}, {&cfg.MaxBackoff, 30 * time.Second}}
	for _, d := range defaults {
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultCheckpointSubject
	}
	if cfg.HTTP == nil {
		cfg.HTTP = http.DefaultClient
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Cosigner asks witnesses to cosign the latest stored checkpoint (C2SP
// tlog-witness), each with a consistency proof from the size that witness
// holds (learnt from its 409 answers), and stores the checkpoint again
// with every valid cosignature. It runs beside the Checkpointer and never
// holds up writes or signing: each witness has its own goroutine, a
// failed witness is asked again with a doubling backoff, and a newer
// checkpoint supersedes one still waiting. Its methods are safe for
// concurrent use.
type Cosigner struct {
	cfg    CosignerConfig
	policy cosig.Policy

	mu      sync.Mutex
	target  *cosignTarget
	changed chan struct{} // closed and replaced when target changes
	ws      []*witnessState
	quorum  quorumRecord
}

// cosignTarget is the checkpoint being cosigned.
type cosignTarget struct {
	size  uint64
	root  []byte
	plain []byte // the note as the checkpointer stored it
	note  []byte // plain and the cosignatures gathered so far
	seen  time.Time
	met   bool
}

type witnessState struct {
	ep        WitnessEndpoint
	known     uint64 // the size the witness holds, as last learnt
	failing   bool   // the last request failed
	lastErr   string
	lastErrAt time.Time
	lastOK    time.Time
	failures  uint64
	requests  uint64
}

type quorumRecord struct {
	size    uint64        // largest checkpoint cosigned by a quorum
	at      time.Time     // when it was
	latency time.Duration // from the checkpoint's first sighting to its quorum
	count   uint64        // checkpoints that reached a quorum
	sum     time.Duration // their latencies, summed
}

// NewCosigner returns a Cosigner; start it with Start.
func NewCosigner(cfg CosignerConfig) (*Cosigner, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	c := &Cosigner{cfg: cfg, changed: make(chan struct{}), policy: cosig.Policy{Quorum: cfg.Quorum}}
	for _, ep := range cfg.Witnesses {
		c.ws = append(c.ws, &witnessState{ep: ep})
		c.policy.Witnesses = append(c.policy.Witnesses, ep.Witness)
	}
	return c, nil
}

// Policy is the set of witnesses and the quorum this cosigner works to.
func (c *Cosigner) Policy() cosig.Policy { return c.policy }

// Start runs the cosigner until the returned shutdown is called (or ctx
// ends); shutdown waits for its goroutines to end.
func (c *Cosigner) Start(ctx context.Context) (shutdown func(context.Context) error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { c.watch(ctx) })
	for _, w := range c.ws {
		wg.Go(func() { c.runWitness(ctx, w) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return func(wait context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-wait.Done():
			return wait.Err()
		}
	}
}

// watch follows the latest stored checkpoint.
func (c *Cosigner) watch(ctx context.Context) {
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	for {
		c.refresh()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh makes the latest stored checkpoint the target if it is new.
func (c *Cosigner) refresh() {
	latest, err := c.cfg.Tree.LatestCheckpoint()
	if err != nil {
		return
	}
	size, root, ok := verifier.ParseUnverified(latest)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.target; t != nil && t.size == size && bytes.Equal(t.root, root) {
		return
	}
	c.target = &cosignTarget{size: size, root: root, plain: bodyAndLogSig(latest), note: latest, seen: time.Now()}
	c.target.met = c.metLocked(c.target)
	close(c.changed)
	c.changed = make(chan struct{})
}

// bodyAndLogSig is a stored note less any cosignature: the body and the
// first signature line (the log's own, as SignCheckpoint writes it).
func bodyAndLogSig(n []byte) []byte {
	text, sigs, ok := bytes.Cut(n, []byte("\n\n"))
	if !ok {
		return n
	}
	first, _, _ := bytes.Cut(sigs, []byte("\n"))
	return fmt.Appendf(nil, "%s\n\n%s\n", text, first)
}

func (c *Cosigner) runWitness(ctx context.Context, w *witnessState) {
	backoff := c.cfg.MinBackoff
	for {
		c.mu.Lock()
		t, changed := c.target, c.changed
		c.mu.Unlock()
		if t == nil || w.ep.Witness.Has(c.noteOf(t)) {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				continue
			}
		}
		err := c.submit(ctx, w, t)
		c.record(w, err)
		if err == nil {
			backoff = c.cfg.MinBackoff
			continue
		}
		if ctx.Err() != nil {
			return
		}
		c.cfg.Logger.Warn("witness did not cosign", "witness", w.ep.Witness.Name, "size", t.size, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

func (c *Cosigner) noteOf(t *cosignTarget) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.note
}

// ErrWitnessAhead means a witness holds a larger tree than the checkpoint
// offered: the log was rolled back or forked since that witness saw it.
var ErrWitnessAhead = errors.New("audit: the witness holds a larger tree than this checkpoint: the log was rolled back or forked (见证人已见过更大的树：日志被回滚或分叉)")

// submit asks w to cosign t, learning w's size from a 409 once.
func (c *Cosigner) submit(ctx context.Context, w *witnessState, t *cosignTarget) error {
	client := witness.Client{URL: w.ep.URL, HTTP: c.cfg.HTTP}
	for range 2 {
		c.mu.Lock()
		old := w.known
		w.requests++
		c.mu.Unlock()
		if old > t.size {
			return fmt.Errorf("%w: witness holds %d, checkpoint is of %d", ErrWitnessAhead, old, t.size)
		}
		var p [][]byte
		if old > 0 && old < t.size {
			var err error
			if p, err = c.cfg.Tree.ConsistencyProof(old, t.size); err != nil {
				return fmt.Errorf("audit: consistency proof %d to %d: %w", old, t.size, err)
			}
		}
		rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		sigs, err := client.AddCheckpoint(rctx, witness.Request{OldSize: old, Proof: p, Checkpoint: t.plain})
		cancel()
		var refused *witness.Error
		if errors.As(err, &refused) && refused.Status == http.StatusConflict {
			c.mu.Lock()
			w.known = refused.Size
			c.mu.Unlock()
			continue
		}
		if err != nil {
			return err
		}
		return c.accept(w, t, sigs)
	}
	return errors.New("audit: the witness answered 409 twice")
}

// accept keeps the cosignature lines of w in sigs that verify over t.
func (c *Cosigner) accept(w *witnessState, t *cosignTarget, sigs []byte) error {
	var mine []byte
	for line := range bytes.Lines(sigs) {
		if w.ep.Witness.Has(append(bytes.Clone(t.plain), line...)) {
			mine = append(mine, line...)
		}
	}
	if mine == nil {
		return fmt.Errorf("audit: witness %s answered without a valid cosignature", w.ep.Witness.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w.known = max(w.known, t.size)
	merged := append(bytes.Clone(t.note), mine...)
	if err := c.cfg.Tree.StoreCheckpoint(merged); err != nil {
		return err
	}
	t.note = merged
	if c.metLocked(t) {
		c.quorumMetLocked(t)
	}
	return nil
}

func (c *Cosigner) metLocked(t *cosignTarget) bool {
	_, err := c.policy.Check(t.note)
	return err == nil
}

func (c *Cosigner) quorumMetLocked(t *cosignTarget) {
	if !t.met {
		t.met = true
		q := &c.quorum
		if t.size >= q.size {
			q.size, q.at = t.size, time.Now()
		}
		q.latency = time.Since(t.seen)
		q.count++
		q.sum += q.latency
		c.cfg.Logger.Info("checkpoint cosigned by a quorum", "size", t.size, "quorum", c.cfg.Quorum, "took", q.latency)
	}
	if c.cfg.Conn != nil {
		if err := c.cfg.Conn.Publish(c.cfg.Subject, t.note); err != nil {
			c.cfg.Logger.Warn("publish cosigned checkpoint", "err", err)
		}
	}
}

func (c *Cosigner) record(w *witnessState, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		w.failing, w.lastOK = false, time.Now()
		return
	}
	w.failing, w.lastErr, w.lastErrAt = true, err.Error(), time.Now()
	w.failures++
}
