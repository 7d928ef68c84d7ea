package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/audit"
	"ledger/domain"
	"ledger/eventstore"
	"ledger/node"
)

// Config configures an edge; zero values mean defaults.
type Config struct {
	// ID names the edge (domain.ValidEdgeID). Required.
	ID string
	// Station is the station the hub delegated to this edge. Required.
	Station string
	// HubDomain is the hub's JetStream domain. Default HubDomain.
	HubDomain string
	// Retry is how often the edge tries the hub again while the link is
	// down (copying its station and election, making sure the hub
	// mirrors its stream), and how often it refreshes its copy of the
	// election. Default 5s.
	Retry time.Duration
	// Logger. Default: the node's.
	Logger *slog.Logger
}

// Start makes n, a node opened with EdgeServer and node.Config.Edge, the
// edge of cfg.Station. The first time, it waits (until ctx ends) for the
// link to copy the station and its election from the hub (Seed); later,
// the edge starts on the copy it has and refreshes it once the link is
// up. It answers the hub's requests for its latest checkpoint and makes
// sure the hub mirrors its stream into Inbox(cfg.ID). Stop it with the
// returned function.
func Start(ctx context.Context, n *node.Node, cfg Config) (Station, func(context.Context) error, error) {
	if cfg.HubDomain == "" {
		cfg.HubDomain = HubDomain
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = n.Config.Logger
	}
	sub, err := serveCheckpoints(n, cfg.ID)
	if err != nil {
		return Station{}, nil, err
	}
	st, err := firstSeed(ctx, n, cfg)
	if err != nil {
		sub.Unsubscribe()
		return st, nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepUp(bg, n, cfg, st)
	}()
	return st, func(ctx context.Context) error {
		cancel()
		wg.Wait()
		return sub.Unsubscribe()
	}, nil
}

// firstSeed seeds from the hub, waiting for the link when the edge has
// never seen its station, else trying once.
func firstSeed(ctx context.Context, n *node.Node, cfg Config) (Station, error) {
	local, known := localStation(n, cfg.Station)
	for {
		sctx, cancel := context.WithTimeout(ctx, cfg.Retry)
		st, err := Seed(sctx, n, cfg.HubDomain, cfg.Station, cfg.ID)
		if err == nil {
			err = CreateInbox(sctx, n, cfg.HubDomain, cfg.ID, st)
		}
		cancel()
		switch {
		case err == nil:
			return st, nil
		case errors.Is(err, ErrNotDelegated):
			return st, err
		case known:
			cfg.Logger.Warn("edge: the hub cannot be reached; recording on the copy this edge has", "station", cfg.Station, "err", err)
			return local, nil
		case ctx.Err() != nil:
			return st, fmt.Errorf("edge: station %s was never copied from the hub: %w", cfg.Station, err)
		}
		cfg.Logger.Info("edge: waiting for the link to the hub", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(cfg.Retry):
		}
	}
}

// localStation returns the station as the edge's own log has it.
func localStation(n *node.Node, id string) (Station, bool) {
	agg, err := n.Store.Locate(string(domain.KindStation), id)
	if err != nil {
		return Station{}, false
	}
	st, _, err := n.Ledger.State(context.Background(), domain.AggregateRef{Kind: domain.KindStation, ID: id, Region: domain.Region(agg.Region)})
	if err != nil {
		return Station{}, false
	}
	s, ok := st.(*domain.Station)
	if !ok || !s.Established {
		return Station{}, false
	}
	return Station{ID: id, ElectionID: s.ElectionID, Region: agg.Region}, true
}

// keepUp makes sure the hub mirrors the edge's stream and refreshes the
// election's copy while the link is up.
func keepUp(ctx context.Context, n *node.Node, cfg Config, st Station) {
	inbox := false
	t := time.NewTicker(cfg.Retry)
	defer t.Stop()
	for {
		if Connected(n.Store.Server()) {
			rctx, cancel := context.WithTimeout(ctx, cfg.Retry)
			if !inbox {
				inbox = CreateInbox(rctx, n, cfg.HubDomain, cfg.ID, st) == nil
			}
			if js, err := jetstream.NewWithDomain(n.Store.Conn(), cfg.HubDomain); err == nil {
				agg := st.election()
				if err := refreshElection(rctx, n, js, agg); err != nil && ctx.Err() == nil {
					cfg.Logger.Debug("edge: election not refreshed from the hub", "err", err)
				}
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CreateInbox makes sure the hub (JetStream domain hubDomain) mirrors the
// edge's stream into Inbox(edge), a stream that refuses deletes and purges
// and names the edge and its station in its metadata. The mirror keeps
// the edge's sequence numbers.
func CreateInbox(ctx context.Context, n *node.Node, hubDomain, edge string, st Station) error {
	js, err := jetstream.NewWithDomain(n.Store.Conn(), hubDomain)
	if err != nil {
		return err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        Inbox(edge),
		Description: "ledger: mirror of edge " + edge + " (station " + st.ID + ")",
		Storage:     jetstream.FileStorage,
		Mirror: &jetstream.StreamSource{Name: n.Store.StreamName(),
			External: &jetstream.ExternalStream{APIPrefix: "$JS." + Domain(edge) + ".API"}},
		DenyDelete: true, DenyPurge: true,
		Metadata: map[string]string{metaEdge: edge, metaStation: st.ID, metaRegion: st.Region},
	})
	if err != nil {
		return fmt.Errorf("edge: the hub's inbox %s: %w", Inbox(edge), err)
	}
	return nil
}

func (st Station) election() eventstore.Aggregate {
	return eventstore.Aggregate{Kind: string(domain.KindElection), ID: st.ElectionID, Region: st.Region}
}

// serveCheckpoints answers the hub's requests for the edge's latest
// signed checkpoint (CheckpointReply).
func serveCheckpoints(n *node.Node, edge string) (*nats.Subscription, error) {
	return n.Store.Conn().Subscribe(checkpointSubject+edge, func(m *nats.Msg) {
		note, err := audit.LatestCheckpoint(n.Store.DB())
		if err != nil {
			return // none yet: the hub asks again
		}
		b, _ := json.Marshal(CheckpointReply{Note: string(note), Key: n.Verifier.Key})
		m.Respond(b)
	})
}
