package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/node"
)

// HubConfig configures a hub's reading of its edges; zero values mean defaults.
type HubConfig struct {
	// Poll is how often the hub looks for new edges, and how long a read
	// of an inbox waits for new messages before asking the edge for its
	// latest checkpoint. Default 1s.
	Poll time.Duration
	// Logger for structured logs. Default: the node's.
	Logger *slog.Logger
}

// Hub reads the inboxes of a hub's edges into the hub's log: one reader
// per edge, each in the inbox's order. Its methods are safe for
// concurrent use.
type Hub struct {
	n   *node.Node
	cfg HubConfig

	mu    sync.Mutex
	edges map[string]*EdgeStatus
}

// EdgeStatus is what a hub knows of one edge.
type EdgeStatus struct {
	Edge    string `json:"edge"`
	Station string `json:"station_id"`
	Region  string `json:"region"`
	// Connected: the edge's leaf link is up.
	Connected bool `json:"connected"`
	// LastContact is when the hub last heard from the edge (zero: never).
	LastContact time.Time `json:"last_contact,omitzero"`
	// Waiting counts the edge's messages not yet in the hub's log: those
	// the mirror has not fetched (as far as the hub knows) and those in
	// the inbox not yet recorded.
	Waiting uint64 `json:"waiting"`
	// Recorded is the edge's last stream sequence recorded at the hub.
	Recorded uint64 `json:"recorded"`
	// Checkpoint is the size of the edge's latest checkpoint kept in the
	// hub's log; CheckpointRoot its root.
	Checkpoint     uint64 `json:"checkpoint"`
	CheckpointRoot string `json:"checkpoint_root,omitempty"`
	// Irregularities recorded on the election from what the edge recorded.
	Irregularities int `json:"irregularities"`
	// Error is why the last read of the inbox stopped, if it did.
	Error string `json:"error,omitempty"`
}

// StartHub starts reading every edge inbox (InboxPrefix streams) of the
// hub node n, now and as edges create them, until shutdown.
func StartHub(n *node.Node, cfg HubConfig) (*Hub, func(context.Context) error) {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = n.Config.Logger
	}
	h := &Hub{n: n, cfg: cfg, edges: map[string]*EdgeStatus{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.watch(ctx, &wg)
	}()
	return h, func(sctx context.Context) error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-sctx.Done():
			return sctx.Err()
		}
	}
}

// Edges returns the status of every edge the hub reads, by edge ID order
// of discovery.
func (h *Hub) Edges() []EdgeStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]EdgeStatus, 0, len(h.edges))
	for _, s := range h.edges {
		out = append(out, *s)
	}
	return out
}

// watch starts a reader for each inbox stream as it appears.
func (h *Hub) watch(ctx context.Context, wg *sync.WaitGroup) {
	t := time.NewTicker(h.cfg.Poll)
	defer t.Stop()
	for {
		h.discover(ctx, wg)
		h.refreshLinks()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Hub) discover(ctx context.Context, wg *sync.WaitGroup) {
	names := h.n.Store.JetStream().StreamNames(ctx)
	for name := range names.Name() {
		if !strings.HasPrefix(name, InboxPrefix) {
			continue
		}
		id := strings.TrimPrefix(name, InboxPrefix)
		h.mu.Lock()
		_, known := h.edges[id]
		if !known {
			h.edges[id] = &EdgeStatus{Edge: id}
		}
		h.mu.Unlock()
		if !known {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.read(ctx, id)
			}()
		}
	}
}

// refreshLinks updates each edge's Connected and LastContact from the
// hub server's leaf connections (an edge's server is named Domain(id)).
func (h *Hub) refreshLinks() {
	up := map[string]bool{}
	if s := h.n.Store.Server(); s != nil {
		if lz, err := s.Leafz(&server.LeafzOptions{}); err == nil {
			for _, l := range lz.Leafs {
				up[strings.TrimPrefix(l.Name, "edge-")] = true
			}
		}
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, s := range h.edges {
		s.Connected = up[id]
		if s.Connected {
			s.LastContact = now
		}
	}
}

// read records edge id's inbox into the hub's log until ctx ends,
// starting again after an error.
func (h *Hub) read(ctx context.Context, id string) {
	for ctx.Err() == nil {
		err := h.readOnce(ctx, id)
		if err == nil || ctx.Err() != nil {
			return
		}
		h.update(id, func(s *EdgeStatus) { s.Error = err.Error() })
		h.cfg.Logger.Warn("edge: reading the inbox stopped; starting again", "edge", id, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(h.cfg.Poll):
		}
	}
}

func (h *Hub) update(id string, f func(*EdgeStatus)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.edges[id]; s != nil {
		f(s)
	}
}

// readOnce opens the inbox after what the station's hub state says was
// recorded and records each message, until ctx ends or an error.
func (h *Hub) readOnce(ctx context.Context, id string) error {
	stream, err := h.n.Store.JetStream().Stream(ctx, Inbox(id))
	if err != nil {
		return err
	}
	md := stream.CachedInfo().Config.Metadata
	st := Station{ID: md[metaStation], Region: md[metaRegion]}
	if md[metaEdge] != id || st.ID == "" {
		return fmt.Errorf("edge: inbox %s does not name its edge and station", Inbox(id))
	}
	in, err := openIngest(ctx, h.n, id, st)
	if err != nil {
		return err
	}
	h.update(id, func(s *EdgeStatus) {
		s.Station, s.Region, s.Error = st.ID, st.Region, ""
		s.Recorded, s.Checkpoint, s.Irregularities = in.seq, in.checkpoint, in.irregular
	})
	c, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: in.seq + 1})
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		n, err := h.readBatch(ctx, c, in)
		if err != nil {
			return err
		}
		h.status(ctx, id, stream, in)
		if n == 0 {
			if err := in.fetchCheckpoint(ctx); err != nil {
				h.cfg.Logger.Debug("edge: no checkpoint from the edge", "edge", id, "err", err)
			}
		}
	}
	return nil
}

// readBatch records up to 512 inbox messages and waits until they are
// durable in the hub's log.
func (h *Hub) readBatch(ctx context.Context, c jetstream.Consumer, in *ingest) (int, error) {
	batch, err := c.Fetch(512, jetstream.FetchMaxWait(h.cfg.Poll))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for m := range batch.Messages() {
		n++
		if err := in.record(ctx, m); err != nil {
			return n, err
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, jetstream.ErrNoMessages) {
		return n, err
	}
	return n, in.wait(ctx)
}

// status refreshes what the hub shows of the edge after a batch.
func (h *Hub) status(ctx context.Context, id string, stream jetstream.Stream, in *ingest) {
	info, err := stream.Info(ctx)
	var waiting uint64
	var contact time.Time
	if err == nil {
		if info.State.LastSeq > in.seq {
			waiting = info.State.LastSeq - in.seq
		}
		if m := info.Mirror; m != nil {
			waiting += m.Lag
			if m.Active >= 0 && m.Error == nil {
				contact = time.Now().Add(-m.Active)
			}
		}
	}
	h.update(id, func(s *EdgeStatus) {
		s.Waiting, s.Recorded = waiting, in.seq
		s.Checkpoint, s.CheckpointRoot, s.Irregularities = in.checkpoint, in.checkpointRoot, in.irregular
		if contact.After(s.LastContact) {
			s.LastContact = contact
		}
	})
}
