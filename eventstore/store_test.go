package eventstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/nats-io/nats-server/v2/server"

	"ledger/eventstore"
	"ledger/eventstore/storetest"
)

// openEmbedded opens a store with its own embedded server: JetStream file
// storage and Pebble on disk under dir.
func openEmbedded(t *testing.T, dir string, dropPebble bool) *eventstore.Store {
	t.Helper()
	if dropPebble {
		if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
			t.Fatal(err)
		}
	}
	s, err := eventstore.Open(context.Background(), eventstore.Config{Dir: dir, DuplicateWindow: time.Second})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

func TestConformanceEmbedded(t *testing.T) { storetest.Run(t, openEmbedded) }

// TestConformanceExternal runs the suite against a separate nats-server on
// a random loopback port (the --nats-url path) with Pebble on an in-memory
// filesystem.
func TestConformanceExternal(t *testing.T) {
	url := startServer(t)
	var mu sync.Mutex
	fss := map[string]vfs.FS{}
	names := map[string]string{}
	storetest.Run(t, func(t *testing.T, dir string, dropPebble bool) *eventstore.Store {
		t.Helper()
		mu.Lock()
		fs, ok := fss[dir]
		if !ok || dropPebble {
			fs = vfs.NewMem()
			fss[dir] = fs
		}
		if names[dir] == "" {
			names[dir] = fmt.Sprintf("T%d", len(names))
		}
		stream := names[dir]
		mu.Unlock()
		s, err := eventstore.Open(context.Background(), eventstore.Config{
			Dir: dir, NATSURL: url, Replicas: 1, FS: fs, Stream: stream,
			SubjectPrefix: "t." + stream, DuplicateWindow: time.Second,
		})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		return s
	})
}

// startServer starts nats-server with JetStream on a random loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}
