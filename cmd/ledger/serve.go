package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"ledger/node"
)

func init() { subcommands = append(subcommands, newServeCmd) }

func newServeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a ledger node: embedded NATS JetStream and Pebble under --data, ingest, read models",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			n, err := node.Open(ctx, g.nodeConfig())
			if err != nil {
				return err
			}
			defer n.Close()
			<-n.Store.Ready()
			seq, pos := n.Store.Position()
			fmt.Fprintf(cmd.OutOrStdout(), "ledger node ready: data %s, %d events in %d messages\n", n.Config.DataDir, pos, seq)
			<-ctx.Done()
			return nil
		},
	}
	return cmd
}
