package server

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/oklog/ulid/v2"

	"ledger/domain"
)

// target is what a request touches, for scope checks.
type target struct {
	Kind       domain.AggregateKind // "" for a route across kinds (a region's events)
	Region     string               // a region code or prefix; "" means everywhere
	ElectionID string               // for election and station targets
}

// targetOf returns the target of a command: its aggregate, and the election
// it belongs to (election and station commands carry ElectionID).
func targetOf(cmd domain.Command) target {
	ref := cmd.Target()
	t := target{Kind: ref.Kind, Region: string(ref.Region)}
	v := reflect.ValueOf(cmd)
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("ElectionID"); f.IsValid() && f.Kind() == reflect.String {
			t.ElectionID = f.String()
		}
	}
	return t
}

// inRegions reports whether region lies within one of the scope's region
// prefixes. An empty region (everywhere) is within none.
func inRegions(scope []string, region string) bool {
	if region == "" {
		return false
	}
	for _, s := range scope {
		if _, err := ulid.ParseStrict(s); err != nil && strings.HasPrefix(region, s) {
			return true
		}
	}
	return false
}

// writesKind reports whether the role may write commands of this kind at
// all (in some scope).
func (t Token) writesKind(k domain.AggregateKind) bool {
	switch t.Role {
	case RoleAdmin:
		return true
	case RoleSupervisor:
		return k == domain.KindElection || k == domain.KindStation
	case RoleSecretary:
		return k == domain.KindConsultation
	case RoleInspector:
		return k == domain.KindInspection
	}
	return false
}

// mayWrite reports whether the token may record a command on tg.
func (t Token) mayWrite(tg target) bool {
	if !t.writesKind(tg.Kind) {
		return false
	}
	switch t.Role {
	case RoleSupervisor:
		return inRegions(t.Scope, tg.Region) || (tg.ElectionID != "" && slices.Contains(t.Scope, tg.ElectionID))
	case RoleSecretary:
		return inRegions(t.Scope, tg.Region)
	case RoleInspector:
		return len(t.Scope) == 0 || inRegions(t.Scope, tg.Region)
	}
	return true
}

// readClass groups the read routes by who may read them.
type readClass int

const (
	readPublished   readClass = iota + 1 // published aggregates: turnout, results, resolutions; every role
	readOperational                      // state, reconciliation, consultations, supervision, event streams: in scope
	readAudit                            // audit trail, events, checkpoints, receipts: admin and inspector
	readAdmin                            // tokens: admin
)

// readsClass reports whether the role may use a read route of this class
// at all (in some scope).
func (t Token) readsClass(c readClass) bool {
	switch c {
	case readPublished:
		return true
	case readOperational:
		return t.Role != RoleObserver
	case readAudit:
		return t.Role == RoleAdmin || t.Role == RoleInspector
	}
	return t.Role == RoleAdmin
}

// mayRead reports whether the token may read tg through a route of class c.
// Admins and inspectors read everything; supervisors read elections,
// stations and regions in their scope; secretaries consultations and
// regions in theirs.
func (t Token) mayRead(c readClass, tg target) bool {
	if !t.readsClass(c) {
		return false
	}
	if c != readOperational || t.Role == RoleAdmin || t.Role == RoleInspector {
		return true
	}
	switch tg.Kind {
	case domain.KindElection, domain.KindStation:
		return t.Role == RoleSupervisor && (inRegions(t.Scope, tg.Region) || slices.Contains(t.Scope, tg.ElectionID))
	case domain.KindConsultation:
		return t.Role == RoleSecretary && inRegions(t.Scope, tg.Region)
	case "":
		return inRegions(t.Scope, tg.Region)
	}
	return false
}

type ctxKey int

const (
	tokenKey ctxKey = iota
	infoKey
)

// tokenFrom returns the authenticated token of the request.
func tokenFrom(ctx context.Context) Token {
	t, _ := ctx.Value(tokenKey).(Token)
	return t
}

// allowFunc is the operation metadata key of a route's role check, run
// before the body is read: func(Token) bool.
const allowKey = "ledger.allow"

// authMiddleware authenticates the bearer token of every operation and
// applies the operation's role check. Scope checks that need the body or
// the path run in the handlers.
func (s *Server) authMiddleware(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		allow, _ := ctx.Operation().Metadata[allowKey].(func(Token) bool)
		if allow == nil { // a public operation
			next(ctx)
			return
		}
		secret, ok := bearer(ctx.Header("Authorization"))
		if !ok {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="ledger"`)
			writeProblem(ctx, errNoToken())
			return
		}
		tok, err := s.tokens.Authenticate(strings.TrimSpace(secret))
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="ledger", error="invalid_token"`)
			writeProblem(ctx, errBadToken())
			return
		}
		if info, ok := ctx.Context().Value(infoKey).(*reqInfo); ok {
			info.actor = tok.Actor
		}
		if !allow(tok) {
			writeProblem(ctx, errForbidden("the token's role may not use this route"))
			return
		}
		if p := s.allowRequest(tok.ID); p != nil {
			writeProblem(ctx, p)
			return
		}
		next(huma.WithValue(ctx, tokenKey, tok))
	}
}

// bearer returns the credentials of an Authorization header of the Bearer
// scheme, whose name is case-insensitive (RFC 9110, section 11.1).
func bearer(h string) (string, bool) {
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return secret, true
}

// writeProblem writes p as the response.
func writeProblem(ctx huma.Context, p *Problem) {
	for k, v := range p.GetHeaders() {
		ctx.SetHeader(k, v[0])
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
}
