package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"ledger/node"
	"ledger/server"
)

// tokenClient reaches the token store: the running server's HTTP API when
// --server is set, else the data directory directly (only while no server
// runs on it: Pebble locks the directory).
type tokenClient struct {
	g      *globals
	server string
	token  string
}

func newTokenCmd(g *globals) *cobra.Command {
	tc := &tokenClient{g: g}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
		Long: `token manages the bearer tokens of the HTTP API. Tokens are stored hashed (SHA-256)
in the node's Pebble; a secret is printed once, at creation.

Without --server the command opens --data directly (stop the server first).
With --server URL it calls that server's API with an admin token (--token, env
LEDGER_TOKEN, default: the contents of <data>/admin.token).

Roles: admin, supervisor (scope: election IDs and/or region prefixes), secretary
(scope: region prefixes), inspector (optional scope: region prefixes), observer.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&tc.server, "server", os.Getenv("LEDGER_SERVER"), "base URL of a running server, e.g. http://127.0.0.1:8080 (env LEDGER_SERVER)")
	pf.StringVar(&tc.token, "token", os.Getenv("LEDGER_TOKEN"), "admin token for --server (env LEDGER_TOKEN)")
	cmd.AddCommand(tc.createCmd(), tc.listCmd(), tc.revokeCmd())
	return cmd
}

func (tc *tokenClient) createCmd() *cobra.Command {
	var req server.TokenRequest
	var role string
	c := &cobra.Command{
		Use:   "create --role ROLE [--scope S,...] [--actor NAME] [--ttl DURATION]",
		Short: "Create a token and print its secret once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Role = server.Role(role)
			var nt server.NewToken
			err := tc.do(cmd.Context(), http.MethodPost, "/api/v1/tokens", req, &nt, func(ts *server.Tokens) error {
				ttl, err := server.ParseTTL(req.TTL)
				if err != nil {
					return err
				}
				secret, t, err := ts.CreateWithTTL(req.Role, req.Scope, req.Actor, ttl)
				nt = server.NewToken{TokenInfo: server.InfoOf(t), Token: secret}
				return err
			})
			if err != nil {
				return err
			}
			exp := "never"
			if !nt.ExpiresAt.IsZero() {
				exp = nt.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "id %s role %s actor %s scope %s expires %s\n%s\n", nt.ID, nt.Role, nt.Actor, strings.Join(nt.Scope, ","), exp, nt.Token)
			return nil
		},
	}
	c.Flags().StringVar(&role, "role", "", "admin, supervisor, secretary, inspector or observer")
	c.Flags().StringSliceVar(&req.Scope, "scope", nil, "election IDs and/or region code prefixes (comma-separated or repeated)")
	c.Flags().StringVar(&req.Actor, "actor", "", "actor recorded on every write (default <role>:<id>)")
	c.Flags().StringVar(&req.TTL, "ttl", "", "time to live, e.g. 720h or 30m; the token then stops working and its open streams end (default: no expiry)")
	_ = c.MarkFlagRequired("role")
	return c
}

func (tc *tokenClient) listCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []server.TokenInfo
			err := tc.do(cmd.Context(), http.MethodGet, "/api/v1/tokens", nil, &list, func(ts *server.Tokens) error {
				all, err := ts.List()
				for _, t := range all {
					list = append(list, server.InfoOf(t))
				}
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tROLE\tACTOR\tSCOPE\tCREATED\tEXPIRES\tREVOKED")
			for _, t := range list {
				rev := ""
				if !t.RevokedAt.IsZero() {
					rev = t.RevokedAt.Format("2006-01-02T15:04:05Z")
				}
				exp := ""
				if !t.ExpiresAt.IsZero() {
					exp = t.ExpiresAt.Format("2006-01-02T15:04:05Z")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Actor, strings.Join(t.Scope, ","), t.CreatedAt.Format("2006-01-02T15:04:05Z"), exp, rev)
			}
			return w.Flush()
		},
	}
}

func (tc *tokenClient) revokeCmd() *cobra.Command {
	return &cobra.Command{
		Use: "revoke ID", Short: "Revoke a token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var info server.TokenInfo
			err := tc.do(cmd.Context(), http.MethodDelete, "/api/v1/tokens/"+args[0], nil, &info, func(ts *server.Tokens) error {
				_, err := ts.Revoke(args[0])
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
}

// do runs a token operation over HTTP when --server is set, else locally.
func (tc *tokenClient) do(ctx context.Context, method, path string, in, out any, local func(*server.Tokens) error) error {
	if tc.server == "" {
		n, err := node.Open(ctx, tc.g.nodeConfig())
		if err != nil {
			return fmt.Errorf("open %s (is a server running on it? use --server): %w", tc.g.dataDir, err)
		}
		defer n.Close()
		return local(server.NewTokens(n.Store.DB()))
	}
	return tc.call(ctx, method, path, in, out)
}

func (tc *tokenClient) call(ctx context.Context, method, path string, in, out any) error {
	tok := tc.token
	if tok == "" {
		b, err := os.ReadFile(tc.g.dataDir + "/" + server.BootstrapFile)
		if err != nil {
			return fmt.Errorf("no --token and no %s: %w", server.BootstrapFile, err)
		}
		tok = strings.TrimSpace(string(b))
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(tc.server, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, out)
}
