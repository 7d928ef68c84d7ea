package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"ledger/edge"
	"ledger/node"
)

// edgeFlags are serve's flags for county hubs and station edges (docs/edge.md).
type edgeFlags struct {
	edge       bool
	hub        string
	station    string
	id         string
	leafListen string
	hubDomain  string
}

func (f *edgeFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.edge, "edge", false, "run as the edge ledger of a polling station: a leaf node of the county hub (--hub) recording the station (--station) the hub delegated to it; see docs/edge.md")
	fl.StringVar(&f.hub, "hub", "", "with --edge: the hub's leaf port, nats://edge:PASSWORD@HOST:PORT (the password is the hub's <data>/leaf.password)")
	fl.StringVar(&f.station, "station", "", "with --edge: the ID of the station the hub delegated to this edge")
	fl.StringVar(&f.id, "edge-id", "", "with --edge: this edge's ID, as named in delegate-station (default: --station)")
	fl.StringVar(&f.leafListen, "leaf-listen", "", "run as a county hub: open the leaf port edges join on this address (e.g. 0.0.0.0:7422) and record what they recorded")
	fl.StringVar(&f.hubDomain, "hub-domain", edge.HubDomain, "the hub's JetStream domain")
}

// configure sets up the node's embedded server as a hub or an edge.
func (f *edgeFlags) configure(cfg *node.Config, out io.Writer) error {
	switch {
	case f.edge && f.leafListen != "":
		return usageError{fmt.Errorf("--edge and --leaf-listen: a node is an edge or a hub, not both")}
	case f.edge:
		if f.hub == "" || f.station == "" {
			return usageError{fmt.Errorf("--edge needs --hub and --station")}
		}
		if f.id == "" {
			f.id = f.station
		}
		cfg.Edge = f.id
		if cfg.Origin == "" {
			cfg.Origin = "ledger-edge-" + f.id
		}
		cfg.ConfigureServer = edge.EdgeServer(f.id, f.hub, 0)
	case f.leafListen != "":
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return err
		}
		pw, created, err := edge.LeafPassword(cfg.DataDir)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(out, "leaf password for edges (also in %s/%s, mode 0600): %s\n", cfg.DataDir, edge.LeafPasswordFile, pw)
		}
		cfg.ConfigureServer = edge.HubServer(f.leafListen, pw, f.hubDomain)
	}
	return nil
}

// start starts the edge's or the hub's work on the open node; the hub's
// reader of its edges is returned for the HTTP server (nil otherwise).
func (f *edgeFlags) start(ctx context.Context, n *node.Node, out io.Writer) (*edge.Hub, func(context.Context) error, error) {
	switch {
	case f.edge:
		fmt.Fprintf(out, "edge %s: copying station %s from the hub (waits for the link the first time)...\n", f.id, f.station)
		st, stop, err := edge.Start(ctx, n, edge.Config{ID: f.id, Station: f.station, HubDomain: f.hubDomain})
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(out, "edge %s records station %s of election %s\n", f.id, st.ID, st.ElectionID)
		return nil, stop, nil
	case f.leafListen != "":
		h, stop := edge.StartHub(n, edge.HubConfig{})
		return h, stop, nil
	}
	return nil, func(context.Context) error { return nil }, nil
}
