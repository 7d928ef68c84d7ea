package server

import (
	"encoding/json"
	"net/http"
)

// registerOps adds the operational routes, which need no token:
// /healthz (the process serves), /readyz (every named readiness check
// passes: see serveReady) and /metrics (Prometheus).
func (s *Server) registerOps() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	s.mux.Handle("GET /metrics", s.metrics.handler())
}

// readyCheck is the outcome of one named readiness check.
type readyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// serveReady answers 200 when every named check of the node holds
// (node.ReadyChecks: "append", "ingest", "witness_quorum", ...), else 503
// with Retry-After; the body lists each check and, when it fails, why.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	var checks []readyCheck
	for _, c := range s.n.ReadyChecks() {
		rc := readyCheck{Name: c.Name, OK: true}
		if err := c.Check(); err != nil {
			rc.OK, rc.Reason = false, err.Error()
		}
		checks = append(checks, rc)
	}
	status, code := "ready", http.StatusOK
	for _, c := range checks {
		if !c.OK {
			status, code = "not ready", http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "1")
		}
	}
	seq, pos := s.n.Store.Position()
	writeJSON(w, code, map[string]any{"status": status, "checks": checks, "seq": seq, "position": pos})
}

// ready reports whether ingest has caught up with the log as it was at start.
func (s *Server) ready() bool {
	select {
	case <-s.n.Store.Ready():
		return true
	default:
		return false
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
