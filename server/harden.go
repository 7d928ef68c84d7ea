package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// Security headers sent on every answer. Routes that need a stricter
// policy of their own (the OpenAPI viewer at /docs) replace CSP.
const (
	headerCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	headerHSTS = "max-age=31536000"
)

// secure sets the one set of security headers on every answer, HSTS too
// when the request came over TLS.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", headerCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", headerHSTS)
		}
		next.ServeHTTP(w, r)
	})
}

// standardMethods are the methods metrics name; any other counts as "other".
var standardMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace}

// methodLabel is the metrics label of a method: one of a fixed set.
func methodLabel(m string) string {
	if slices.Contains(standardMethods, m) {
		return m
	}
	return "other"
}

// strict refuses, before routing, what no route accepts: more than one
// Authorization header (400) and a body that is not JSON (415).
func strict(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header.Values("Authorization")) > 1 {
			sendProblem(w, newProblem(classBadRequest, "duplicate_authorization",
				"请求只能带一个 Authorization 头", "a request may carry only one Authorization header"))
			return
		}
		if hasBody(r) && !isJSON(r.Header.Get("Content-Type")) {
			sendProblem(w, newProblem(classUnsupported, "unsupported_media_type",
				"请求体须为 JSON（Content-Type: application/json）", "a request body must be JSON (Content-Type: application/json)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hasBody reports whether the request carries a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// isJSON reports whether ct is application/json, with at most a UTF-8
// charset parameter.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// routed sends requests that no API route takes to the fallback (GET and
// HEAD only) or answers them with problem+json: 404, or 405 with the
// methods the path allows.
func (s *Server) routed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := s.mux.Handler(r)
		if pattern != "" {
			s.mux.ServeHTTP(w, r)
			return
		}
		rec := &headRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r) // the mux's own 404 or 405, with Allow
		allow := rec.header.Get("Allow")
		switch {
		case allow == "" && s.opts.Fallback != nil && !isAPIPath(r.URL.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			r.Pattern = "dashboard"
			s.opts.Fallback.ServeHTTP(w, r)
		case allow == "" && s.opts.Fallback != nil && !isAPIPath(r.URL.Path):
			w.Header().Set("Allow", "GET, HEAD")
			sendProblem(w, errMethod())
		case allow != "":
			w.Header().Set("Allow", allow)
			sendProblem(w, errMethod())
		default:
			sendProblem(w, newProblem(classNotFound, "no_route", "没有此接口", "no such route"))
		}
	})
}

func errMethod() *Problem {
	return newProblem(classMethod, "method_not_allowed", "此接口不接受该方法", "this route does not take this method; see Allow")
}

// isAPIPath reports whether p belongs to the API (never the dashboard).
func isAPIPath(p string) bool {
	for _, pre := range []string{"/api/", "/openapi", "/schemas/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	switch p {
	case "/api", "/docs", "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// headRecorder keeps the header and status of an answer, not its body.
type headRecorder struct {
	header http.Header
	status int
}

func (h *headRecorder) Header() http.Header         { return h.header }
func (h *headRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headRecorder) WriteHeader(code int)        { h.status = code }

// sendProblem writes p as the answer of a plain handler.
func sendProblem(w http.ResponseWriter, p *Problem) {
	for k, v := range p.GetHeaders() {
		w.Header().Set(k, v[0])
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
