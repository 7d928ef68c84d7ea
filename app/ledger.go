package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"ledger/domain"
	"ledger/eventstore"
	"ledger/internal/bounded"
)

// Store is what the command path needs of the event store.
type Store interface {
	Submit(ctx context.Context, agg eventstore.Aggregate, expectedVersion uint64, meta eventstore.Meta, events ...eventstore.EventData) (*eventstore.Pending, error)
	Load(ctx context.Context, agg eventstore.Aggregate) ([]eventstore.Envelope, error)
	Command(ctx context.Context, commandID string) (eventstore.Result, bool, error)
	CatchUp(ctx context.Context, max time.Duration) error
}

// Meta describes who sends a command and when it happened.
type Meta struct {
	CommandID     string    // client-chosen ULID; retries reuse it
	Actor         string    // recorded in every event's envelope
	CorrelationID string    // optional
	CausationID   string    // optional
	OccurredAt    time.Time // as reported; zero means now
}

// Outcome is what a recorded command produced.
type Outcome struct {
	eventstore.Result
	Aggregate domain.AggregateRef `json:"aggregate"`
	// FollowUps are the commands the law required after this one
	// (domain.FollowUps), recorded as commands of their own caused by it.
	FollowUps []FollowUp `json:"follow_ups,omitempty"`
	// Offered names the commands the law offers next on the aggregate
	// (domain.Offered), e.g. call_by_election once a seat is vacant.
	Offered []string `json:"offered,omitempty"`
}

// FollowUp is one follow-up command and what came of it: its outcome, or
// the domain's refusal (the command that caused it stays recorded).
type FollowUp struct {
	CommandType string        `json:"command_type"`
	CommandID   string        `json:"command_id"`
	Outcome     *Outcome      `json:"outcome,omitempty"`
	Error       *domain.Error `json:"error,omitempty"`
}

// Config configures a Ledger; zero values mean defaults.
type Config struct {
	// CacheSize bounds how many aggregate states are kept, the least
	// recently used leaving first. Default 4096: enough for the elections
	// and stations of 512 units being recorded at once (a station of
	// 2,000 voters holds about 100 KB, most hold far less).
	CacheSize int
	// Retries after a concurrency conflict with another process. Default 5.
	Retries int
	// Now is the server clock. Default time.Now.
	Now func() time.Time
	// MaxFuture is how far past the server clock an occurred-at may lie
	// (clock skew between a recorder's device and the server). Default 5
	// minutes; negative allows any (for scenarios recorded with simulated dates).
	MaxFuture time.Duration
	// Node is the edge ledger this node is (domain.Env.Node): "" for a
	// hub or a node without edges, which refuses commands on stations
	// delegated to an edge; an edge records only its own stations.
	Node string
}

// Ledger executes commands. Its methods are safe for concurrent use;
// commands on one aggregate are serialized.
type Ledger struct {
	store Store
	cfg   Config
	cache *cache
	// loads shares one load among the commands that read an aggregate at
	// once (after a restart, every check-in of an election reads the
	// election).
	loads singleflight.Group
	// locks serialize commands per aggregate: a command takes its
	// target's stripe whole and its related aggregates' stripes in part.
	// A command that cannot take them before its context ends gives up.
	locks [4096]*semaphore.Weighted
	seed  maphash.Seed
}

// lockReaders is the weight of a stripe: how many commands may read the
// aggregates of one stripe at once.
const lockReaders = 1 << 16

// loadTimeout bounds one load of an aggregate's state. A load is shared
// by every command that waits for it, so no one command's context bounds
// it: the first caller giving up would fail the others too.
const loadTimeout = 10 * time.Second

// New returns a Ledger recording into store.
func New(store Store, cfg Config) *Ledger {
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 4096
	}
	if cfg.Retries == 0 {
		cfg.Retries = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFuture == 0 {
		cfg.MaxFuture = 5 * time.Minute
	}
	l := &Ledger{store: store, cfg: cfg, seed: maphash.MakeSeed()}
	l.cache = bounded.New[domain.AggregateRef, entry](cfg.CacheSize)
	for i := range l.locks {
		l.locks[i] = semaphore.NewWeighted(lockReaders)
	}
	return l
}

// Execute decides cmd against the current state and records its events,
// returning once they are durable. A domain rule that refuses the command
// returns a *domain.Error and writes nothing. A retry of an already
// recorded command (same command ID) returns the original outcome with
// Duplicate set.
func (l *Ledger) Execute(ctx context.Context, cmd domain.Command, meta Meta) (Outcome, error) {
	p, err := l.Submit(ctx, cmd, meta)
	if err != nil {
		return Outcome{}, err
	}
	return p.Wait(ctx)
}

// Pending is a command accepted by the log and on its way to durability.
type Pending struct {
	ref     domain.AggregateRef
	pending *eventstore.Pending
	done    *Outcome // already recorded: the original outcome
	// follow holds the follow-ups to record once the command is durable.
	l       *Ledger
	follow  []domain.Command
	meta    Meta
	offered []string
}

// Wait returns the command's outcome once it is durable, after recording
// the follow-ups the law requires (see Outcome.FollowUps).
func (p *Pending) Wait(ctx context.Context) (Outcome, error) {
	if p.done != nil {
		return *p.done, nil
	}
	res, err := p.pending.Wait(ctx)
	out := Outcome{Result: res, Aggregate: p.ref, Offered: p.offered}
	if err != nil || len(p.follow) == 0 {
		return out, err
	}
	out.FollowUps, err = p.l.followUps(ctx, p.follow, p.meta)
	return out, err
}

// Submit is the first half of Execute: it decides cmd and returns once the
// log of record holds its events, so that the next command on the same
// aggregate can be decided at once (pipelining). The outcome counts only
// once Wait returns.
func (l *Ledger) Submit(ctx context.Context, cmd domain.Command, meta Meta) (*Pending, error) {
	if meta.CommandID == "" {
		return nil, &domain.Error{Code: "command_id_required", Kind: domain.ErrInvalid,
			ZH: "缺少命令编号(ULID)", EN: "a command ID (ULID) is required"}
	}
	if err := l.checkOccurredAt(meta.OccurredAt); err != nil {
		return nil, err
	}
	ref := cmd.Target()
	unlock, err := l.lock(ctx, ref, cmd.Related())
	if err != nil {
		return nil, fmt.Errorf("app: wait for %s: %w", ref, err)
	}
	defer unlock()
	for range l.cfg.Retries + 1 {
		var p *Pending
		p, err = l.try(ctx, cmd, meta)
		if !errors.Is(err, eventstore.ErrConflict) {
			return p, err
		}
		l.cache.Delete(ref) // another process wrote: reload and decide again
	}
	return nil, err
}

func (l *Ledger) try(ctx context.Context, cmd domain.Command, meta Meta) (*Pending, error) {
	ref := cmd.Target()
	ent, err := l.state(ctx, ref)
	if err != nil {
		return nil, err
	}
	env := domain.Env{Now: meta.OccurredAt, Last: ent.last, Actor: meta.Actor, Related: map[domain.AggregateRef]domain.State{}, Node: l.cfg.Node}
	if env.Now.IsZero() {
		env.Now = l.cfg.Now()
	}
	if env.Cited, err = l.cited(cmd); err != nil {
		return nil, err
	}
	for _, r := range cmd.Related() {
		if r.ID == "" {
			continue // not named: Decide sees it as not found and says which
		}
		rel, err := l.state(ctx, r)
		if err != nil {
			return nil, err
		}
		if rel.version > 0 {
			env.Related[r] = rel.state
		}
	}
	events, err := domain.Decide(ent.state, cmd, env)
	if err != nil {
		return l.refused(ctx, ref, meta, err)
	}
	data, err := encode(events)
	if err != nil {
		return nil, err
	}
	p, err := l.store.Submit(ctx, aggOf(ref), ent.version, storeMeta(meta), data...)
	if err != nil {
		return nil, err
	}
	if p.Version == 0 || p.Version != ent.version+uint64(len(events)) {
		l.cache.Delete(ref) // a duplicate: the cached state may not hold it
		return &Pending{ref: ref, pending: p}, nil
	}
	for _, ev := range events {
		ent.state = domain.Evolve(ent.state, ev)
	}
	ent.version = p.Version
	if env.Now.After(ent.last) {
		ent.last = env.Now
	}
	l.cache.Put(ref, ent)
	return &Pending{ref: ref, pending: p, l: l, meta: meta, follow: domain.FollowUps(cmd, events, ent.state),
		offered: domain.Offered(ent.state)}, nil
}

// checkOccurredAt refuses an occurred-at in the future: a fact reported
// as happening later than now is a wrong clock or a forgery, never
// silently accepted. (How long before an election a fact may lie is the
// domain's business: a check-in needs open polls, and so on.)
func (l *Ledger) checkOccurredAt(t time.Time) error {
	now := l.cfg.Now()
	if t.IsZero() || l.cfg.MaxFuture < 0 || !t.After(now.Add(l.cfg.MaxFuture)) {
		return nil
	}
	return &domain.Error{Code: "occurred_at_in_future", Kind: domain.ErrInvalid,
		Rule: "发生时间不得晚于服务器时间 / occurred-at may not lie in the future",
		ZH:   fmt.Sprintf("发生时间 %s 晚于服务器时间 %s 超过 %s，请检查设备时钟", t.Format(time.RFC3339), now.Format(time.RFC3339), l.cfg.MaxFuture),
		EN:   fmt.Sprintf("occurred-at %s is more than %s after the server's clock (%s); check the device's clock", t.Format(time.RFC3339), l.cfg.MaxFuture, now.Format(time.RFC3339))}
}

// ErrBehind means this node could not catch up with the log in time to
// answer a command: it may or may not be recorded already. A retry with
// the same command ID is safe.
var ErrBehind = errors.New("app: this node is behind the log")

// refused answers a command the domain refused: if it is the retry of a
// command already recorded (its effect is why the domain now refuses it),
// the original outcome; else the domain's error.
func (l *Ledger) refused(ctx context.Context, ref domain.AggregateRef, meta Meta, derr error) (*Pending, error) {
	// The refusal may rest on messages this node has not ingested yet (a
	// state read from JetStream's tail), and the command itself may be
	// among them: a retry after its acknowledgement was lost, as in a
	// stream leader's failover. Look it up once Pebble has caught up; a
	// node that cannot catch up in time cannot tell a retry from a
	// command the law refuses, and says so.
	if err := l.store.CatchUp(ctx, 2*time.Second); err != nil {
		return nil, fmt.Errorf("%w: cannot tell whether command %s is already recorded (the domain refused it: %v): %w", ErrBehind, meta.CommandID, derr, err)
	}
	res, ok, err := l.store.Command(ctx, meta.CommandID)
	if err != nil {
		return nil, err
	}
	if ok {
		return &Pending{ref: ref, done: &Outcome{Result: res, Aggregate: ref}}, nil
	}
	return nil, derr
}

// State returns a copy-free snapshot of an aggregate's state and version,
// rebuilt from the log; callers must not modify it.
func (l *Ledger) State(ctx context.Context, ref domain.AggregateRef) (domain.State, uint64, error) {
	ent, err := l.loadEntry(ctx, ref)
	return ent.state, ent.version, err
}

// state returns an aggregate's state: cached, else loaded from the log
// by a load shared with every command waiting for the same aggregate.
// The caller holds the aggregate's lock (whole or in part), so no command
// of this process records on it meanwhile, and the state it caches is
// current.
func (l *Ledger) state(ctx context.Context, ref domain.AggregateRef) (entry, error) {
	if ent, ok := l.cache.Get(ref); ok {
		return ent, nil
	}
	ch := l.loads.DoChan(string(ref.Kind)+"/"+ref.ID, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		return l.loadEntry(lctx, ref)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return entry{}, r.Err
		}
		ent := r.Val.(entry)
		l.cache.Put(ref, ent)
		return ent, nil
	case <-ctx.Done():
		return entry{}, fmt.Errorf("app: load %s/%s: %w", ref.Kind, ref.ID, ctx.Err())
	}
}

// loadEntry folds an aggregate's events from the store into a fresh state.
func (l *Ledger) loadEntry(ctx context.Context, ref domain.AggregateRef) (entry, error) {
	ent := entry{state: domain.NewState(ref)}
	if ent.state == nil {
		return entry{}, &domain.Error{Code: "unknown_kind", Kind: domain.ErrInvalid,
			ZH: "未知的对象类型", EN: fmt.Sprintf("unknown aggregate kind %q", ref.Kind)}
	}
	events, err := l.store.Load(ctx, aggOf(ref))
	if err != nil {
		return entry{}, err
	}
	if len(events) > 0 && events[0].Region != string(ref.Region) {
		return entry{}, absent(ref)
	}
	for _, e := range events {
		ev, err := domain.DecodeEvent(e.Type, e.Payload)
		if err != nil {
			return entry{}, fmt.Errorf("app: event at position %d: %w", e.Position, err)
		}
		ent.state = domain.Evolve(ent.state, ev)
		ent.version = e.Version
		if t := occurred(e); t.After(ent.last) {
			ent.last = t
		}
	}
	return ent, nil
}

// occurred is when an event happened: its occurred-at, else when it was recorded.
func occurred(e eventstore.Envelope) time.Time {
	if e.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.OccurredAt
}

// absent is the error of an aggregate that does not exist, given when one
// exists under this ID in another region than the command names: the
// answer is the same as for an absent one and names no other region.
func absent(ref domain.AggregateRef) error {
	e := &domain.Error{Kind: domain.ErrNotFound, Code: string(ref.Kind) + "_not_found"}
	switch ref.Kind {
	case domain.KindElection:
		e.ZH, e.EN = "未找到该选举", "the election does not exist"
	case domain.KindStation:
		e.ZH, e.EN = "未找到该投票站: "+ref.ID, "the polling station does not exist: "+ref.ID
	case domain.KindConsultation:
		e.ZH, e.EN = "未找到该协商", "the consultation does not exist"
	default:
		e.ZH, e.EN = "未找到该监督检查", "the inspection does not exist"
	}
	return e
}

// lock takes the target's stripe whole and the related aggregates'
// stripes in part, in stripe order so that two commands never wait on each
// other, or gives up when ctx ends.
func (l *Ledger) lock(ctx context.Context, target domain.AggregateRef, related []domain.AggregateRef) (func(), error) {
	w := l.stripe(target)
	rs := make([]int, 0, len(related))
	for _, r := range related {
		if s := l.stripe(r); s != w && !slices.Contains(rs, s) {
			rs = append(rs, s)
		}
	}
	all := append(rs, w)
	slices.Sort(all)
	weight := func(s int) int64 {
		if s == w {
			return lockReaders
		}
		return 1
	}
	unlock := func(held []int) {
		for _, s := range held {
			l.locks[s].Release(weight(s))
		}
	}
	for i, s := range all {
		if err := l.locks[s].Acquire(ctx, weight(s)); err != nil {
			unlock(all[:i])
			return nil, err
		}
	}
	return func() { unlock(all) }, nil
}

func (l *Ledger) stripe(ref domain.AggregateRef) int {
	return int(maphash.String(l.seed, string(ref.Kind)+"/"+ref.ID) % uint64(len(l.locks)))
}

func aggOf(ref domain.AggregateRef) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: string(ref.Kind), ID: ref.ID, Region: string(ref.Region)}
}

func storeMeta(m Meta) eventstore.Meta {
	return eventstore.Meta{CommandID: m.CommandID, Actor: m.Actor, CorrelationID: m.CorrelationID,
		CausationID: m.CausationID, OccurredAt: m.OccurredAt}
}

func encode(events []domain.Event) ([]eventstore.EventData, error) {
	data := make([]eventstore.EventData, len(events))
	for i, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("app: encode %s: %w", ev.EventType(), err)
		}
		data[i] = eventstore.EventData{Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Payload: b}
	}
	return data, nil
}
