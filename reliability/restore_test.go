package reliability

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"ledger/backup"
	"ledger/node"
)

// TestClusterBackupRestoresEmbedded: a backup of a node on a three-server
// cluster (stream replicas 3) restores with "ledger restore" into an
// embedded node, which holds the same Merkle root and a one-replica stream.
func TestClusterBackupRestoresEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes; skipped with -short")
	}
	c := startProcCluster(t)
	n := openClusterNode(t, node.Config{DataDir: t.TempDir(), NATSURL: c.urlsFrom(0), Offline: true})
	setupElectionOn(t, n, 2, 20)
	bdir := filepath.Join(t.TempDir(), "backup")
	info, err := backup.Backup(context.Background(), n, bdir)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	var cfg struct {
		Replicas int `json:"num_replicas"`
	}
	if err := json.Unmarshal(info.Stream, &cfg); err != nil || info.TreeSize == 0 || cfg.Replicas != 3 {
		t.Fatalf("backup of the cluster: %d events, stream config %s (%v); want events and 3 replicas", info.TreeSize, info.Stream, err)
	}

	data := filepath.Join(t.TempDir(), "embedded")
	out, err := exec.Command(bin, "restore", bdir, "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("ledger restore of a cluster bdir into an embedded node: %v\n%s", err, out)
	}
	r, err := node.Open(context.Background(), node.Config{DataDir: data, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	<-r.Store.Ready()
	root, err := r.Tree.Root(info.TreeSize)
	if err != nil || hex.EncodeToString(root) != info.Root {
		t.Fatalf("restored root %x (%v), bdir %s", root, err, info.Root)
	}
	stream, err := r.Store.Stream()
	if err != nil {
		t.Fatal(err)
	}
	st, err := stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Config.Replicas != 1 || st.State.Msgs == 0 {
		t.Fatalf("restored stream: %d replicas, %d messages; want 1 replica and the backup's messages", st.Config.Replicas, st.State.Msgs)
	}
}
