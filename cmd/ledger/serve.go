package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"ledger/node"
	"ledger/scenario"
	"ledger/server"
	"ledger/web"
)

func newServeCmd(g *globals) *cobra.Command {
	var addr string
	var grace time.Duration
	var maxWrites int
	var demo bool
	var tlsCert, tlsKey string
	var minFreeMiB int64
	var demoScale float64
	var witnesses []string
	var quorum int
	var lim server.Limits
	var ef edgeFlags
	public := true
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a ledger node and its HTTP API: embedded NATS JetStream and Pebble under --data, ingest, read models",
		Long: `serve runs a ledger node and serves its HTTP API on --http (OpenAPI at /openapi.json,
health at /healthz and /readyz, Prometheus metrics at /metrics).

At the first start it creates an admin token, prints it once and writes it to
<data>/admin.token (mode 0600). Create more with "ledger token create".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg := g.nodeConfig()
			cfg.Witnesses, cfg.WitnessQuorum = witnesses, quorum
			if quorum < 0 || quorum > len(witnesses) {
				return usageError{fmt.Errorf("--witness-quorum %d with %d witnesses", quorum, len(witnesses))}
			}
			// The ports first: a taken one is said at once, before the stores open.
			ln, scheme, err := listen(addr, tlsCert, tlsKey)
			if err != nil {
				return err
			}
			defer ln.Close()
			if err := portFree(cfg.NATSURL, cfg.NATSListen); err != nil {
				return err
			}
			if err := ef.configure(&cfg, cmd.OutOrStdout()); err != nil {
				return err
			}
			n, err := node.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer n.Close()
			_, stopEdge, err := ef.start(ctx, n, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer stopEdge(context.Background())
			srv, err := server.New(n, server.Options{Logger: g.logger(), MaxInFlightWrites: maxWrites, Fallback: web.Handler(),
				MinFreeBytes: minFreeMiB << 20, Limits: lim, NoPublic: !public})
			if err != nil {
				return err
			}
			secret, created, err := srv.Tokens().Bootstrap(n.Config.DataDir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if created {
				fmt.Fprintf(out, "admin token (shown once; also in %s/%s, mode 0600):\n%s\n", n.Config.DataDir, server.BootstrapFile, secret)
			}
			fmt.Fprintf(out, "ledger node serving %s://%s (data %s)\n", scheme, ln.Addr(), n.Config.DataDir)
			if err := n.Serving(fmt.Sprintf("%s://%s", scheme, ln.Addr())); err != nil {
				return err
			}
			if demo {
				go loadDemo(ctx, cmd, n, demoScale)
			}
			return srv.Serve(ctx, ln, grace)
		},
	}
	cmd.Flags().Int64Var(&minFreeMiB, "min-free-mib", 64, "refuse writes (507, Retry-After) while the data directory's disk has less free space than this, or is read-only; negative: no check")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	cmd.Flags().BoolVar(&demo, "demo", false, "load the demo province into the running server (through the command path), so that a new user sees a populated ledger at once")
	cmd.Flags().Float64Var(&demoScale, "demo-scale", scenario.DefaultScale, "scale of the demo province, (0, 1]")
	cmd.Flags().StringArrayVar(&witnesses, "witness", nil, "a witness to ask for cosignatures of every checkpoint: its key (\"ledger witness key\") + its URL, NAME+HASH+KEY+URL (repeatable)")
	cmd.Flags().IntVar(&quorum, "witness-quorum", 0, "how many witnesses must cosign a checkpoint (0: a majority of --witness)")
	cmd.Flags().StringVar(&addr, "http", envOr("LEDGER_HTTP", "127.0.0.1:8080"), "HTTP listen address (env LEDGER_HTTP)")
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Second, "how long shutdown waits for requests in flight")
	cmd.Flags().BoolVar(&public, "public", true, "serve the token-free public view (/public and /api/v1/public/...: declared results, turnout, the latest checkpoint, receipts of public events), rate limited per client; --public=false turns it off")
	cmd.Flags().IntVar(&maxWrites, "max-writes", 256, "commands in flight before the server answers 503 with Retry-After")
	addLimitFlags(cmd, &lim)
	ef.add(cmd)
	return cmd
}

// loadDemo records the demo province into the running node and says when
// it is done. A second start with --demo records nothing twice: the
// scenario's command IDs are deterministic.
func loadDemo(ctx context.Context, cmd *cobra.Command, n *node.Node, scale float64) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "loading the demo province (scale %g) through the command path...\n", scale)
	start := time.Now()
	sum, err := scenario.Record(ctx, n.Ledger, scenario.Config{Scale: scale, Seed: 1, Batch: scenario.DeviceBatch}, nil)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "ledger: demo: %v\n", err)
		return
	}
	fmt.Fprintf(out, "demo loaded in %.1fs: %d elections, %d registered voters, %d checked in; open the dashboard\n",
		time.Since(start).Seconds(), sum.Elections, sum.RegisteredVoters, sum.CheckedIn)
}

// portFree fails at once, naming the cause, when the embedded NATS
// server's client port cannot be opened (in use, or not permitted);
// otherwise nats-server would only report that it did not start.
func portFree(natsURL, natsListen string) error {
	if natsURL != "" || natsListen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(natsListen)
	if err != nil {
		return usageError{fmt.Errorf("--nats-listen %q: %w", natsListen, err)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("--nats-listen %s: the NATS client port cannot be opened: %w", natsListen, err)
	}
	return ln.Close()
}

// listen opens the HTTP listener, with TLS when a certificate is given.
func listen(addr, cert, key string) (net.Listener, string, error) {
	if (cert == "") != (key == "") {
		return nil, "", usageError{fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("--http %s: the HTTP port cannot be opened: %w", addr, err)
	}
	if cert == "" {
		return ln, "http", nil
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("TLS certificate: %w", err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}), "https", nil
}

// addLimitFlags adds the timeouts and limits of the HTTP server.
func addLimitFlags(cmd *cobra.Command, l *server.Limits) {
	f := cmd.Flags()
	f.DurationVar(&l.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time to read a request's headers")
	f.DurationVar(&l.ReadTimeout, "read-timeout", 30*time.Second, "time to read a whole request, body included")
	f.DurationVar(&l.WriteTimeout, "write-timeout", 30*time.Second, "time to write an answer (streams: each event)")
	f.DurationVar(&l.IdleTimeout, "idle-timeout", 30*time.Second, "how long a keep-alive connection may wait for its next request")
	f.IntVar(&l.MaxConns, "max-conns", 1024, "open connections; one more is answered 503 with Retry-After and closed")
	f.IntVar(&l.MaxStreams, "max-streams", 256, "open event streams in all before 503")
	f.IntVar(&l.MaxStreamsPerToken, "max-streams-per-token", 8, "open event streams of one token before 429")
	f.Float64Var(&l.RatePerToken, "rate-per-token", 200, "requests per second of one token on average, bursts of twice as many, before 429; negative: no limit")
}
