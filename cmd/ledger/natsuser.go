package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"ledger/natsusers"
)

func newNATSUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nats-user",
		Short: "Create, list and revoke read-only NATS users for downstream systems",
		Long: `nats-user manages the users of the embedded NATS server (serve --nats-listen)
that downstream systems connect with. Such a user may subscribe to the ledger's
subjects (ledger.ev.>, ledger.checkpoint), create and use consumers on the
LEDGER stream and read its messages; it may not publish into the stream nor
delete, purge or change it. Passwords are random, printed once, and kept as
bcrypt hashes in <data>/` + natsusers.NATSUsersFile + ` (mode 0600).

The server reads the users when it starts: restart serve after a change.`,
	}
	cmd.AddCommand(newNATSUserCreateCmd(g), newNATSUserListCmd(g), newNATSUserRevokeCmd(g))
	return cmd
}

func newNATSUserCreateCmd(g *globals) *cobra.Command {
	var name, out, url string
	c := &cobra.Command{
		Use:   "create --name NAME [--out FILE] [--url URL]",
		Short: "Create a user and print (or write) its credentials once",
		Long: `create adds a read-only user and prints its credentials as JSON, or writes them
to --out (mode 0600). The file's fields (url, user, password) are those of a
natscli context; use it with "ledger tail --nats-creds FILE", or copy it to
~/.config/nats/context/NAME.json and run "nats --context NAME ...".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := natsusers.CreateNATSUser(g.dataDir, name)
			if err != nil {
				return err
			}
			if url == "" {
				url = listenURL(g.natsListen)
			}
			b, err := json.MarshalIndent(natsusers.NATSCredentials{
				Description: "ledger downstream user " + name, URL: url, User: name, Password: pw,
			}, "", "  ")
			if err != nil {
				return err
			}
			b = append(b, '\n')
			w := cmd.OutOrStdout()
			if out == "" {
				_, err = w.Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(w, "created NATS user %s; credentials in %s (restart serve to let it in)\n", name, out)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "user name: letters, digits, '-' and '_' (required)")
	c.Flags().StringVar(&out, "out", "", "write the credentials to this file (mode 0600) instead of printing them")
	c.Flags().StringVar(&url, "url", "", "server URL to put in the credentials (default: from --nats-listen, else "+natsusers.DefaultNATSURL+")")
	_ = c.MarkFlagRequired("name")
	return c
}

// listenURL is the client URL of an embedded server listening at listen.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return natsusers.DefaultNATSURL
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, port)
}

func newNATSUserListCmd(g *globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use: "list", Short: "List the downstream NATS users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			users, err := natsusers.LoadNATSUsers(g.dataDir)
			if err != nil {
				return err
			}
			if asJSON {
				type user struct {
					Name    string    `json:"name"`
					Created time.Time `json:"created"`
				}
				list := make([]user, 0, len(users))
				for _, u := range users {
					list = append(list, user{u.Name, u.Created})
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(list)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\n", u.Name, u.Created.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newNATSUserRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "revoke NAME", Short: "Remove a downstream NATS user (effective when serve restarts)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := natsusers.RevokeNATSUser(g.dataDir, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked NATS user %s (restart serve to disconnect it)\n", args[0])
			return nil
		},
	}
}
