package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"ledger/backup"
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
			info, err := backup.Backup(cmd.Context(), n, out)
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
	var replicas int
	cmd := &cobra.Command{
		Use:   "restore BACKUP_DIR --data NEW_DIR",
		Short: "Restore a backup into a new data directory and check it against the backup's Merkle root",
		Long: `restore copies a backup made by "ledger backup" into --data (which must not exist or be
empty): the Pebble checkpoint, keys and tokens, and the stream, restored into the new
directory's embedded JetStream (or, with --nats-url, into that cluster unless the stream
exists there already). A backup restores into either, whatever it came from: the stream
gets --replicas replicas (default 1 embedded, 3 with --nats-url). It then opens the node,
lets it catch up, and checks that the Merkle root at the backup's size equals the backup's.
All of it is built in a new directory beside --data and moved into place only when the
check passed: a failed restore leaves --data as it was. Run "ledger audit verify" next.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := g.nodeConfig()
			cfg.Replicas = replicas
			info, err := backup.Restore(cmd.Context(), args[0], cfg)
			if errors.Is(err, backup.ErrRestoreMismatch) {
				return exitError{code: 1, msg: err.Error()}
			}
			if err != nil {
				return err
			}
			return reportBackup(cmd, g, "restored", g.dataDir, info)
		},
	}
	cmd.Flags().IntVar(&replicas, "replicas", 0, "replicas of the restored stream (default 1 embedded, 3 with --nats-url)")
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print JSON for scripts")
	return cmd
}

func reportBackup(cmd *cobra.Command, g *globals, what, dir string, info backup.BackupInfo) error {
	if g.jsonOut {
		return printJSON(cmd.OutOrStdout(), struct {
			Done string `json:"done"`
			Dir  string `json:"dir"`
			backup.BackupInfo
		}{what, dir, info})
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %d events, stream %d bytes, Merkle root %s, files %v\n",
		what, dir, info.TreeSize, info.StreamBytes, info.Root, info.Files)
	return err
}
