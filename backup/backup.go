// Package backup copies a stopped ledger node into a backup directory (a
// Pebble checkpoint, a JetStream stream snapshot taken through the
// JetStream API, keys and tokens, a manifest) and restores one into a new
// data directory, embedded or on a cluster, atomically.
package backup

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"ledger/audit"
	"ledger/eventstore"
	"ledger/natsusers"
	"ledger/node"
)

// Files of a backup directory (see [Backup]).
const (
	ManifestFile = "manifest.json"      // what the backup holds (BackupInfo)
	PebbleDir    = eventstore.PebbleDir // a Pebble checkpoint of the node's copy
	StreamFile   = "stream.snapshot"    // the JetStream stream snapshot (s2-compressed tar, as the JS API sends it)
)

// secretFiles are the files of a data directory a backup copies besides
// Pebble and the stream: the checkpoint signing key and its public half,
// the first admin token and the downstream NATS users (token records live
// in Pebble). Missing ones are skipped.
var secretFiles = []string{audit.SignerKeyFile, audit.VerifierKeyFile, "admin.token", natsusers.NATSUsersFile}

// BackupInfo describes a backup; it is written to ManifestFile.
type BackupInfo struct {
	CreatedAt time.Time `json:"created_at"`
	Origin    string    `json:"origin"`
	// Stream is the stream's configuration and state as JetStream
	// reported them at the snapshot; Restore sends them back.
	Stream      json.RawMessage `json:"stream_config"`
	StreamState json.RawMessage `json:"stream_state"`
	StreamBytes int64           `json:"stream_bytes"`
	// Position is the last event the Pebble checkpoint holds.
	Position uint64 `json:"position"`
	// TreeSize and Root are the Merkle tree of the Pebble checkpoint.
	TreeSize uint64   `json:"tree_size"`
	Root     string   `json:"root"`
	Files    []string `json:"files"`
}

// ErrNotEmpty is returned by Backup and Restore when the target directory
// already holds files: neither overwrites anything.
var ErrNotEmpty = errors.New("backup: target directory is not empty")

// Backup writes a copy of node n into dir (created, mode 0700; it must not
// exist or be empty): a Pebble checkpoint first, then a snapshot of the
// JetStream stream taken through the JetStream API (so it works the same
// embedded and against a cluster), the key and token files, and
// ManifestFile. The stream is snapshotted after Pebble, so it holds at
// least what the checkpoint holds; after a restore ingest takes the
// difference from the stream. The node must have caught up (Ready);
// backing up a node that serves writes is consistent too, but the data
// directory is locked by a running "ledger serve", so the command line
// backs up a stopped node.
func Backup(ctx context.Context, n *node.Node, dir string) (BackupInfo, error) {
	if err := emptyDir(dir); err != nil {
		return BackupInfo{}, err
	}
	select {
	case <-n.Store.Ready():
	case <-ctx.Done():
		return BackupInfo{}, ctx.Err()
	}
	info := BackupInfo{CreatedAt: time.Now().UTC(), Origin: n.Config.Origin}
	if err := n.Store.DB().Checkpoint(filepath.Join(dir, PebbleDir), pebble.WithFlushedWAL()); err != nil {
		return info, fmt.Errorf("backup: pebble checkpoint: %w", err)
	}
	if err := checkpointInfo(filepath.Join(dir, PebbleDir), &info); err != nil {
		return info, err
	}
	if err := snapshotStream(ctx, n.Store.Conn(), n.Store.StreamName(), filepath.Join(dir, StreamFile), &info); err != nil {
		return info, err
	}
	files, err := copyFiles(n.Config.DataDir, dir, secretFiles)
	if err != nil {
		return info, err
	}
	info.Files = files
	return info, writeManifest(dir, info)
}

// checkpointInfo opens the Pebble checkpoint read-only and records its
// durable position and Merkle root.
func checkpointInfo(dir string, info *BackupInfo) error {
	db, err := eventstore.OpenPebble(dir, true)
	if err != nil {
		return fmt.Errorf("backup: open pebble checkpoint: %w", err)
	}
	defer db.Close()
	tree, err := audit.NewTree(db)
	if err != nil {
		return err
	}
	info.TreeSize = tree.Size()
	if info.TreeSize > 0 {
		root, err := tree.Root(info.TreeSize)
		if err != nil {
			return fmt.Errorf("backup: merkle root of the checkpoint: %w", err)
		}
		info.Root = hex.EncodeToString(root)
	}
	info.Position = info.TreeSize
	return nil
}

// snapshotStream asks JetStream for a snapshot of stream and writes its
// chunks to file, acknowledging each (the API's flow control).
func snapshotStream(ctx context.Context, nc *nats.Conn, stream, file string, info *BackupInfo) error {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("backup: snapshot subscribe: %w", err)
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return err
	}
	req, _ := json.Marshal(server.JSApiStreamSnapshotRequest{DeliverSubject: inbox, NoConsumers: true, ChunkSize: 256 << 10})
	var resp server.JSApiStreamSnapshotResponse
	if err := jsRequest(ctx, nc, fmt.Sprintf(server.JSApiStreamSnapshotT, stream), req, &resp); err != nil {
		return fmt.Errorf("backup: snapshot stream %s: %w", stream, err)
	}
	info.Stream, _ = json.Marshal(resp.Config)
	info.StreamState, _ = json.Marshal(resp.State)
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return fmt.Errorf("backup: snapshot chunk: %w", err)
		}
		if len(m.Data) == 0 { // the end: a status header, 204 when complete
			if st := m.Header.Get("Status"); st != "" && st != "204" {
				return fmt.Errorf("backup: snapshot of %s failed: %s %s", stream, st, m.Header.Get("Description"))
			}
			break
		}
		if _, err := w.Write(m.Data); err != nil {
			return fmt.Errorf("backup: write snapshot: %w", err)
		}
		info.StreamBytes += int64(len(m.Data))
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// jsRequest sends a JetStream API request and decodes its response,
// turning an API error into a Go error.
func jsRequest(ctx context.Context, nc *nats.Conn, subject string, req []byte, resp any) error {
	m, err := nc.RequestWithContext(ctx, subject, req)
	if err != nil {
		return err
	}
	var apiErr struct {
		Error *server.ApiError `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &apiErr); err != nil {
		return fmt.Errorf("bad JetStream API response: %w", err)
	}
	if apiErr.Error != nil {
		return fmt.Errorf("JetStream API: %s (code %d)", apiErr.Error.Description, apiErr.Error.ErrCode)
	}
	return json.Unmarshal(m.Data, resp)
}

// ReadBackupInfo reads the manifest of a backup directory.
func ReadBackupInfo(dir string) (BackupInfo, error) {
	var info BackupInfo
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return info, fmt.Errorf("backup: not a backup: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("backup: %s: %w", ManifestFile, err)
	}
	return info, nil
}

// Restore makes cfg.DataDir (which must not exist or be empty) a copy of
// the backup in from: the Pebble checkpoint, the key and token files, and
// the stream, restored through the JetStream API into the embedded server
// of the new directory, or, with cfg.NATSURL, into that cluster unless the
// stream already exists there (then the cluster's stream is the log of
// record and the node catches up from it). The stream gets cfg.Replicas
// replicas (default 1 embedded, 3 in a cluster), whatever the backup came
// from. Restore then opens the result and checks the Merkle root at the
// backup's size against the manifest's.
//
// Restore is atomic for the directory: it builds everything in a new
// directory beside the target and renames it into place only when the
// check passed; on any error the target is left as it was (absent or
// empty) and nothing is left beside it. A stream restored into a cluster
// stays there (JetStream's restore creates it only once complete).
func Restore(ctx context.Context, from string, cfg node.Config) (BackupInfo, error) {
	info, err := ReadBackupInfo(from)
	if err != nil {
		return info, err
	}
	target, err := restoreTarget(cfg.DataDir)
	if err != nil {
		return info, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return info, fmt.Errorf("backup: restore: %w", err)
	}
	defer os.RemoveAll(tmp) // nothing is left once renamed
	cfg.DataDir = tmp
	if err := restoreInto(ctx, from, cfg, info); err != nil {
		return info, err
	}
	if err := os.Rename(tmp, target); err != nil {
		return info, fmt.Errorf("backup: move the restored directory into place: %w", err)
	}
	return info, syncDir(filepath.Dir(target))
}

// restoreTarget returns the absolute path of the data directory to
// restore into, making its parent; the directory itself must be absent or
// empty (ErrNotEmpty) and is not created.
func restoreTarget(dir string) (string, error) {
	if dir == "" {
		dir = "data"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	}
	return dir, os.MkdirAll(filepath.Dir(dir), 0o700)
}

// restoreInto restores the backup in from into the empty cfg.DataDir and
// checks the result.
func restoreInto(ctx context.Context, from string, cfg node.Config, info BackupInfo) error {
	if err := copyTree(filepath.Join(from, PebbleDir), filepath.Join(cfg.DataDir, PebbleDir)); err != nil {
		return fmt.Errorf("backup: restore pebble: %w", err)
	}
	if _, err := copyFiles(from, cfg.DataDir, info.Files); err != nil {
		return err
	}
	if err := restoreStreamOf(ctx, from, cfg, info); err != nil {
		return err
	}
	return checkRestored(ctx, cfg, info)
}

// restoreStreamOf restores the stream of the backup in from into the
// embedded server of cfg.DataDir or the cluster of cfg.NATSURL.
func restoreStreamOf(ctx context.Context, from string, cfg node.Config, info BackupInfo) error {
	nc, stop, err := restoreConn(cfg)
	if err != nil {
		return err
	}
	defer stop()
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 1
		if cfg.NATSURL != "" {
			replicas = 3
		}
	}
	return restoreStream(ctx, nc, filepath.Join(from, StreamFile), info, replicas, cfg.NATSURL != "")
}

// checkRestored opens the restored node, waits until it has ingested the
// stream, and compares the Merkle root at the backup's tree size with the
// manifest's.
func checkRestored(ctx context.Context, cfg node.Config, info BackupInfo) error {
	cfg.Offline = true
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("backup: open the restored node: %w", err)
	}
	defer n.Close()
	select {
	case <-n.Store.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	if info.TreeSize == 0 {
		return nil
	}
	root, err := n.Tree.Root(info.TreeSize)
	if err != nil {
		return fmt.Errorf("backup: restored tree: %w", err)
	}
	if got := hex.EncodeToString(root); got != info.Root {
		return fmt.Errorf("%w: Merkle root %s at size %d, the backup has %s", ErrRestoreMismatch, got, info.TreeSize, info.Root)
	}
	return nil
}

// ErrRestoreMismatch means the restored node does not hold the backup's
// Merkle root at the backup's size; the restore was not moved into place.
var ErrRestoreMismatch = errors.New("backup: restored log differs from the backup")

// syncDir fsyncs a directory so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// restoreConn connects to the cluster of cfg, or starts the embedded
// server of cfg.DataDir (no client port) and connects in-process.
func restoreConn(cfg node.Config) (*nats.Conn, func(), error) {
	opts := append([]nats.Option{nats.Name("ledger-restore")}, cfg.NATSOptions...)
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("backup: connect to NATS: %w", err)
		}
		return nc, nc.Close, nil
	}
	ns, err := server.NewServer(&server.Options{ServerName: "ledger", JetStream: true, DontListen: true,
		StoreDir: filepath.Join(cfg.DataDir, "jetstream"), NoSigs: true, NoLog: true})
	if err != nil {
		return nil, nil, fmt.Errorf("backup: embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, nil, errors.New("backup: embedded NATS did not start")
	}
	nc, err := nats.Connect(ns.ClientURL(), append(opts, nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		return nil, nil, fmt.Errorf("backup: connect to embedded NATS: %w", err)
	}
	return nc, func() { nc.Close(); ns.Shutdown(); ns.WaitForShutdown() }, nil
}

// restoreStream sends the snapshot in file to JetStream, each chunk as a
// request (the API acknowledges each), then an empty message to finish.
func restoreStream(ctx context.Context, nc *nats.Conn, file string, info BackupInfo, replicas int, cluster bool) error {
	var req server.JSApiStreamRestoreRequest
	if err := json.Unmarshal(info.Stream, &req.Config); err != nil {
		return fmt.Errorf("backup: stream config in manifest: %w", err)
	}
	if err := json.Unmarshal(info.StreamState, &req.State); err != nil {
		return fmt.Errorf("backup: stream state in manifest: %w", err)
	}
	req.Config.Replicas = replicas
	if !cluster {
		req.Config.Placement = nil // a cluster's placement means nothing to one server
	}
	if cluster {
		var existing server.JSApiStreamInfoResponse
		if err := jsRequest(ctx, nc, fmt.Sprintf(server.JSApiStreamInfoT, req.Config.Name), nil, &existing); err == nil {
			return nil // the cluster holds the log of record already
		}
	}
	body, _ := json.Marshal(req)
	var resp server.JSApiStreamRestoreResponse
	if err := jsRequest(ctx, nc, fmt.Sprintf(server.JSApiStreamRestoreT, req.Config.Name), body, &resp); err != nil {
		return fmt.Errorf("backup: restore stream %s: %w", req.Config.Name, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendChunks(ctx, nc, resp.DeliverSubject, f)
}

func sendChunks(ctx context.Context, nc *nats.Conn, subject string, r io.Reader) error {
	chunk := make([]byte, 256<<10)
	for {
		n, err := io.ReadFull(r, chunk)
		if n > 0 {
			if _, rerr := nc.RequestWithContext(ctx, subject, chunk[:n]); rerr != nil {
				return fmt.Errorf("backup: restore chunk: %w", rerr)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var done server.JSApiStreamCreateResponse
	if err := jsRequest(ctx, nc, subject, nil, &done); err != nil {
		return fmt.Errorf("backup: finish restore: %w", err)
	}
	return nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	}
	return os.MkdirAll(dir, 0o700)
}

// copyFiles copies the named files that exist from one directory to
// another (mode 0600) and returns the names copied.
func copyFiles(from, to string, names []string) ([]string, error) {
	var done []string
	for _, name := range names {
		err := copyFile(filepath.Join(from, name), filepath.Join(to, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return done, fmt.Errorf("backup: copy %s: %w", name, err)
		}
		done = append(done, name)
	}
	return done, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyTree copies a directory of plain files (a Pebble checkpoint).
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		return copyFile(p, filepath.Join(to, rel))
	})
}

func writeManifest(dir string, info BackupInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}
