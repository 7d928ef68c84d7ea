package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"ledger/witness"
)

func newWitnessCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "witness",
		Short: "Run a transparency log witness (C2SP tlog-witness) that cosigns ledgers' checkpoints",
		Long: `A witness keeps the latest checkpoint of each ledger it watches and cosigns a new one only
if it extends that one (a consistency proof). Run it on a machine and with a key that the
ledger's operator does not control (see docs/operations.md, "Witnesses").

  ledger witness key   --data DIR --name NAME     create (first time) and print the witness's verifier key
  ledger witness serve --data DIR --http ADDR --log LOGKEY [--log LOGKEY ...]`,
	}
	cmd.AddCommand(newWitnessKeyCmd(g), newWitnessServeCmd(g))
	return cmd
}

func defaultWitnessName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return host + "/witness"
}

func newWitnessKeyCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the witness's verifier key (cosignature/v1), creating its private key under --data (mode 0600) the first time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := witnessKey(cmd, g.dataDir, name)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.VerifierKey)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", defaultWitnessName(), "the witness's name, used when the key is created (a schema-less URL such as witness.example.org/county)")
	return cmd
}

func newWitnessServeCmd(g *globals) *cobra.Command {
	var addr, name string
	var logs []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve add-checkpoint (POST /add-checkpoint) and the latest cosigned checkpoints (GET /<origin hash>/checkpoint)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(logs) == 0 {
				return usageError{errors.New("name at least one log to witness with --log NAME+KEY (its \"ledger audit key\")")}
			}
			k, err := witnessKey(cmd, g.dataDir, name)
			if err != nil {
				return err
			}
			w, err := witness.New(witness.Config{Dir: g.dataDir, Key: k, Logs: logs, Logger: g.logger()})
			if err != nil {
				return usageError{err}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "witness %s serving http://%s (data %s)\n", k.VerifierKey, ln.Addr(), g.dataDir)
			return serveHTTP(cmd.Context(), ln, w.Handler())
		},
	}
	cmd.Flags().StringVar(&addr, "http", "127.0.0.1:8090", "HTTP listen address")
	cmd.Flags().StringVar(&name, "name", defaultWitnessName(), "the witness's name, used when its key is created")
	cmd.Flags().StringArrayVar(&logs, "log", nil, "verifier key of a log to witness, NAME+HASH+KEY (repeatable)")
	return cmd
}

// witnessKey loads the witness key kept in dir, creating it named name
// the first time. An existing key keeps its own name unless --name was
// given (then the names must match).
func witnessKey(cmd *cobra.Command, dir, name string) (witness.Key, error) {
	if !cmd.Flags().Changed("name") {
		if _, err := os.Stat(filepath.Join(dir, witness.KeyFile)); err == nil {
			name = ""
		}
	}
	return witness.LoadOrCreateKey(dir, name)
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
