package server

import (
	"encoding/json"
	"net/http"
)

// registerOps adds the operational routes, which need no token:
// /healthz (the process serves), /readyz (ingest has caught up with the
// log: store.Ready) and /metrics (Prometheus).
func (s *Server) registerOps() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready() {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "catching up"})
			return
		}
		seq, pos := s.n.Store.Position()
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "seq": seq, "position": pos})
	})
	s.mux.Handle("GET /metrics", s.metrics.handler())
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
