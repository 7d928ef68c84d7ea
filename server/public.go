package server

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"

	"ledger/projections"
)

// The public view: read-only routes under /api/v1/public/ that need no
// token, on unless Options.NoPublic. They give what the law makes public:
// turnout (counts, never who voted or when), declared results and the
// notices' facts (never a live tally, never a box's tally), the latest
// signed checkpoint, and receipts of the events that are themselves public
// notices. Each client address may make PublicRate requests a second, with
// bursts of PublicBurst.

// publicEventTypes are the event types whose receipts the public may
// fetch: the facts posted on notice boards. Roll, proxy, check-in and
// ballot events are not among them.
var publicEventTypes = map[string]bool{
	"election.called": true, "election.candidates_published": true, "election.round_started": true,
	"election.round_declared": true, "election.result_announced": true, "election.result_certified": true,
	"election.voided": true, "election.by_election_called": true, "election.member_removed": true,
	"election.recall_voted": true, "station.established": true, "station.count_closed": true,
	"regions.recorded": true,
}

// PublicResults is an election's result as the public sees it: declared
// rounds with their figures; a round not yet declared shows its phase only.
type PublicResults = projections.ElectionResults

func publicResults(r projections.ElectionResults) PublicResults {
	out := r
	out.Rounds = make([]projections.RoundResults, len(r.Rounds))
	for i, rr := range r.Rounds {
		if rr.Phase != projections.PhaseDeclared {
			rr = projections.RoundResults{Round: rr.Round, Kind: rr.Kind, Seats: rr.Seats, Phase: rr.Phase, Status: rr.Status}
		}
		out.Rounds[i] = rr
	}
	return out
}

// registerPublic adds the token-free routes.
func (s *Server) registerPublic() {
	if s.opts.NoPublic {
		return
	}
	db := s.n.Store.DB()
	lim := newClientLimiter(s.opts.PublicRate, s.opts.PublicBurst)
	pub := func(opID, path, summary string) huma.Operation {
		return huma.Operation{OperationID: opID, Method: http.MethodGet, Path: path, Summary: summary,
			Tags: []string{"public"}, Errors: []int{400, 404, 429}, Middlewares: huma.Middlewares{lim.middleware}}
	}
	huma.Register(s.api, pub("public-turnout-region", "/api/v1/public/turnout/regions/{region}", "Turnout of a region, without a token"),
		func(ctx context.Context, in *regionIn) (*body[projections.RegionTurnout], error) {
			return answer(projections.TurnoutOfRegion(ctx, db, in.Region))
		})
	huma.Register(s.api, pub("public-turnout-region-children", "/api/v1/public/turnout/regions/{region}/children", "Turnout of a region's subdivisions, without a token"),
		func(ctx context.Context, in *regionIn) (*body[[]projections.RegionTurnout], error) {
			return answer(projections.TurnoutOfChildren(ctx, db, in.Region))
		})
	huma.Register(s.api, pub("public-region", "/api/v1/public/regions/{region}", "A region's recorded name, the names above it and its subdivisions, without a token"),
		func(ctx context.Context, in *regionIn) (*body[projections.RegionView], error) {
			return answer(projections.RegionOf(ctx, db, in.Region))
		})
	huma.Register(s.api, pub("public-turnout-election", "/api/v1/public/turnout/elections/{election_id}", "Turnout of an election and its stations, without a token"),
		func(ctx context.Context, in *electionIn) (*body[projections.ElectionTurnout], error) {
			return answer(projections.TurnoutOfElection(ctx, db, in.ElectionID))
		})
	huma.Register(s.api, pub("public-results-election", "/api/v1/public/results/elections/{election_id}", "Declared results of an election, without a token"),
		func(ctx context.Context, in *electionIn) (*body[PublicResults], error) {
			r, err := projections.ResultsOf(ctx, db, in.ElectionID)
			if err != nil {
				return nil, queryProblem(err)
			}
			return &body[PublicResults]{publicResults(r)}, nil
		})
	s.registerPublicAudit(pub)
}

func (s *Server) registerPublicAudit(pub func(opID, path, summary string) huma.Operation) {
	huma.Register(s.api, pub("public-checkpoint", "/api/v1/public/checkpoint", "Latest signed checkpoint, without a token"),
		s.latestCheckpoint)
	huma.Register(s.api, pub("public-receipt", "/api/v1/public/receipts/{event_id}", "Receipt of a public event (a notice's fact), without a token"),
		func(ctx context.Context, in *eventIDInput) (*receiptOutput, error) {
			env, err := s.n.Store.EventByID(in.EventID)
			if err != nil || !publicEventTypes[env.Type] {
				return nil, newProblem(classNotFound, "not_public", "没有此公开事件", "no such public event")
			}
			return s.receiptOf(ctx, env)
		})
}

// clientLimiter limits requests per client address with a token bucket
// each. It forgets every bucket when it holds too many, so that its
// memory stays bounded whatever the number of clients.
type clientLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	every   rate.Limit
	burst   int
}

const maxClientBuckets = 10000

func newClientLimiter(perSecond float64, burst int) *clientLimiter {
	return &clientLimiter{buckets: map[string]*rate.Limiter{}, every: rate.Limit(perSecond), burst: burst}
}

func (l *clientLimiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxClientBuckets {
			clear(l.buckets)
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[client] = b
	}
	return b.Allow()
}

func (l *clientLimiter) middleware(ctx huma.Context, next func(huma.Context)) {
	host, _, err := net.SplitHostPort(ctx.RemoteAddr())
	if err != nil {
		host = ctx.RemoteAddr()
	}
	if !l.allow(host) {
		p := newProblem(classBusy, "rate_limited", "请求过于频繁，请稍后再试", "too many requests; try again shortly")
		ctx.SetHeader("Retry-After", "1")
		writeProblem(ctx, p)
		return
	}
	next(ctx)
}
