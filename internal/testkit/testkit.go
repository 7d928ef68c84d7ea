// Package testkit holds what several packages' tests share: a 3-node NATS
// JetStream cluster on loopback and a look at a node's read models.
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"ledger/eventstore"
)

// Cluster is three nats-server instances with JetStream, clustered on
// loopback, stopped when the test ends.
type Cluster struct {
	Servers []*server.Server
	URLs    []string
}

// StartCluster starts a cluster; tweak, when set, adjusts each server's
// options (TLS, for example).
func StartCluster(t testing.TB, tweak func(*server.Options)) *Cluster {
	t.Helper()
	routePorts := freePorts(t, 3)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{}
	t.Cleanup(func() {
		for _, ns := range c.Servers {
			ns.Shutdown()
		}
	})
	for i := range 3 {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "ledger", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		if tweak != nil {
			tweak(opts)
		}
		ns, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats-server did not start")
		}
		c.Servers = append(c.Servers, ns)
		c.URLs = append(c.URLs, ns.ClientURL())
	}
	return c
}

// URLsFrom returns the client URLs starting with server i, comma-separated
// (a client connects to the first it can reach).
func (c *Cluster) URLsFrom(i int) string {
	return strings.Join(append(append([]string(nil), c.URLs[i:]...), c.URLs[:i]...), ",")
}

// Stop shuts down the server called name.
func (c *Cluster) Stop(name string) {
	for _, ns := range c.Servers {
		if ns.Name() == name {
			ns.Shutdown()
		}
	}
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// ReadModelKeys returns every read-model key and value ('p' prefix) of a
// stopped node's Pebble copy under dataDir.
func ReadModelKeys(t testing.TB, dataDir string) map[string][]byte {
	t.Helper()
	db, err := eventstore.OpenPebble(eventstore.PebblePath(dataDir), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte("p"), UpperBound: []byte("q")})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[string][]byte{}
	for it.First(); it.Valid(); it.Next() {
		out[string(it.Key())] = bytes.Clone(it.Value())
	}
	return out
}

// StreamLeader returns the name of the server that leads stream.
func StreamLeader(t testing.TB, js jetstream.JetStream, stream string) string {
	t.Helper()
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.Cluster.Leader
}
