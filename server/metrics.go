package server

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	commands *prometheus.CounterVec
	cmdTime  *prometheus.HistogramVec
	rejected prometheus.Counter
	inflight prometheus.GaugeFunc
}

func newMetrics(s *Server, reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{reg: reg}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_http_requests_total",
		Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ledger_http_request_duration_seconds",
		Help: "HTTP request latency by method and route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)},
		[]string{"method", "route"})
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_commands_total",
		Help: "Commands by type and outcome (recorded, duplicate, refused, error); rate() is the append rate."},
		[]string{"command", "outcome"})
	m.cmdTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ledger_append_duration_seconds",
		Help: "Latency of a command from decision to durable acknowledgement.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)},
		[]string{"command"})
	m.rejected = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_writes_rejected_total",
		Help: "Writes refused with 503 because the in-flight limit was reached."})
	m.inflight = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_writes_in_flight",
		Help: "Commands being executed."}, func() float64 { return float64(len(s.writes)) })
	st := s.n.Store
	events := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ledger_events_appended_total",
		Help: "Events appended by this node."}, func() float64 { return float64(st.Stats().Appended.Load()) })
	pos := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_durable_position",
		Help: "Last durable (fsynced) log position."}, func() float64 { _, p := st.Position(); return float64(p) })
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_ingest_lag_messages",
		Help: "Stream messages not yet durable in this node's Pebble."}, func() float64 { return float64(s.ingestLag()) })
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	republished := counter("ledger_stream_messages_republished_total",
		"Stream messages put back from Pebble's log at their positions by repair, after the stream lost its tail.", &st.Stats().Republished)
	undecodable := counter("ledger_stream_messages_undecodable_total",
		"Stream messages ingest skipped because they are not ledger records or their hash does not match.", &st.Stats().BadMessages)
	chainBreaks := counter("ledger_chain_breaks_total",
		"Events that did not follow their aggregate's hash chain; ingest stops at the first.", &st.Stats().ChainBreaks)
	integrity := counter("ledger_integrity_problems_total",
		"Disagreements the scrub found between the stream and Pebble (the first is kept; /readyz is not ready and no checkpoint is signed after it).", &st.Stats().ScrubProblems)
	scrubbed := counter("ledger_scrubbed_events_total",
		"Events the scrub re-read from the stream, re-hashed and compared with Pebble's.", &st.Stats().Scrubbed)
	fsyncs := counter("ledger_pebble_fsyncs_total",
		"Fsyncs of Pebble's log by ingest; each covers every batch applied before it (group commit).", &st.Stats().Syncs)
	fsyncTime := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ledger_pebble_fsync_seconds_total",
		Help: "Time Pebble's fsyncs took; divided by ledger_pebble_fsyncs_total, the mean fsync: the disk's share of append latency."},
		func() float64 { return float64(st.Stats().SyncNanos.Load()) / 1e9 })
	age := (&checkpointAge{}).collector(s)
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.commands, m.cmdTime, m.rejected, m.inflight, events, pos, lag, age,
		newProjectionLag(s), newWitnessCollector(s), republished, undecodable, chainBreaks, integrity, scrubbed, fsyncs, fsyncTime} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ingestLag is the stream's last sequence minus the durable one.
func (s *Server) ingestLag() uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	last, err := s.n.Store.StreamLastSeq(ctx)
	seq, _ := s.n.Store.Position()
	if err != nil || last < seq {
		return 0
	}
	return last - seq
}

// request counts one request. Labels come from fixed sets: methodLabel's,
// the routes' templates and the statuses the server writes.
func (m *metrics) request(method, route string, status int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

func (m *metrics) command(ct, outcome string, d time.Duration) {
	m.commands.WithLabelValues(ct, outcome).Inc()
	if outcome == "recorded" {
		m.cmdTime.WithLabelValues(ct).Observe(d.Seconds())
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// projectionLag reports each read model's lag behind the log at scrape time.
type projectionLag struct {
	s    *Server
	desc *prometheus.Desc
}

func newProjectionLag(s *Server) *projectionLag {
	return &projectionLag{s: s, desc: prometheus.NewDesc("ledger_projection_lag_events",
		"Log positions not yet applied by a read model.", []string{"projection"}, nil)}
}

func (p *projectionLag) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

func (p *projectionLag) Collect(ch chan<- prometheus.Metric) {
	if p.s.opts.Projections == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	lags, err := p.s.opts.Projections.Lags(ctx, p.s.n.Store.DB())
	if err != nil {
		return
	}
	for _, l := range lags {
		ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, float64(l.Behind), l.Name)
	}
}
