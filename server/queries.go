package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
	"ledger/history"
	"ledger/projections"
)

// body wraps a query's answer.
type body[T any] struct{ Body T }

func answer[T any](v T, err error) (*body[T], error) {
	if err != nil {
		return nil, queryProblem(err)
	}
	return &body[T]{v}, nil
}

func queryProblem(err error) error {
	if errors.Is(err, projections.ErrNotFound) || errors.Is(err, history.ErrNotFound) {
		return errAbsent()
	}
	p, _ := problemOf(err)
	return p
}

// get registers a read route of class c.
func get[I, O any](s *Server, opID, path, summary, tag string, c readClass, h func(context.Context, *I) (*O, error)) {
	huma.Register(s.api, huma.Operation{OperationID: opID, Method: http.MethodGet, Path: path, Summary: summary,
		Tags: []string{tag}, Errors: []int{400, 401, 403, 404},
		Metadata: map[string]any{allowKey: func(t Token) bool { return t.readsClass(c) }}}, h)
}

type regionIn struct {
	Region string `path:"region" pattern:"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$" doc:"administrative division code, 2 to 12 digits"`
}

type electionIn struct {
	ElectionID string `path:"election_id" doc:"the election's ULID"`
}

type stationIn struct {
	StationID string `path:"station_id" doc:"the station's ULID"`
}

type consultationIn struct {
	ConsultationID string `path:"consultation_id" doc:"the consultation's ULID"`
}

type reconIn struct {
	ElectionID string `path:"election_id"`
	Round      int    `query:"round" minimum:"0" doc:"the round (default 1)"`
}

// checkRead applies the scope of an operational read: what is out of
// scope answers as if it did not exist.
func checkRead(ctx context.Context, tg target) error {
	if !tokenFrom(ctx).mayRead(readOperational, tg) {
		return errAbsent()
	}
	return nil
}

// errAbsent is the one answer for what does not exist or is outside the
// caller's scope: it names nothing the caller did not send.
func errAbsent() *Problem {
	return newProblem(classNotFound, "not_found", "未找到", "not found")
}

// registerQueries adds one route per read model query.
func (s *Server) registerQueries() {
	s.registerTurnout()
	s.registerResults()
	s.registerConsultations()
	s.registerAuditTrail()
	s.registerDesk()
	s.registerRegions()
}

// registerRegions adds the region register: names are public reference data.
func (s *Server) registerRegions() {
	db := s.n.Store.DB()
	get(s, "region", "/api/v1/regions/{region}", "A region's recorded name, the names above it and its subdivisions", "regions", readPublished,
		func(ctx context.Context, in *regionIn) (*body[projections.RegionView], error) {
			return answer(projections.RegionOf(ctx, db, in.Region))
		})
}

func (s *Server) registerTurnout() {
	db := s.n.Store.DB()
	get(s, "turnout-region", "/api/v1/turnout/regions/{region}", "Turnout of a region (any level)", "turnout", readPublished,
		func(ctx context.Context, in *regionIn) (*body[projections.RegionTurnout], error) {
			return answer(projections.TurnoutOfRegion(ctx, db, in.Region))
		})
	get(s, "turnout-region-children", "/api/v1/turnout/regions/{region}/children", "Turnout of a region's subdivisions", "turnout", readPublished,
		func(ctx context.Context, in *regionIn) (*body[[]projections.RegionTurnout], error) {
			return answer(projections.TurnoutOfChildren(ctx, db, in.Region))
		})
	get(s, "turnout-region-series", "/api/v1/turnout/regions/{region}/series", "Check-ins per 15 minutes in a region", "turnout", readPublished,
		func(ctx context.Context, in *regionIn) (*body[[]projections.SeriesPoint], error) {
			return answer(projections.CheckInSeries(ctx, db, "region", in.Region))
		})
	get(s, "turnout-election", "/api/v1/turnout/elections/{election_id}", "Turnout of an election and its stations", "turnout", readPublished,
		func(ctx context.Context, in *electionIn) (*body[projections.ElectionTurnout], error) {
			return answer(projections.TurnoutOfElection(ctx, db, in.ElectionID))
		})
	get(s, "turnout-election-series", "/api/v1/turnout/elections/{election_id}/series", "Check-ins per 15 minutes of an election", "turnout", readPublished,
		func(ctx context.Context, in *electionIn) (*body[[]projections.SeriesPoint], error) {
			return answer(projections.CheckInSeries(ctx, db, "election", in.ElectionID))
		})
	get(s, "turnout-station", "/api/v1/turnout/stations/{station_id}", "Turnout at a polling station or mobile box", "turnout", readPublished,
		func(ctx context.Context, in *stationIn) (*body[projections.StationTurnout], error) {
			return answer(projections.TurnoutOfStation(ctx, db, in.StationID))
		})
}

func (s *Server) registerResults() {
	db := s.n.Store.DB()
	get(s, "results-election", "/api/v1/results/elections/{election_id}", "Results of an election: rounds, votes, members", "results", readPublished,
		func(ctx context.Context, in *electionIn) (*body[projections.ElectionResults], error) {
			return answer(projections.ResultsOf(ctx, db, in.ElectionID))
		})
	get(s, "reconciliation-election", "/api/v1/reconciliation/elections/{election_id}", "Reconciliation of an election's ballot boxes in a round", "results", readOperational,
		func(ctx context.Context, in *reconIn) (*body[projections.ElectionReconciliation], error) {
			t, err := projections.TurnoutOfElection(ctx, db, in.ElectionID)
			if err != nil {
				return nil, queryProblem(err)
			}
			if err := checkRead(ctx, target{Kind: domain.KindElection, Region: t.Region, ElectionID: in.ElectionID}); err != nil {
				return nil, err
			}
			return answer(projections.ReconciliationOf(ctx, db, in.ElectionID, in.Round))
		})
}

func (s *Server) registerConsultations() {
	db := s.n.Store.DB()
	get(s, "resolutions-region", "/api/v1/resolutions/regions/{region}", "Published consultation outcomes per community: meetings, resolutions, adopted", "consultations", readPublished,
		func(ctx context.Context, in *regionIn) (*body[[]projections.CommunityConsultations], error) {
			rep, err := projections.ConsultationsIn(ctx, db, in.Region, time.Now())
			return answer(rep.Communities, err)
		})
	get(s, "consultations-region", "/api/v1/consultations/regions/{region}", "Consultations of a region with their tasks", "consultations", readOperational,
		func(ctx context.Context, in *regionIn) (*body[projections.ConsultationReport], error) {
			if err := checkRead(ctx, target{Kind: domain.KindConsultation, Region: in.Region}); err != nil {
				return nil, err
			}
			return answer(projections.ConsultationsIn(ctx, db, in.Region, time.Now()))
		})
	get(s, "consultation", "/api/v1/consultations/{consultation_id}", "One consultation", "consultations", readOperational,
		func(ctx context.Context, in *consultationIn) (*body[projections.ConsultationView], error) {
			v, err := projections.ConsultationOf(ctx, db, in.ConsultationID, time.Now())
			if err != nil {
				return nil, queryProblem(err)
			}
			if err := checkRead(ctx, target{Kind: domain.KindConsultation, Region: v.Region}); err != nil {
				return nil, err
			}
			return answer(v, nil)
		})
	get(s, "supervision-region", "/api/v1/supervision/regions/{region}", "Inspections, findings and rectification orders of a region", "supervision", readOperational,
		func(ctx context.Context, in *regionIn) (*body[projections.SupervisionReport], error) {
			if err := checkRead(ctx, target{Kind: domain.KindInspection, Region: in.Region}); err != nil {
				return nil, err
			}
			return answer(projections.SupervisionIn(ctx, db, in.Region, time.Now()))
		})
}

type auditIn struct {
	Kind   string    `query:"kind" enum:"election,station,consultation,inspection," doc:"an aggregate kind (with id)"`
	ID     string    `query:"id" doc:"an aggregate ID (with kind)"`
	Actor  string    `query:"actor"`
	Region string    `query:"region" doc:"a region code prefix"`
	From   time.Time `query:"from" doc:"at or after this time on the clock (RFC 3339)"`
	To     time.Time `query:"to" doc:"before this time on the clock (RFC 3339)"`
	Clock  string    `query:"clock" enum:"occurred,recorded," doc:"which time from and to are read on: recorded (default; when the ledger recorded the event) or occurred (when the act happened)"`
	After  uint64    `query:"after" doc:"resume after this log position"`
	Limit  int       `query:"limit" minimum:"0" maximum:"10000" doc:"default 100"`
}

type stateIn struct {
	Kind     string    `path:"kind" enum:"election,station,consultation,inspection"`
	ID       string    `path:"id"`
	Region   string    `query:"region" required:"true" doc:"the aggregate's region code"`
	Position uint64    `query:"position" doc:"as of this log position"`
	Time     time.Time `query:"time" doc:"as of this time (RFC 3339)"`
	Clock    string    `query:"clock" enum:"occurred,recorded," doc:"which time time is read on: occurred (default; the state of the world then) or recorded (what the ledger held then)"`
}

type stateOut struct {
	Kind    string       `json:"kind"`
	Version uint64       `json:"version"`
	State   domain.State `json:"state"`
}

type positionIn struct {
	Position uint64 `path:"position" minimum:"1"`
}

// inRegion answers an aggregate recorded in another region than ref names
// as absent, naming neither its region nor its ID.
func (s *Server) inRegion(ctx context.Context, ref domain.AggregateRef) error {
	page, err := history.Trail(ctx, s.n.Store.Log(), history.Query{Kind: string(ref.Kind), ID: ref.ID, Limit: 1})
	if err != nil {
		return queryProblem(err)
	}
	if len(page.Entries) > 0 && page.Entries[0].Region != string(ref.Region) {
		return errAbsent()
	}
	return nil
}

func (s *Server) registerAuditTrail() {
	db := s.n.Store.DB()
	get(s, "audit-events", "/api/v1/audit/events", "Audit trail: who recorded what, when, on which aggregate", "audit", readAudit,
		func(ctx context.Context, in *auditIn) (*body[history.Page], error) {
			clock, _ := history.ParseClock(in.Clock, history.Recorded) // the enum allows only known clocks
			return answer(history.Trail(ctx, s.n.Store.Log(), history.Query{Kind: in.Kind, ID: in.ID, Actor: in.Actor,
				Region: in.Region, From: in.From, To: in.To, Clock: clock, After: in.After, Limit: in.Limit}))
		})
	get(s, "audit-state", "/api/v1/audit/state/{kind}/{id}", "An aggregate's state as of a log position or time", "audit", readAudit,
		func(ctx context.Context, in *stateIn) (*body[stateOut], error) {
			if _, err := ulid.ParseStrict(in.ID); err != nil {
				return nil, newProblem(classInvalid, "invalid_id", "对象编号须为ULID", "an aggregate ID must be a ULID")
			}
			ref := domain.AggregateRef{Kind: domain.AggregateKind(in.Kind), ID: in.ID, Region: domain.Region(in.Region)}
			if err := s.inRegion(ctx, ref); err != nil {
				return nil, err
			}
			clock, _ := history.ParseClock(in.Clock, history.Occurred) // the enum allows only known clocks
			st, v, err := history.StateAt(ctx, s.n.Store.Log(), ref, history.AsOf{Position: in.Position, Time: in.Time, Clock: clock})
			return answer(stateOut{Kind: in.Kind, Version: v, State: st}, err)
		})
	get(s, "event", "/api/v1/events/{position}", "One event of the log by position", "audit", readAudit,
		func(ctx context.Context, in *positionIn) (*body[Event], error) {
			e, err := s.n.Store.Event(in.Position)
			return answer(eventOf(e), err)
		})
	if set := s.opts.Projections; set != nil {
		get(s, "lag", "/api/v1/lag", "How far each read model is behind the log", "audit", readAudit,
			func(ctx context.Context, _ *struct{}) (*body[[]projections.Lag], error) {
				return answer(set.Lags(ctx, db))
			})
	}
}
