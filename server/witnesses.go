package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"ledger/audit"
)

type witnessesOutput struct {
	Body audit.CosignStatus
}

// registerWitnesses adds the route that shows witness cosigning: the
// latest checkpoint's cosignatures against the quorum, and each witness's
// state. Without witnesses configured it answers a status with none.
func (s *Server) registerWitnesses() {
	allow := map[string]any{allowKey: func(t Token) bool { return t.readsClass(readAudit) }}
	huma.Register(s.api, huma.Operation{OperationID: "audit-witnesses", Method: http.MethodGet,
		Path: "/api/v1/audit/witnesses", Summary: "Witness cosigning of the latest checkpoint: cosigned by K of N or not yet, and each witness's state",
		Tags: []string{"audit"}, Metadata: allow, Errors: []int{401, 403},
	}, func(ctx context.Context, _ *struct{}) (*witnessesOutput, error) {
		if s.n.Cosigner == nil {
			return &witnessesOutput{Body: audit.CosignStatus{PerWitness: []audit.WitnessStatus{}}}, nil
		}
		return &witnessesOutput{Body: s.n.Cosigner.Status()}, nil
	})
}

// witnessCollector exports the cosigner's status at scrape time.
type witnessCollector struct {
	s                                              *Server
	quorum, cosigs, met, cannot, size, last, total *prometheus.Desc
	latencySum, up, known, requests, failures      *prometheus.Desc
}

func newWitnessCollector(s *Server) *witnessCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &witnessCollector{s: s,
		quorum:     d("ledger_witness_quorum", "Witness cosignatures a checkpoint needs (K of N)."),
		cosigs:     d("ledger_witness_cosignatures", "Valid witness cosignatures on the latest checkpoint."),
		met:        d("ledger_witness_quorum_met", "1 when the latest checkpoint is cosigned by a quorum of witnesses."),
		cannot:     d("ledger_witness_cannot_obtain_quorum", "1 when the latest checkpoint lacks a quorum and too few witnesses are left that have not failed or refused: alert."),
		size:       d("ledger_witness_quorum_size", "Tree size of the largest checkpoint cosigned by a quorum."),
		last:       d("ledger_witness_quorum_latency_seconds", "From the first sighting of the last quorum-cosigned checkpoint to its quorum."),
		total:      d("ledger_witness_quorums_total", "Checkpoints that reached a quorum of cosignatures."),
		latencySum: d("ledger_witness_quorum_latency_seconds_total", "Sum of the time each checkpoint took to reach its quorum."),
		up:         d("ledger_witness_up", "1 when the witness's last request succeeded (or none failed yet).", "witness"),
		known:      d("ledger_witness_known_size", "The tree size the witness holds, as last learnt.", "witness"),
		requests:   d("ledger_witness_requests_total", "add-checkpoint requests sent to the witness.", "witness"),
		failures:   d("ledger_witness_failures_total", "Requests to the witness that failed or were refused.", "witness"),
	}
}

func (c *witnessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.quorum, c.cosigs, c.met, c.cannot, c.size, c.last, c.total, c.latencySum, c.up, c.known, c.requests, c.failures} {
		ch <- d
	}
}

func (c *witnessCollector) Collect(ch chan<- prometheus.Metric) {
	if c.s.n.Cosigner == nil {
		return
	}
	st := c.s.n.Cosigner.Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(c.quorum, float64(st.Quorum))
	gauge(c.cosigs, float64(st.Cosigned))
	gauge(c.met, boolFloat(st.QuorumMet))
	gauge(c.cannot, boolFloat(st.CannotObtain))
	gauge(c.size, float64(st.QuorumSize))
	gauge(c.last, st.LastLatencySeconds)
	counter(c.total, float64(st.QuorumsTotal))
	counter(c.latencySum, st.LatencySecondsSum)
	for _, w := range st.PerWitness {
		gauge(c.up, boolFloat(!w.Failing), w.Name)
		gauge(c.known, float64(w.KnownSize), w.Name)
		counter(c.requests, float64(w.Requests), w.Name)
		counter(c.failures, float64(w.Failures), w.Name)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
