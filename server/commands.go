package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/danielgtaylor/huma/v2"
	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
	"ledger/envelope"
	"ledger/eventstore"
)

// CommandPath is the route of a command type.
func CommandPath(commandType string) string { return "/api/v1/commands/" + commandType }

type commandInput struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"the command ID: a ULID chosen by the client; a retry reuses it"`
	CommandID      string `header:"Command-Id" doc:"alternative to Idempotency-Key"`
	OccurredAt     string `header:"Occurred-At" doc:"when it happened: RFC 3339, or without offset in China time (2026-11-10T14:30); default: now"`
	Receipt        bool   `query:"receipt" doc:"include the events' receipts (inclusion proofs in a signed checkpoint)"`
	RawBody        []byte `contentType:"application/json"`
}

// CommandResponse is the outcome of a recorded command (envelope.CommandResponse).
type CommandResponse = envelope.CommandResponse

// Event is a recorded event as the API shows it: the envelope with its
// payload as JSON (envelope.Event).
type Event = envelope.Event

func eventOf(e eventstore.Envelope) Event {
	ev := envelope.EventOf(&e)
	ev.Seq = 0 // the response gives the message's sequence once
	return ev
}

type commandOutput struct {
	Status   int
	Replayed string `header:"Idempotent-Replayed"`
	Body     CommandResponse
}

// registerCommands adds one route per command type of the domain, with the
// command's Go type as the request body's schema.
func (s *Server) registerCommands() {
	for _, proto := range domain.CommandTypes() {
		ct, kind := proto.CommandType(), proto.Target().Kind
		limit := s.opts.MaxBodyBytes
		if ct == (domain.RegisterVoters{}).CommandType() {
			limit = s.opts.MaxBatchBodyBytes
		}
		op := huma.Operation{
			OperationID:      "command-" + strings.ReplaceAll(ct, "_", "-"),
			Method:           http.MethodPost,
			Path:             CommandPath(ct),
			Summary:          "Record " + ct,
			Description:      "Decides the " + ct + " command against the current state of its " + string(kind) + " and records its events.",
			Tags:             []string{"commands: " + string(kind)},
			DefaultStatus:    http.StatusCreated,
			MaxBodyBytes:     limit,
			SkipValidateBody: true, // domain.DecodeCommand decodes strictly
			Errors:           []int{400, 401, 403, 404, 409, 413, 422, 503},
			Metadata:         map[string]any{allowKey: func(t Token) bool { return t.writesKind(kind) }},
		}
		huma.Register(s.api, op, s.commandHandler(ct, reflect.TypeOf(proto)))
		body := s.api.OpenAPI().Paths[op.Path].Post.RequestBody
		body.Required = true
		body.Content = map[string]*huma.MediaType{"application/json": {
			Schema: s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(proto), true, ct)}}
	}
}

func (s *Server) commandHandler(ct string, typ reflect.Type) func(context.Context, *commandInput) (*commandOutput, error) {
	return func(ctx context.Context, in *commandInput) (*commandOutput, error) {
		if !s.ready() {
			return nil, errNotReady()
		}
		if p := s.disk.check(); p != nil {
			return nil, p
		}
		meta, err := metaOf(in, tokenFrom(ctx))
		if err != nil {
			return nil, err
		}
		if p := checkKeys(in.RawBody, typ); p != nil {
			return nil, p
		}
		cmd, err := domain.DecodeCommand(ct, in.RawBody)
		if err != nil {
			p, _ := problemOf(err)
			return nil, p
		}
		if !tokenFrom(ctx).mayWrite(targetOf(cmd)) {
			return nil, errOutOfScope()
		}
		if err := validateRelated(cmd); err != nil {
			return nil, err
		}
		return s.execute(ctx, ct, cmd, meta, in.Receipt)
	}
}

// validateRelated refuses a command whose related aggregates (read, not
// written) are not addressed by ULIDs, before the store is asked to load them.
func validateRelated(cmd domain.Command) error {
	for _, r := range cmd.Related() {
		if _, err := ulid.ParseStrict(r.ID); err != nil {
			return newProblem(classInvalid, "invalid_related_id", "关联对象编号须为ULID: "+string(r.Kind),
				"the related "+string(r.Kind)+" must be addressed by a ULID")
		}
	}
	return nil
}

// metaOf reads the command ID and occurred-at of a write.
func metaOf(in *commandInput, tok Token) (app.Meta, error) {
	id := in.IdempotencyKey
	if id == "" {
		id = in.CommandID
	}
	if _, err := ulid.ParseStrict(id); err != nil {
		return app.Meta{}, newProblem(classBadRequest, "command_id_required",
			"须在 Idempotency-Key 头中提供命令编号(ULID)", "an Idempotency-Key header with the command ID (a ULID) is required")
	}
	meta := app.Meta{CommandID: id, Actor: tok.Actor}
	if in.OccurredAt != "" {
		t, err := domain.ParseTime(in.OccurredAt, domain.ChinaTime())
		if err != nil {
			return app.Meta{}, newProblem(classBadRequest, "invalid_occurred_at",
				"Occurred-At 须为 RFC 3339 时间，或不带时区的北京时间（如 2026-11-10T14:30）",
				"the Occurred-At header must be an RFC 3339 time, or a time without offset taken in China time (e.g. 2026-11-10T14:30)")
		}
		meta.OccurredAt = t
	}
	return meta, nil
}

// execute runs a decoded command with the in-flight limit and the
// command-ID checks.
func (s *Server) execute(ctx context.Context, ct string, cmd domain.Command, meta app.Meta, receipt bool) (*commandOutput, error) {
	release, err := s.acquire(ctx, meta.CommandID)
	if err != nil {
		return nil, err
	}
	defer release()
	sum := commandHash(ct, cmd)
	known, err := s.checkCommandID(meta.CommandID, sum)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	out, err := s.n.Ledger.Execute(ctx, cmd, meta)
	if err != nil {
		return nil, s.commandFailed(ctx, ct, err)
	}
	if out.Duplicate {
		s.metrics.command(ct, "duplicate", 0)
		if !known && !sameTarget(out, cmd) {
			return nil, errReused()
		}
	} else {
		s.metrics.command(ct, "recorded", time.Since(start))
		s.recordCommandID(meta.CommandID, sum)
	}
	return s.respond(ctx, meta.CommandID, out, receipt)
}

func (s *Server) commandFailed(ctx context.Context, ct string, err error) error {
	p, clientErr := problemOf(err)
	outcome := "refused"
	if !clientErr {
		outcome = "error"
		s.log.ErrorContext(ctx, "command failed", "command", ct, "err", err)
	}
	s.metrics.command(ct, outcome, 0)
	return p
}

// followUpsOf shows the follow-ups of a command, theirs flattened after each.
func followUpsOf(fs []app.FollowUp) []envelope.FollowUp {
	var out []envelope.FollowUp
	for _, f := range fs {
		r := envelope.FollowUp{CommandType: f.CommandType, CommandID: f.CommandID}
		if f.Error != nil {
			r.Error = &envelope.FollowUpError{Code: f.Error.Code, Rule: f.Error.Rule, ZH: f.Error.ZH, EN: f.Error.EN}
		}
		if f.Outcome == nil {
			out = append(out, r)
			continue
		}
		for _, e := range f.Outcome.Events {
			r.Events = append(r.Events, eventOf(e))
		}
		r.Offered = f.Outcome.Offered
		out = append(append(out, r), followUpsOf(f.Outcome.FollowUps)...)
	}
	return out
}

func (s *Server) respond(ctx context.Context, id string, out app.Outcome, receipt bool) (*commandOutput, error) {
	resp := CommandResponse{CommandID: id, Aggregate: aggregateOf(out.Aggregate), Seq: out.Seq, FirstPosition: out.FirstPosition,
		LastPosition: out.LastPosition, Version: out.Version, Duplicate: out.Duplicate, Events: make([]Event, len(out.Events))}
	for i, e := range out.Events {
		resp.Events[i] = eventOf(e)
	}
	resp.FollowUps, resp.Offered = followUpsOf(out.FollowUps), out.Offered
	if receipt {
		rs, err := s.receiptsOf(ctx, out.Events)
		if err != nil {
			return nil, err
		}
		resp.Receipts = rs
	}
	o := &commandOutput{Status: http.StatusCreated, Body: resp}
	if out.Duplicate {
		o.Status, o.Replayed = http.StatusOK, "true"
	}
	return o, nil
}

// acquire takes a write slot, waiting at most WriteQueueWait, and marks
// the command ID in flight; a second request with the same ID while the
// first runs gets 409 with Retry-After.
func (s *Server) acquire(ctx context.Context, id string) (func(), error) {
	if _, busy := s.pending.LoadOrStore(id, struct{}{}); busy {
		p := newProblem(classConflict, "command_in_progress", "相同编号的命令正在处理", "a command with this ID is being processed; retry")
		p.retry(1)
		return nil, p
	}
	select {
	case s.writes <- struct{}{}:
	default:
		t := time.NewTimer(s.opts.WriteQueueWait)
		defer t.Stop()
		select {
		case s.writes <- struct{}{}:
		case <-t.C:
			s.pending.Delete(id)
			s.metrics.rejected.Inc()
			return nil, errOverloaded()
		case <-ctx.Done():
			s.pending.Delete(id)
			return nil, errOverloaded()
		}
	}
	return func() { <-s.writes; s.pending.Delete(id) }, nil
}

// commandHash is the SHA-256 of a command's type and canonical JSON.
func commandHash(ct string, cmd domain.Command) []byte {
	b, _ := json.Marshal(cmd)
	h := sha256.New()
	h.Write([]byte(ct))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil)
}

func errReused() *Problem {
	return newProblem(classInvalid, "command_id_reused", "该命令编号已用于另一个命令",
		"this command ID was already used for a different command")
}

// checkCommandID refuses a command ID recorded with another body. It
// reports whether a record of the ID exists.
func (s *Server) checkCommandID(id string, sum []byte) (bool, error) {
	v, closer, err := s.n.Store.DB().Get([]byte(keyCmd + id))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if !bytes.Equal(v, sum) {
		return true, errReused()
	}
	return true, nil
}

// recordCommandID keeps the command's hash. NoSync: the store's syncer
// makes it durable with the next fsync; if it is lost in a crash,
// sameTarget is the fallback.
func (s *Server) recordCommandID(id string, sum []byte) {
	if err := s.n.Store.DB().Set([]byte(keyCmd+id), sum, pebble.NoSync); err != nil {
		s.log.Warn("command ID record failed", "err", err)
	}
}

// sameTarget reports whether a duplicate's recorded events belong to the
// command's target aggregate.
func sameTarget(out app.Outcome, cmd domain.Command) bool {
	ref := cmd.Target()
	for _, e := range out.Events {
		if e.AggregateKind != string(ref.Kind) || e.AggregateID != ref.ID {
			return false
		}
	}
	return true
}

func aggregateOf(a domain.AggregateRef) envelope.Aggregate {
	return envelope.Aggregate{Kind: string(a.Kind), ID: a.ID, Region: string(a.Region)}
}
