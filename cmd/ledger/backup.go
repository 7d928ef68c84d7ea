package main

import (
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"ledger/node"
)

func newBackupCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out DIR",
		Short: "Back up a stopped node: JetStream stream snapshot, Pebble checkpoint, keys and tokens",
		Long: `backup writes into --out (created, mode 0700; it must not exist or be empty) a snapshot
of the JetStream stream (through the JetStream API), a Pebble checkpoint of the node's
copy, the checkpoint signing key and its public key, the admin token file, the
downstream NATS users and a manifest.json with the Merkle root the backup holds.
The backup holds secrets: keep it as you keep the data directory.
Stop "ledger serve" first: the data directory is locked while it runs. With --nats-url
the stream is snapshotted from the cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			n, err := openOffline(cmd, g)
			if err != nil {
				return err
			}
			info, err := node.Backup(cmd.Context(), n, out)
			if cerr := n.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			return reportBackup(cmd, g, "backed up", out, info)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the backup directory to create")
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print JSON for scripts")
	return cmd
}

func newRestoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore BACKUP_DIR --data NEW_DIR",
		Short: "Restore a backup into a new data directory and check it against the backup's Merkle root",
		Long: `restore copies a backup made by "ledger backup" into --data (which must not exist or be
empty): the Pebble checkpoint, keys and tokens, and the stream, restored into the new
directory's embedded JetStream (or, with --nats-url, into that cluster unless the stream
exists there already). It then opens the node, lets it catch up, and checks that the
Merkle root at the backup's size equals the backup's. Run "ledger audit verify" next.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := g.nodeConfig()
			info, err := node.Restore(cmd.Context(), args[0], cfg)
			if err != nil {
				return err
			}
			if err := checkRestored(cmd, g, info); err != nil {
				return err
			}
			return reportBackup(cmd, g, "restored", g.dataDir, info)
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print JSON for scripts")
	return cmd
}

// checkRestored opens the restored node, waits for ingest, and compares
// the Merkle root at the backup's tree size with the manifest's.
func checkRestored(cmd *cobra.Command, g *globals, info node.BackupInfo) error {
	n, err := openOffline(cmd, g)
	if err != nil {
		return err
	}
	defer n.Close()
	select {
	case <-n.Store.Ready():
	case <-cmd.Context().Done():
		return cmd.Context().Err()
	}
	if info.TreeSize == 0 {
		return nil
	}
	root, err := n.Tree.Root(info.TreeSize)
	if err != nil {
		return fmt.Errorf("restored tree: %w", err)
	}
	if got := hex.EncodeToString(root); got != info.Root {
		return exitError{code: 1, msg: fmt.Sprintf("restored Merkle root %s at size %d, backup has %s", got, info.TreeSize, info.Root)}
	}
	return nil
}

func reportBackup(cmd *cobra.Command, g *globals, what, dir string, info node.BackupInfo) error {
	if g.jsonOut {
		return printJSON(cmd.OutOrStdout(), struct {
			Done string `json:"done"`
			Dir  string `json:"dir"`
			node.BackupInfo
		}{what, dir, info})
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %d events, stream %d bytes, Merkle root %s, files %v\n",
		what, dir, info.TreeSize, info.StreamBytes, info.Root, info.Files)
	return err
}
