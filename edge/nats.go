// Package edge runs ledger nodes at polling stations as NATS leaf nodes of
// a county hub, and brings what they recorded into the hub's log.
//
// An edge is a full node (its own JetStream domain, stream, Pebble, Merkle
// tree and checkpoint key) whose embedded nats-server is a leaf node of the
// hub's. It records commands only on the stations the hub delegated to it
// (domain.DelegateStation), copying the station's and its election's
// history from the hub while the link is up (Seed), so that it decides
// every rule it can locally while the link is down. The hub's nats-server
// mirrors each edge's stream across the leaf link into an inbox stream
// (EDGE_<id>); the hub node reads each inbox in order (Hub) and appends
// what the edge recorded to the station, with the edge's sequence,
// positions and event hashes as evidence (domain.EdgeRecorded), records the
// edge's signed checkpoints once their root is proved from that evidence
// (domain.EdgeCheckpoint), and records what only the hub can see as
// irregularities on the election (domain.EdgeIrregularity). The hub's log
// keeps one writer: the hub node. See docs/edge.md.
package edge

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"ledger/domain"
)

// Names shared by the hub and its edges.
const (
	// HubDomain is the hub's JetStream domain unless configured otherwise.
	HubDomain = "hub"
	// LeafUser is the user edges authenticate as on the hub's leaf port.
	LeafUser = "edge"
	// InboxPrefix starts the name of the hub's mirror of an edge's stream.
	InboxPrefix = "EDGE_"
	// checkpointSubject + edge ID is where an edge answers with its latest
	// signed checkpoint.
	checkpointSubject = "edge.checkpoint."
	// metaStation etc. are the inbox stream's metadata keys.
	metaEdge    = "ledger_edge"
	metaStation = "ledger_station"
	metaRegion  = "ledger_region"
)

// Domain returns the JetStream domain of edge id.
func Domain(id string) string { return "edge-" + id }

// Inbox returns the name of the hub's inbox stream of edge id.
func Inbox(id string) string { return InboxPrefix + id }

// notShared are the subjects that never cross a leaf link: each side's
// event subjects and checkpoints are its own (each side has its own
// stream on ledger.ev.>); what crosses is JetStream's API and mirroring.
var notShared = []string{"ledger.>"}

// HubServer returns the nats-server options of a county hub: JetStream
// domain (HubDomain when empty) and a leaf node port on listen
// ("127.0.0.1:7422", ":0" for a random loopback port) that edges join with
// user LeafUser and password.
func HubServer(listen, password, domainName string) func(*server.Options) error {
	return func(o *server.Options) error {
		if password == "" {
			return fmt.Errorf("edge: the hub's leaf port needs a password")
		}
		host, port, err := splitListen(listen)
		if err != nil {
			return err
		}
		if domainName == "" {
			domainName = HubDomain
		}
		o.JetStreamDomain = domainName
		o.LeafNode.Host, o.LeafNode.Port = host, port
		o.LeafNode.Username, o.LeafNode.Password = LeafUser, password
		// Edges reach the hub only by the address they are given (a NAT, a
		// VPN): the hub does not tell them its own addresses to try.
		o.LeafNode.NoAdvertise = true
		return nil
	}
}

// EdgeServer returns the nats-server options of edge id: its own JetStream
// domain (Domain(id)) and a leaf link to hub (nats://edge:PASSWORD@HOST:PORT),
// retried every reconnect (default 2s) while it is down.
func EdgeServer(id, hub string, reconnect time.Duration) func(*server.Options) error {
	return func(o *server.Options) error {
		if !domain.ValidEdgeID(id) {
			return fmt.Errorf("edge: edge ID %q: 1-32 letters, digits, '-' or '_'", id)
		}
		u, err := url.Parse(hub)
		if err != nil || u.Host == "" {
			return fmt.Errorf("edge: hub URL %q: want nats://edge:PASSWORD@HOST:PORT", hub)
		}
		if reconnect <= 0 {
			reconnect = 2 * time.Second
		}
		o.JetStreamDomain, o.ServerName = Domain(id), Domain(id)
		o.LeafNode.ReconnectInterval = reconnect
		o.LeafNode.Remotes = append(o.LeafNode.Remotes, &server.RemoteLeafOpts{
			URLs: []*url.URL{u}, DenyImports: notShared, DenyExports: notShared,
		})
		return nil
	}
}

func splitListen(listen string) (string, int, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("edge: leaf listen address %q: %w", listen, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("edge: leaf listen port %q: %w", port, err)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	return host, p, nil
}

// Connected reports whether s has a leaf link up (an edge to its hub, or
// a hub to at least one edge).
func Connected(s *server.Server) bool { return s != nil && s.NumLeafNodes() > 0 }

// LeafPasswordFile holds the password of the hub's leaf port under the
// data directory (mode 0600).
const LeafPasswordFile = "leaf.password"

// LeafPassword returns the hub's leaf port password kept in dir, making a
// random one at the first start (created is then true).
func LeafPassword(dir string) (password string, created bool, err error) {
	path := filepath.Join(dir, LeafPasswordFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("edge: %w", err)
	}
	var r [24]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", false, err
	}
	password = base64.RawURLEncoding.EncodeToString(r[:])
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("edge: %w", err)
	}
	return password, true, nil
}
