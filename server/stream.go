package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"ledger/eventstore"
	"ledger/projections"
)

// heartbeat is how often an idle stream sends a comment line, so that
// proxies keep it open.
const heartbeat = 15 * time.Second

func sseOp(opID, path, summary string, c readClass) huma.Operation {
	return huma.Operation{OperationID: opID, Method: http.MethodGet, Path: path, Summary: summary,
		Tags: []string{"streams"}, Errors: []int{400, 401, 403},
		Metadata: map[string]any{allowKey: func(t Token) bool { return t.readsClass(c) }},
		Responses: map[string]*huma.Response{"200": {Description: "text/event-stream",
			Content: map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: "string"}}}}}}
}

type regionEventsIn struct {
	Region      string `path:"region" pattern:"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"`
	LastEventID string `header:"Last-Event-ID" doc:"resume after this log position"`
	From        uint64 `query:"from" doc:"start at this log position (default: the next event)"`
}

// registerStreams adds the server-sent event streams: live turnout of an
// election or a region (sent when it changes), and a region's events
// (resumable with Last-Event-ID, the log position).
func (s *Server) registerStreams() {
	db := s.n.Store.DB()
	huma.Register(s.api, sseOp("stream-turnout-election", "/api/v1/streams/turnout/elections/{election_id}",
		"Live turnout of an election (event: turnout, id: log position)", readPublished),
		func(ctx context.Context, in *electionIn) (*huma.StreamResponse, error) {
			return s.turnoutStream(ctx, func(ctx context.Context) (any, error) {
				return projections.TurnoutOfElection(ctx, db, in.ElectionID)
			})
		})
	huma.Register(s.api, sseOp("stream-turnout-region", "/api/v1/streams/turnout/regions/{region}",
		"Live turnout of a region (event: turnout, id: log position)", readPublished),
		func(ctx context.Context, in *regionIn) (*huma.StreamResponse, error) {
			return s.turnoutStream(ctx, func(ctx context.Context) (any, error) {
				return projections.TurnoutOfRegion(ctx, db, in.Region)
			})
		})
	huma.Register(s.api, sseOp("stream-region-events", "/api/v1/streams/events/regions/{region}",
		"A region's events as they become durable (event: the event type, id: log position)", readOperational),
		func(ctx context.Context, in *regionEventsIn) (*huma.StreamResponse, error) {
			if err := checkRead(ctx, target{Region: in.Region}); err != nil {
				return nil, err
			}
			from, err := s.resumeFrom(in)
			if err != nil {
				return nil, err
			}
			return s.eventStream(ctx, in.Region, from)
		})
}

func (s *Server) resumeFrom(in *regionEventsIn) (uint64, error) {
	if in.LastEventID != "" {
		n, err := strconv.ParseUint(in.LastEventID, 10, 64)
		if err != nil {
			return 0, newProblem(classBadRequest, "invalid_last_event_id", "Last-Event-ID 须为日志位置", "Last-Event-ID must be a log position")
		}
		return n + 1, nil
	}
	if in.From > 0 {
		return in.From, nil
	}
	_, pos := s.n.Store.Position()
	return pos + 1, nil
}

// streamCtx ends when the request ends, the server shuts down or the
// stream's token is revoked or expires: it is re-authorised every
// StreamReauth.
func (s *Server) streamCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	tok := tokenFrom(ctx)
	go func() {
		defer cancel()
		tick := time.NewTicker(s.opts.StreamReauth)
		defer tick.Stop()
		for {
			select {
			case <-s.closing:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if tok.ID != "" && !s.tokens.StillValid(tok) {
					return
				}
			}
		}
	}()
	return ctx, cancel
}

// startStream sends the head of a stream and returns its writer, which
// gives every write WriteTimeout anew, and its flush.
func (s *Server) startStream(hctx huma.Context) (io.Writer, func()) {
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	_, rw := humago.Unwrap(hctx)
	w := &deadlineWriter{w: hctx.BodyWriter(), rc: http.NewResponseController(rw), d: s.opts.Limits.WriteTimeout}
	flush := func() {
		if f, ok := w.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	_, _ = w.Write(nil)
	flush()
	return w, flush
}

// deadlineWriter moves the connection's write deadline d ahead before each
// write, so that a long stream outlives the server's WriteTimeout while a
// stuck reader still times out.
type deadlineWriter struct {
	w  io.Writer
	rc *http.ResponseController
	d  time.Duration
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.d)) // not every writer supports it (tests' recorders)
	return w.w.Write(b)
}

// openStream takes a stream slot for the request's token and wraps body so
// that it releases the slot when the stream ends.
func (s *Server) openStream(ctx context.Context, body func(huma.Context)) (*huma.StreamResponse, error) {
	release, p := s.acquireStream(tokenFrom(ctx).ID)
	if p != nil {
		return nil, p
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer release()
		body(hctx)
	}}, nil
}

// writeAlert sends the scrub's alert (eventstore.IntegrityError as JSON)
// as an "alert" event with no id, so that a client's Last-Event-ID stays
// a log position.
func writeAlert(w io.Writer, alert error) error {
	b, err := json.Marshal(alert)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: alert\ndata: %s\n\n", b)
	return err
}

func writeSSE(w io.Writer, id uint64, event string, data []byte) error {
	_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, event, bytes.TrimSpace(data))
	return err
}

// turnoutStream sends the read model's answer at once and then whenever it
// changes, looking at it each StreamPoll when the log moved.
func (s *Server) turnoutStream(ctx context.Context, query func(context.Context) (any, error)) (*huma.StreamResponse, error) {
	return s.openStream(ctx, func(hctx huma.Context) {
		ctx, cancel := s.streamCtx(hctx.Context())
		defer cancel()
		w, flush := s.startStream(hctx)
		tick := time.NewTicker(s.opts.StreamPoll)
		defer tick.Stop()
		var last []byte
		var seen uint64 = 1<<64 - 1
		idle := time.Now()
		alerted := false
		for {
			if err := s.n.Store.Integrity(); err != nil && !alerted {
				if writeAlert(w, err) != nil {
					return
				}
				flush()
				alerted = true
			}
			if _, pos := s.n.Store.Position(); pos != seen {
				seen = pos
				v, err := query(ctx)
				b, _ := json.Marshal(v)
				if err == nil && !bytes.Equal(b, last) {
					if writeSSE(w, pos, "turnout", b) != nil {
						return
					}
					flush()
					last, idle = b, time.Now()
				}
			}
			if time.Since(idle) > heartbeat {
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
					return
				}
				flush()
				idle = time.Now()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

var errStreamDone = errors.New("server: stream ended")

// eventStream sends every durable event of region (a code prefix) from
// position from on.
func (s *Server) eventStream(ctx context.Context, region string, from uint64) (*huma.StreamResponse, error) {
	return s.openStream(ctx, func(hctx huma.Context) {
		ctx, cancel := s.streamCtx(hctx.Context())
		defer cancel()
		w, flush := s.startStream(hctx)
		var mu sync.Mutex // the events and the alert share w
		go s.alertOnce(ctx, &mu, w, flush)
		err := s.n.Store.Subscribe(ctx, from, func(e eventstore.Envelope) error {
			if !strings.HasPrefix(e.Region, region) {
				return nil
			}
			b, err := json.Marshal(eventOf(e))
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if err := writeSSE(w, e.Position, e.Type, b); err != nil {
				return errStreamDone
			}
			flush()
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errStreamDone) {
			s.log.Warn("event stream ended", "err", err)
		}
	})
}

// alertOnce watches the scrub each StreamPoll and sends its alert on the
// stream once, until ctx ends.
func (s *Server) alertOnce(ctx context.Context, mu *sync.Mutex, w io.Writer, flush func()) {
	tick := time.NewTicker(s.opts.StreamPoll)
	defer tick.Stop()
	for {
		if err := s.n.Store.Integrity(); err != nil {
			mu.Lock()
			if writeAlert(w, err) == nil {
				flush()
			}
			mu.Unlock()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
