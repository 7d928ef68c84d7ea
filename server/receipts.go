package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"ledger/audit"
	"ledger/eventstore"
)

func errNoAudit() *Problem {
	return newProblem(classNotReady, "audit_unavailable", "本节点未启用审计（默克尔树与签名检查点）",
		"this node has no audit tree and checkpoints wired")
}

// receiptsOf signs a checkpoint that covers the events (if the latest does
// not) and returns one receipt per event.
func (s *Server) receiptsOf(ctx context.Context, events []eventstore.Envelope) ([]json.RawMessage, error) {
	if s.opts.Tree == nil || s.opts.Checkpointer == nil {
		return nil, errNoAudit()
	}
	out := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		r, err := s.opts.Tree.Receipt(s.n.Store, e.EventID)
		if errors.Is(err, audit.ErrNoCheckpoint) {
			if _, err = s.opts.Checkpointer.SignNow(ctx); err == nil {
				r, err = s.opts.Tree.Receipt(s.n.Store, e.EventID)
			}
		}
		if err != nil {
			p, _ := problemOf(err)
			return nil, p
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

type eventIDInput struct {
	EventID string `path:"event_id" doc:"the event's ID"`
}

type receiptOutput struct {
	Body audit.Receipt
}

type checkpointOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// latestCheckpoint answers the latest signed checkpoint, for the
// authenticated and the public route alike.
func (s *Server) latestCheckpoint(_ context.Context, _ *struct{}) (*checkpointOutput, error) {
	if s.opts.Tree == nil {
		return nil, errNoAudit()
	}
	note, err := s.opts.Tree.LatestCheckpoint()
	if errors.Is(err, audit.ErrNoCheckpoint) {
		return nil, newProblem(classNotFound, "no_checkpoint", "尚无签名检查点", "no checkpoint was signed yet")
	}
	if err != nil {
		return nil, err
	}
	return &checkpointOutput{ContentType: "text/plain; charset=utf-8", Body: note}, nil
}

// registerAudit adds the audit routes: the latest signed checkpoint and
// the receipt (inclusion proof) of any event.
func (s *Server) registerAudit() {
	allow := map[string]any{allowKey: func(t Token) bool { return t.readsClass(readAudit) }}
	huma.Register(s.api, huma.Operation{OperationID: "audit-checkpoint", Method: http.MethodGet,
		Path: "/api/v1/audit/checkpoint", Summary: "Latest signed checkpoint (C2SP signed note)",
		Tags: []string{"audit"}, Metadata: allow, Errors: []int{401, 403, 404, 503},
	}, s.latestCheckpoint)
	huma.Register(s.api, huma.Operation{OperationID: "audit-receipt", Method: http.MethodGet,
		Path: "/api/v1/audit/receipts/{event_id}", Summary: "Receipt of an event: its inclusion proof in the latest signed checkpoint",
		Tags: []string{"audit"}, Metadata: allow, Errors: []int{401, 403, 404, 503},
	}, func(ctx context.Context, in *eventIDInput) (*receiptOutput, error) {
		env, err := s.n.Store.EventByID(in.EventID)
		if err != nil {
			p, _ := problemOf(err)
			return nil, p
		}
		return s.receiptOf(ctx, env)
	})
}

// checkpointAge reports the age of the latest signed checkpoint as this
// server has seen it: the time it first saw that checkpoint (checkpoints
// carry no time of their own).
type checkpointAge struct {
	mu   sync.Mutex
	last string
	seen time.Time
}

func (c *checkpointAge) collector(s *Server) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_checkpoint_age_seconds",
		Help: "Seconds since the latest signed checkpoint changed (as seen by this server); -1 when there is none."},
		func() float64 {
			if s.opts.Tree == nil {
				return -1
			}
			note, err := s.opts.Tree.LatestCheckpoint()
			if err != nil {
				return -1
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if string(note) != c.last {
				c.last, c.seen = string(note), time.Now()
			}
			return time.Since(c.seen).Seconds()
		})
}

// receiptOf answers one event's receipt.
func (s *Server) receiptOf(ctx context.Context, env eventstore.Envelope) (*receiptOutput, error) {
	rs, err := s.receiptsOf(ctx, []eventstore.Envelope{env})
	if err != nil {
		return nil, err
	}
	var r audit.Receipt
	if err := json.Unmarshal(rs[0], &r); err != nil {
		return nil, err
	}
	return &receiptOutput{Body: r}, nil
}
