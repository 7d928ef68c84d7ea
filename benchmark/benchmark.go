// Package benchmark measures a ledger node on the machine it runs on, in
// one run on one data disk: raw JetStream publishing as the baseline (the
// same embedded server, file storage, the ledger's message size), the
// ledger's full command path (decide, append to JetStream, ingest into
// Pebble with the Merkle tree, fsync, acknowledge) at 1 and N concurrent
// recorders with the scenario's check-ins, ingest lag and turnout query
// latency under that load, rebuilds (Pebble from JetStream; the read
// models from Pebble), audit verification, and peak memory.
//
//	rep, err := benchmark.Run(ctx, benchmark.Config{Node: node.Config{DataDir: dir}, Writers: 64, Events: 100_000})
package benchmark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/eventstore"
	"ledger/node"
	"ledger/projections"
	"ledger/scenario"
)

// Config configures a run. The zero value of every field means its default.
type Config struct {
	// Node configures the node under test. DataDir "" means a fresh
	// temporary directory, removed afterwards.
	Node node.Config
	// Writers is the number of concurrent recorders (and sync publishers). Default 64.
	Writers int
	// Events is the number of check-ins recorded by the concurrent run and
	// messages published by each baseline. Default 100,000. The
	// single-recorder run records Events/10 (at least 500, at most 5,000).
	Events int
	// Seed selects the scenario. Default 1.
	Seed uint64
	// Window is how many commands each recorder of the concurrent run keeps
	// in flight: the next is submitted once the log holds the previous
	// (app.Ledger.Submit), and each counts only once durable (Wait).
	// Default 1: each recorder waits for every command.
	Window int
	// Batch is how many check-ins each command of the batched run
	// records (domain.CheckIns), as stations' devices upload them. Default
	// scenario.DeviceBatch; 1 leaves the batched run out.
	Batch int
	// HTTP adds a run through the node's real HTTP server on a loopback
	// port: Writers clients of the same process, one check-in a request
	// with an Idempotency-Key of its own, over the stations of another
	// set of the scenario's elections as many as the in-process run's.
	HTTP bool
	// Log, when set, receives a line as each part starts.
	Log func(string)
}

func (c *Config) setDefaults() {
	if c.Writers <= 0 {
		c.Writers = 64
	}
	if c.Events <= 0 {
		c.Events = 100_000
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Window <= 0 {
		c.Window = 1
	}
	if c.Batch <= 0 {
		c.Batch = scenario.DeviceBatch
	}
	if c.Log == nil {
		c.Log = func(string) {}
	}
}

// Report is the result of a run. Rates are per second; latencies in milliseconds.
type Report struct {
	Writers      int    `json:"writers"`
	Window       int    `json:"window"`
	Events       int    `json:"events"`
	PayloadBytes int    `json:"payload_bytes"` // mean size of the ledger's check-in messages, used by the baselines
	Storage      string `json:"storage"`

	AsyncPublish Throughput `json:"jetstream_async_publish"`
	SyncPublish  Throughput `json:"jetstream_sync_publish"`
	Ledger1      Throughput `json:"ledger_1_recorder"`
	LedgerN      Throughput `json:"ledger_n_recorders"`
	// LedgerBatched records Events check-ins with Writers recorders,
	// Batch check-ins a command: Count and PerS are check-ins (events),
	// the latencies are per command.
	Batch         int        `json:"batch"`
	LedgerBatched Throughput `json:"ledger_n_recorders_batched"`

	// HTTPRecorders is LedgerN's run through the HTTP API (Config.HTTP):
	// the latencies are from sending each request to its answer.
	HTTPRecorders Throughput `json:"http_n_clients"`
	// HTTPReplays counts the requests of that run answered 200
	// Idempotent-Replayed: sent again by the client's transport after it
	// lost a kept-alive connection, and recorded once.
	HTTPReplays int `json:"http_replays"`

	IngestLagMaxMsgs  uint64  `json:"ingest_lag_max_msgs"`
	IngestLagMeanMsgs float64 `json:"ingest_lag_mean_msgs"`
	LagSamples        int     `json:"lag_samples"`
	// ProjectionLagMaxEvents is the most events any read model was
	// behind Pebble's log (projections.Set.Lags) in the same samples.
	ProjectionLagMaxEvents uint64 `json:"projection_lag_max_events"`
	ProjectionLagNote      string `json:"projection_lag_note"`

	// Turnout queries (projections.TurnoutOfRegion) of the province and of
	// the village the concurrent run records into, made during that run.
	TurnoutQueries      int      `json:"turnout_queries"`
	TurnoutQueryP50ms   float64  `json:"turnout_query_p50_ms"`
	TurnoutQueryP99ms   float64  `json:"turnout_query_p99_ms"`
	TurnoutQueryMaxms   float64  `json:"turnout_query_max_ms"`
	TurnoutQueryRegions []string `json:"turnout_query_regions,omitempty"`

	RebuildFromJetStream Throughput `json:"rebuild_from_jetstream"` // ingest + Merkle tree into an empty Pebble
	RebuildReadModels    Throughput `json:"rebuild_read_models"`    // projections.Rebuild from Pebble's log
	AuditVerify          Throughput `json:"audit_verify"`           // both copies, concurrently
	// AuditReadCopies reads both copies as verify does and checks nothing
	// (audit.ReadCopies): the most verify could reach here.
	AuditReadCopies Throughput `json:"audit_read_both_copies"`
	AuditIntact     bool       `json:"audit_intact"`
	// ReplayStream reads the ledger's stream as ingest does and decodes
	// each message, writing nothing: the most RebuildFromJetStream could
	// reach here.
	ReplayStream Throughput `json:"jetstream_replay_decode"`

	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	RatioToAsync float64 `json:"ledger_n_to_async_ratio"`
	ElapsedS     float64 `json:"elapsed_s"`
	// Targets compares the run with the design's targets for the ledger
	// on a 2-core machine.
	Targets []Target `json:"targets"`
	Notes   []string `json:"notes,omitempty"`
}

// Target is one row of the performance issue's table and how this run
// compares with it. Measured is the absolute figure (Unit). Where the run
// measured a bound (Bound > 0: the most the measure could reach on this
// machine whatever the ledger did, BoundName says what gives it), Ratio
// is Measured/Bound and Want applies to Ratio; otherwise Want applies to
// Measured. AtMost says whether the compared figure must stay at or below
// Want (a latency, memory) rather than reach it (a rate, a ratio). A row
// whose part did not run has Skipped set and Met false.
type Target struct {
	Name      string  `json:"name"`
	Measured  float64 `json:"measured"`
	Unit      string  `json:"unit"`
	P50ms     float64 `json:"p50_ms,omitempty"`
	P99ms     float64 `json:"p99_ms,omitempty"`
	Bound     float64 `json:"bound,omitempty"`
	BoundName string  `json:"bound_name,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"`
	Want      float64 `json:"want"`
	AtMost    bool    `json:"at_most,omitempty"`
	Met       bool    `json:"met"`
	Skipped   string  `json:"skipped,omitempty"`
}

// targets compares r with the rows of the performance issue's table that
// one run can measure, each rate as a ratio to its bound measured in the
// same run where the table names one; the province's row is measured by
// ledger demo --scale 1.
func (r *Report) targets() []Target {
	w := strconv.Itoa(r.Writers)
	rate := func(name string, t Throughput, bound Throughput, boundName string, want float64) Target {
		return Target{Name: name, Measured: t.PerS, Unit: "events/s", P50ms: t.P50ms, P99ms: t.P99ms,
			Bound: bound.PerS, BoundName: boundName, Want: want}
	}
	ts := []Target{
		rate(w+" recorders, one check-in a command, durable", r.LedgerN, r.SyncPublish,
			"JetStream sync publish from "+w+" goroutines", 0.6),
		{Name: w + " recorders, one check-in a command: p99", Measured: r.LedgerN.P99ms, Unit: "ms", Want: 20, AtMost: true},
		rate(w+" recorders, "+strconv.Itoa(r.Batch)+" check-ins a command", r.LedgerBatched, r.AsyncPublish,
			"JetStream async publish", 2.0),
		rate("rebuild Pebble from JetStream", r.RebuildFromJetStream, r.ReplayStream,
			"the ordered consumer alone, decoding", 0.85),
		rate("rebuild read models", r.RebuildReadModels, Throughput{}, "", 1_000_000),
		rate("audit verify", r.AuditVerify, r.AuditReadCopies, "reading both copies, no checks", 0.9),
		rate(w+" HTTP clients, one check-in a request", r.HTTPRecorders, r.LedgerN,
			"the in-process "+w+" recorders of the first row", 0.7),
		{Name: w + " HTTP clients, one check-in a request: p99", Measured: r.HTTPRecorders.P99ms, Unit: "ms", Want: 20, AtMost: true},
		{Name: "turnout query under load: p99", Measured: r.TurnoutQueryP99ms, Unit: "ms", Want: 2, AtMost: true},
		{Name: "peak resident memory", Measured: float64(r.PeakRSSBytes), Unit: "bytes", Want: 1 << 30, AtMost: true},
	}
	if r.LedgerBatched.Count == 0 {
		ts[2].Skipped = "--batch 1"
	}
	if r.HTTPRecorders.Count == 0 {
		ts[6].Skipped, ts[7].Skipped = "no --http", "no --http"
	}
	for i := range ts {
		ts[i].judge()
	}
	return ts
}

// judge sets Ratio and Met.
func (t *Target) judge() {
	if t.Skipped != "" {
		t.Bound, t.BoundName = 0, ""
		return
	}
	got := t.Measured
	if t.BoundName == "" {
		t.Bound = 0
	} else if t.Bound <= 0 {
		t.Skipped = "its bound was not measured"
		t.BoundName = ""
		return
	}
	if t.Bound > 0 {
		t.Ratio = ratio(t.Measured, t.Bound)
		got = t.Ratio
	}
	t.Met = got >= t.Want
	if t.AtMost {
		t.Met = got > 0 && got <= t.Want
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Throughput is one measured part.
type Throughput struct {
	Count   int     `json:"count"`
	Seconds float64 `json:"seconds"`
	PerS    float64 `json:"per_s"`
	P50ms   float64 `json:"p50_ms,omitempty"`
	P99ms   float64 `json:"p99_ms,omitempty"`
	P999ms  float64 `json:"p999_ms,omitempty"`
	Skipped string  `json:"skipped,omitempty"`
}

func throughput(n int, d time.Duration, lat []time.Duration) Throughput {
	t := Throughput{Count: n, Seconds: d.Seconds()}
	if d > 0 {
		t.PerS = float64(n) / d.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6
		}
		t.P50ms, t.P99ms, t.P999ms = q(0.50), q(0.99), q(0.999)
	}
	return t
}

// Run runs the benchmark.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	start := time.Now()
	if cfg.Node.DataDir == "" {
		dir, err := os.MkdirTemp("", "ledger-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		cfg.Node.DataDir = dir
	}
	cfg.Node.AllowFutureOccurredAt = true
	rep := &Report{Writers: cfg.Writers, Window: cfg.Window, Events: cfg.Events, Batch: cfg.Batch, Storage: "file"}
	if cfg.Node.MemoryStorage {
		rep.Storage = "memory"
	}
	b := &bench{cfg: cfg, rep: rep}
	if err := b.run(ctx); err != nil {
		return nil, err
	}
	rep.PeakRSSBytes = PeakRSS()
	rep.RatioToAsync = ratio(rep.LedgerN.PerS, rep.AsyncPublish.PerS)
	rep.ElapsedS = time.Since(start).Seconds()
	rep.Targets = rep.targets()
	return rep, nil
}

type bench struct {
	cfg Config
	rep *Report
	n   *node.Node
}

func (b *bench) run(ctx context.Context) (err error) {
	b.n, err = node.Open(ctx, b.cfg.Node)
	if err != nil {
		return err
	}
	defer func() {
		if b.n != nil {
			err = errors.Join(err, b.n.Close())
		}
	}()
	<-b.n.Store.Ready()
	single := min(5000, max(500, b.cfg.Events/10), b.cfg.Events)
	b.cfg.Log("preparing elections")
	sc := scenario.New(scenario.Config{Scale: 1, Seed: b.cfg.Seed, LiveIDs: true})
	next := 0
	one, err := b.prepare(ctx, sc, &next, single, 1, 1)
	if err != nil {
		return err
	}
	many, err := b.prepare(ctx, sc, &next, b.cfg.Events, b.cfg.Writers, 1)
	if err != nil {
		return err
	}
	var viaHTTP []scenario.Step
	if b.cfg.HTTP {
		if viaHTTP, err = b.prepare(ctx, sc, &next, b.cfg.Events, b.cfg.Writers, 1); err != nil {
			return err
		}
	}
	var batched []scenario.Step
	if b.cfg.Batch > 1 {
		if batched, err = b.prepare(ctx, sc, &next, b.cfg.Events, b.cfg.Writers, b.cfg.Batch); err != nil {
			return err
		}
	}
	b.rep.Notes = append(b.rep.Notes,
		fmt.Sprintf("the single-recorder run records %d check-ins (Events/10, 500 to 5,000)", len(one)),
		"check-ins come from the scenario's elections, prepared and opened before the clock starts; command IDs carry the recording time",
		"baselines publish random payloads of the ledger's mean check-in message size (data and headers) into a stream of their own",
		fmt.Sprintf("during the %d-recorder run, one goroutine reads the turnout of the province and of a village being recorded every %v (projections.TurnoutOfRegion on the node's Pebble)", b.cfg.Writers, turnoutQueryEvery))
	b.cfg.Log("ledger, 1 recorder")
	if b.rep.Ledger1, err = b.record(ctx, one, 1, 1, false); err != nil {
		return err
	}
	b.cfg.Log(fmt.Sprintf("ledger, %d recorders", b.cfg.Writers))
	if b.rep.LedgerN, err = b.record(ctx, many, b.cfg.Writers, b.cfg.Window, true); err != nil {
		return err
	}
	if len(viaHTTP) > 0 {
		b.cfg.Log(fmt.Sprintf("ledger over HTTP, %d clients, one check-in a request", b.cfg.Writers))
		if b.rep.HTTPRecorders, err = b.recordHTTP(ctx, viaHTTP, b.cfg.Writers); err != nil {
			return err
		}
	}
	// The baselines publish messages of the size of the last ones in the
	// stream: the single check-ins', so before the batched run.
	if err := b.baselines(ctx); err != nil {
		return err
	}
	if len(batched) > 0 {
		b.cfg.Log(fmt.Sprintf("ledger, %d recorders, %d check-ins a command", b.cfg.Writers, b.cfg.Batch))
		if b.rep.LedgerBatched, err = b.record(ctx, batched, b.cfg.Writers, b.cfg.Window, false); err != nil {
			return err
		}
		events := 0
		for _, st := range batched {
			events += len(st.Cmd.(domain.CheckIns).CheckIns)
		}
		t := &b.rep.LedgerBatched
		t.Count, t.PerS = events, float64(events)/t.Seconds
	}
	return b.rebuilds(ctx)
}

// prepare records the setup of enough of sc's elections, from the
// next-th unit on, for n check-ins over at least stations stations, and
// returns them interleaved across the stations, batch check-ins of a
// station to a command (domain.CheckIns) when batch > 1.
func (b *bench) prepare(ctx context.Context, sc *scenario.Scenario, next *int, n, stations, batch int) ([]scenario.Step, error) {
	var queues [][]scenario.Step
	total := 0
	for total < n || len(queues) < stations {
		if *next >= len(sc.Units()) {
			return nil, fmt.Errorf("benchmark: the province has too few check-ins for %d events", n)
		}
		p := sc.Polls(*next)
		*next++
		for _, st := range p.Setup {
			if _, err := b.n.Ledger.Execute(ctx, st.Cmd, st.Meta); err != nil {
				return nil, fmt.Errorf("benchmark: setup %s: %w", st.Cmd.CommandType(), err)
			}
		}
		for _, q := range p.CheckIns {
			queues = append(queues, batchCheckIns(q, batch))
			total += len(q)
		}
	}
	return interleave(queues, (n+batch-1)/batch), nil
}

// batchCheckIns groups a station's check-ins, in order, batch to a
// command; each batch carries the last check-in's metadata.
func batchCheckIns(q []scenario.Step, batch int) []scenario.Step {
	if batch <= 1 {
		return q
	}
	var out []scenario.Step
	for start := 0; start < len(q); start += batch {
		part := q[start:min(start+batch, len(q))]
		c := domain.CheckIns{StationAddr: part[0].Cmd.(domain.CheckIn).StationAddr}
		for _, st := range part {
			c.CheckIns = append(c.CheckIns, st.Cmd.(domain.CheckIn).Item(st.Meta.OccurredAt))
		}
		last := part[len(part)-1]
		out = append(out, scenario.Step{Cmd: c, Meta: last.Meta, Round: last.Round})
	}
	return out
}

// interleave takes n steps round-robin from the queues.
func interleave(queues [][]scenario.Step, n int) []scenario.Step {
	out := make([]scenario.Step, 0, n)
	for i := 0; len(out) < n; i++ {
		progressed := false
		for _, q := range queues {
			if i < len(q) && len(out) < n {
				out = append(out, q[i])
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	return out
}

// record executes steps with w recorders, each keeping up to window
// commands in flight, and measures each command from its submission to
// its durability.
func (b *bench) record(ctx context.Context, steps []scenario.Step, w, window int, underLoad bool) (Throughput, error) {
	lat := make([]time.Duration, len(steps))
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	stopLag, stopQueries := func() {}, func() error { return nil }
	if underLoad {
		stopLag = b.sampleLag(ctx)
		stopQueries = b.queryTurnout(ctx, steps)
	}
	start := time.Now()
	var wg sync.WaitGroup
	fail := func(err error) { once.Do(func() { firstErr = fmt.Errorf("benchmark: check-in: %w", err) }) }
	for range w {
		wg.Go(func() {
			type inflight struct {
				i     int
				start time.Time
				p     *app.Pending
			}
			var queue []inflight
			wait := func(f inflight) bool {
				_, err := f.p.Wait(ctx)
				lat[f.i] = time.Since(f.start)
				if err != nil {
					fail(err)
				}
				return err == nil
			}
			defer func() {
				for _, f := range queue {
					wait(f)
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(steps) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				p, err := b.n.Ledger.Submit(ctx, steps[i].Cmd, steps[i].Meta)
				if err != nil {
					fail(err)
					return
				}
				queue = append(queue, inflight{i, t, p})
				if len(queue) >= window {
					if !wait(queue[0]) {
						return
					}
					queue = queue[1:]
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	stopLag()
	qerr := stopQueries()
	if firstErr != nil {
		return Throughput{}, firstErr
	}
	if qerr != nil {
		return Throughput{}, qerr
	}
	return throughput(len(steps), d, lat), ctx.Err()
}

// sampleLag samples the stream's last sequence against the durable
// position every 20ms until stopped.
func (b *bench) sampleLag(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var maxLag, sum, maxBehind uint64
	var samples int
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			last, err := b.n.Store.StreamLastSeq(ctx)
			if err != nil {
				continue
			}
			seq, _ := b.n.Store.Position()
			lag := last - min(last, seq)
			maxLag, sum, samples = max(maxLag, lag), sum+lag, samples+1
			maxBehind = max(maxBehind, b.projectionLag(ctx))
		}
	}()
	return func() {
		cancel()
		<-done
		b.rep.IngestLagMaxMsgs, b.rep.LagSamples = maxLag, samples
		if samples > 0 {
			b.rep.IngestLagMeanMsgs = float64(sum) / float64(samples)
		}
		b.rep.ProjectionLagMaxEvents = maxBehind
		b.rep.ProjectionLagNote = "read models and the Merkle tree apply in the ingest batch: their lag behind the stream is the ingest lag plus projection_lag_max_events"
	}
}

// turnoutQueryEvery is how often the turnout reader reads the province's
// and the village's turnout during the concurrent run: about 1,000 reads
// a second, far more than dashboards ask for, while taking little of the
// CPU from the command path.
const turnoutQueryEvery = 2 * time.Millisecond

// queryTurnout reads the turnout of the province and of the village of
// the first of steps, each turnoutQueryEvery, timing each read, until
// stopped; stop returns the first read that failed.
func (b *bench) queryTurnout(ctx context.Context, steps []scenario.Step) (stop func() error) {
	if len(steps) == 0 || b.n.Projections == nil {
		return func() error { return nil }
	}
	levels := steps[0].Cmd.Target().Region.Levels()
	if len(levels) == 0 {
		return func() error { return nil }
	}
	regions := []string{string(levels[0]), string(levels[len(levels)-1])}
	probe := StartTurnoutProbe(ctx, b.n.Store.DB(), regions, turnoutQueryEvery)
	return func() error {
		q, err := probe()
		b.rep.TurnoutQueries, b.rep.TurnoutQueryRegions = q.Queries, q.Regions
		b.rep.TurnoutQueryP50ms, b.rep.TurnoutQueryP99ms, b.rep.TurnoutQueryMaxms = q.P50ms, q.P99ms, q.Maxms
		return err
	}
}

// QueryStats are the latencies of the reads a turnout probe made.
type QueryStats struct {
	Regions []string `json:"regions"`
	Queries int      `json:"queries"`
	P50ms   float64  `json:"p50_ms"`
	P99ms   float64  `json:"p99_ms"`
	Maxms   float64  `json:"max_ms"`
}

// StartTurnoutProbe reads the turnout read model of each region in turn,
// once at start and then every period, timing each read, until the
// returned stop is called; stop returns the latencies and the first read
// that failed. It stands for a dashboard or a supervisor polling while
// the ledger records.
func StartTurnoutProbe(ctx context.Context, db *pebble.DB, regions []string, every time.Duration) (stop func() (QueryStats, error)) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var lat []time.Duration
	var qerr error
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for { // the first reads at once, then one round each tick
			for _, r := range regions {
				t := time.Now()
				_, err := projections.TurnoutOfRegion(ctx, db, r)
				if err != nil {
					if ctx.Err() == nil {
						qerr = fmt.Errorf("benchmark: turnout of %s: %w", r, err)
					}
					return
				}
				lat = append(lat, time.Since(t))
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() (QueryStats, error) {
		cancel()
		<-done
		q := QueryStats{Regions: regions, Queries: len(lat)}
		if len(lat) > 0 {
			t := throughput(len(lat), 0, lat) // sorts lat
			q.P50ms, q.P99ms, q.Maxms = t.P50ms, t.P99ms, float64(lat[len(lat)-1])/1e6
		}
		return q, qerr
	}
}

// projectionLag returns how many events the furthest-behind read model
// is behind Pebble's log, 0 when the node has no read models.
func (b *bench) projectionLag(ctx context.Context) uint64 {
	if b.n.Projections == nil {
		return 0
	}
	lags, err := b.n.Projections.Lags(ctx, b.n.Store.DB())
	if err != nil {
		return 0
	}
	var behind uint64
	for _, l := range lags {
		behind = max(behind, l.Behind)
	}
	return behind
}

// PeakRSS reads VmHWM (peak resident set) from /proc/self/status; 0 if unknown.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func pebbleDir(n *node.Node) string { return eventstore.PebblePath(n.Config.DataDir) }
