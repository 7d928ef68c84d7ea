package eventstore

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startEmbedded starts nats-server in this process with JetStream, its
// store under cfg.Dir/jetstream. Without cfg.NATSListen it opens no port.
func startEmbedded(cfg Config) (*server.Server, error) {
	opts := &server.Options{}
	if cfg.ServerOptions != nil {
		o := *cfg.ServerOptions
		opts = &o
	}
	if opts.ServerName == "" {
		opts.ServerName = "ledger"
	}
	opts.JetStream = true
	opts.StoreDir = filepath.Join(cfg.Dir, "jetstream")
	if cfg.MaxStore > 0 {
		opts.JetStreamMaxStore = cfg.MaxStore
	}
	opts.NoSigs = true
	opts.NoLog = true
	if err := setListen(opts, cfg.NATSListen); err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventstore: embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("eventstore: embedded NATS did not start")
	}
	return ns, nil
}

// setListen sets the client address: none when listen is empty, and
// 127.0.0.1 when it names only a port.
func setListen(opts *server.Options, listen string) error {
	if listen == "" {
		opts.DontListen = true
		return nil
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("eventstore: NATS listen address %q: %w", listen, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("eventstore: NATS listen port %q: %w", port, err)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	opts.Host, opts.Port = host, p
	return nil
}
