// Package server is the ledger's HTTP API: one route per command of the
// domain and per read model, under /api/v1, described by an OpenAPI 3.1
// document at /openapi.json that huma generates from the Go types.
//
// Writes: POST /api/v1/commands/{command_type}, one route per
// domain.CommandTypes() entry, with the command's JSON as the body (decoded
// strictly: unknown fields are refused), an Idempotency-Key header (a ULID,
// the command ID; Command-Id is accepted too) and an optional Occurred-At
// header (RFC 3339). A retry with the same ID returns the original outcome
// (200, Idempotent-Replayed: true); the same ID with another body is
// refused (422 command_id_reused): the server keeps the SHA-256 of each
// command's type and canonical body under "z/cmd/<id>" in Pebble, and when
// that record is missing (another node took the command, or the record was
// lost in a crash before an fsync) it compares the target aggregate of the
// recorded events instead.
//
// Errors are RFC 9457 problem+json ([Problem]) with a stable code, the rule
// broken and messages in Chinese and English; statusOf is the one table
// from error classes to statuses.
//
// Who may do what is decided by bearer tokens ([Tokens], [Role]): see
// Token.mayWrite and Token.mayRead.
package server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"ledger/audit"
	"ledger/node"
	"ledger/projections"
)

// Options configure a Server; zero values mean defaults.
type Options struct {
	// Logger receives one line per request. Default: discard.
	Logger *slog.Logger
	// MaxInFlightWrites bounds concurrent commands. Default 256.
	MaxInFlightWrites int
	// WriteQueueWait is how long a write waits for a slot before the
	// server answers 503 with Retry-After. Default 100ms.
	WriteQueueWait time.Duration
	// MaxBodyBytes limits command bodies. Default 1 MiB.
	MaxBodyBytes int64
	// MaxBatchBodyBytes limits register_voters bodies. Default 8 MiB.
	MaxBatchBodyBytes int64
	// Registerer receives the server's metrics. Default: a new registry,
	// served at /metrics with the Go and process collectors.
	Registry *prometheus.Registry
	// Projections is the node's read models, for their lag; nil: no lag
	// route or metric (the queries work on the store's DB regardless).
	Projections *projections.Set
	// Tree and Checkpointer serve receipts and checkpoints. Default: the
	// node's; nil there too: the audit routes answer 503.
	Tree         *audit.Tree
	Checkpointer *audit.Checkpointer
	// MinFreeBytes: below this much free space on the data directory's
	// disk (or with the disk read-only), writes are refused with 507 and
	// Retry-After. Default 64 MiB; negative: no check.
	MinFreeBytes int64
	// Fallback serves every path no API route claims (the dashboard).
	// Default: none (404).
	Fallback http.Handler
	// StreamPoll is how often live turnout streams look at the read model
	// when the log moved. Default 250ms.
	StreamPoll time.Duration
	// NoPublic turns off the token-free public routes (/api/v1/public/...).
	NoPublic bool
	// PublicRate and PublicBurst limit the public routes per client
	// address: requests a second, and the burst. Default 5 and 20.
	PublicRate  float64
	PublicBurst int
	// StreamReauth is how often an open stream checks that its token is
	// neither revoked nor expired; it ends within this time of either.
	// Default 500ms.
	StreamReauth time.Duration
	// Limits are the timeouts and limits of connections, streams and
	// request rates.
	Limits Limits
}

func (o *Options) setDefaults() {
	if o.PublicRate <= 0 {
		o.PublicRate = 5
	}
	if o.PublicBurst <= 0 {
		o.PublicBurst = 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxInFlightWrites == 0 {
		o.MaxInFlightWrites = 256
	}
	if o.WriteQueueWait == 0 {
		o.WriteQueueWait = 100 * time.Millisecond
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxBatchBodyBytes == 0 {
		o.MaxBatchBodyBytes = 8 << 20
	}
	o.Limits.setDefaults()
	if o.StreamReauth == 0 {
		o.StreamReauth = 500 * time.Millisecond
	}
	if o.StreamPoll == 0 {
		o.StreamPoll = 250 * time.Millisecond
	}
}

// Server serves one node over HTTP. Build it with New; it starts no
// goroutines until Serve.
type Server struct {
	n       *node.Node
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	api     huma.API
	tokens  *Tokens
	writes  chan struct{} // semaphore of in-flight writes
	pending sync.Map      // command IDs in flight
	metrics *metrics
	closing chan struct{} // closed when shutdown starts: streams end
	disk    *diskGuard
	once    sync.Once
	streams streamSlots
	rates   rates
}

// New builds the server of node n.
func New(n *node.Node, opts Options) (*Server, error) {
	opts.setDefaults()
	if opts.Projections == nil {
		opts.Projections = n.Projections
	}
	if opts.Tree == nil {
		opts.Tree, opts.Checkpointer = n.Tree, n.Checkpointer
	}
	s := &Server{n: n, opts: opts, log: opts.Logger, mux: http.NewServeMux(),
		tokens: NewTokens(n.Store.DB()), writes: make(chan struct{}, opts.MaxInFlightWrites),
		closing: make(chan struct{}), streams: streamSlots{perToken: map[string]int{}}, rates: rates{byID: map[string]*rate.Limiter{}}}
	var err error
	if s.metrics, err = newMetrics(s, opts.Registry); err != nil {
		return nil, err
	}
	s.api = humago.New(s.mux, apiConfig())
	s.api.UseMiddleware(s.authMiddleware(s.api))
	s.registerOps()
	s.registerCommands()
	s.registerQueries()
	s.registerStreams()
	s.registerAudit()
	s.registerPublic()
	s.registerWitnesses()
	s.registerTokens()
	if opts.MinFreeBytes >= 0 {
		s.disk = &diskGuard{dir: n.Config.DataDir, minFree: uint64(cmp.Or(opts.MinFreeBytes, 64<<20))}
	}
	return s, nil
}

func apiConfig() huma.Config {
	cfg := huma.DefaultConfig("ledger", "1.0.0")
	cfg.CreateHooks = nil // no $schema links in bodies
	cfg.Info.Description = "Event-sourced ledger of community committee elections, consultations and supervision. " +
		"Errors are RFC 9457 problem+json with a stable code, the rule broken and messages in Chinese (zh) and English (en)."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "a token from `ledger token create`"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	return cfg
}

// API returns the huma API (for its OpenAPI document).
func (s *Server) API() huma.API { return s.api }

// Tokens returns the server's token store.
func (s *Server) Tokens() *Tokens { return s.tokens }

// Handler returns the server's HTTP handler: routes, logs and metrics,
// security headers on every answer, and the checks every request passes
// before routing.
func (s *Server) Handler() http.Handler { return s.logged(secure(strict(s.routed()))) }

// Serve serves on ln until ctx ends, then shuts down gracefully: streams
// end at once, other requests get up to grace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := s.opts.Limits.httpServer(s.Handler())
	srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	ln = newLimitListener(ln, s.opts.Limits.MaxConns)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Close ends the server's streams. Serve calls it on shutdown.
func (s *Server) Close() { s.once.Do(func() { close(s.closing) }) }

// reqInfo is what the log line of a request needs from inside the routes.
type reqInfo struct {
	actor string
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streams flush through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logged logs one line per request (method, route, status, duration,
// actor; never tokens, bodies or query strings) and counts it.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqInfo{}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey, info))
		next.ServeHTTP(sw, r)
		route := r.Pattern // set by the mux
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.request(r.Method, route, sw.status, d)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", slog.String("method", r.Method),
			slog.String("route", route), slog.Int("status", sw.status), slog.Duration("duration", d),
			slog.String("actor", info.actor))
	})
}
