package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// TokenRequest asks for a new token.
type TokenRequest struct {
	Role  Role     `json:"role" enum:"admin,supervisor,secretary,inspector,observer"`
	Scope []string `json:"scope,omitempty" doc:"election IDs (ULIDs) and/or region code prefixes"`
	Actor string   `json:"actor,omitempty" doc:"recorded as the actor of every write; default <role>:<id>" maxLength:"200"`
	TTL   string   `json:"ttl,omitempty" doc:"time to live, e.g. 720h or 30m; default: no expiry"`
}

// TokenInfo is a token as listed (never its secret).
type TokenInfo struct {
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	Scope     []string  `json:"scope,omitempty"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// NewToken is a created token with its secret, shown once.
type NewToken struct {
	TokenInfo
	Token string `json:"token" doc:"the bearer secret; shown once, stored only as its SHA-256"`
}

// ParseTTL parses a token's time to live: "" for none, else a positive Go
// duration ("720h", "30m").
func ParseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("server: ttl %q is not a positive duration such as 720h or 30m", s)
	}
	return d, nil
}

// InfoOf returns what may be shown of t.
func InfoOf(t Token) TokenInfo { return infoOf(t) }

func infoOf(t Token) TokenInfo {
	return TokenInfo{ID: t.ID, Role: t.Role, Scope: t.Scope, Actor: t.Actor, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, ExpiresAt: t.ExpiresAt}
}

// registerTokens adds the admin's token routes and "who am I".
func (s *Server) registerTokens() {
	anyToken := map[string]any{allowKey: func(Token) bool { return true }}
	huma.Register(s.api, huma.Operation{OperationID: "whoami", Method: http.MethodGet, Path: "/api/v1/whoami",
		Summary: "The calling token: its role, scope and actor (never its secret)", Tags: []string{"tokens"},
		Metadata: anyToken, Errors: []int{401}},
		func(ctx context.Context, _ *struct{}) (*struct{ Body TokenInfo }, error) {
			return &struct{ Body TokenInfo }{infoOf(tokenFrom(ctx))}, nil
		})
	admin := map[string]any{allowKey: func(t Token) bool { return t.readsClass(readAdmin) }}
	huma.Register(s.api, huma.Operation{OperationID: "token-create", Method: http.MethodPost, Path: "/api/v1/tokens",
		Summary: "Create a token", Tags: []string{"tokens"}, Metadata: admin, DefaultStatus: http.StatusCreated,
		Errors: []int{400, 401, 403, 415, 422}, SkipValidateBody: true},
		func(ctx context.Context, in *struct {
			RawBody []byte `contentType:"application/json"`
		}) (*struct{ Body NewToken }, error) {
			req, err := decodeTokenRequest(in.RawBody)
			if err != nil {
				return nil, err
			}
			ttl, err := ParseTTL(req.TTL)
			if err != nil {
				return nil, newProblem(classInvalid, "invalid_ttl", "令牌有效期无效（如 720h、30m）", err.Error())
			}
			secret, t, err := s.tokens.CreateWithTTL(req.Role, req.Scope, req.Actor, ttl)
			if errors.Is(err, ErrBadRole) {
				return nil, newProblem(classInvalid, "invalid_scope", "角色或授权范围无效", err.Error())
			}
			if err != nil {
				return nil, err
			}
			return &struct{ Body NewToken }{NewToken{TokenInfo: infoOf(t), Token: secret}}, nil
		})
	body := s.api.OpenAPI().Paths["/api/v1/tokens"].Post.RequestBody
	body.Required = true
	body.Content = map[string]*huma.MediaType{"application/json": {
		Schema: s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[TokenRequest](), true, "TokenRequest")}}
	huma.Register(s.api, huma.Operation{OperationID: "token-list", Method: http.MethodGet, Path: "/api/v1/tokens",
		Summary: "List tokens", Tags: []string{"tokens"}, Metadata: admin, Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []TokenInfo }, error) {
			ts, err := s.tokens.List()
			if err != nil {
				return nil, err
			}
			out := make([]TokenInfo, len(ts))
			for i, t := range ts {
				out[i] = infoOf(t)
			}
			return &struct{ Body []TokenInfo }{out}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "token-revoke", Method: http.MethodDelete, Path: "/api/v1/tokens/{id}",
		Summary: "Revoke a token", Tags: []string{"tokens"}, Metadata: admin, Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct{ Body TokenInfo }, error) {
			t, err := s.tokens.Revoke(in.ID)
			if errors.Is(err, ErrTokenNotFound) {
				return nil, newProblem(classNotFound, "token_not_found", "未找到该令牌", "no such token")
			}
			if err != nil {
				return nil, err
			}
			return &struct{ Body TokenInfo }{infoOf(t)}, nil
		})
}

// decodeTokenRequest decodes a token request strictly: unique keys spelled
// exactly, no unknown fields.
func decodeTokenRequest(b []byte) (TokenRequest, error) {
	var req TokenRequest
	if p := checkKeys(b, reflect.TypeOf(req)); p != nil {
		return req, p
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, newProblem(classBadRequest, "invalid_json", "请求体不是有效的令牌请求: "+err.Error(), "the body is not a valid token request: "+err.Error())
	}
	return req, nil
}
