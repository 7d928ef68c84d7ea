package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ledger/domain"
)

// commandTypes returns the command types of the domain and their aggregate kinds.
func commandTypes() (names []string, kinds map[string]string) {
	kinds = map[string]string{}
	for _, c := range domain.CommandTypes() {
		names = append(names, c.CommandType())
		kinds[c.CommandType()] = string(c.Target().Kind)
	}
	return names, kinds
}

func newRawCmd(g *globals) *cobra.Command {
	a := &apiFlags{g: g}
	var body string
	var list bool
	names, kinds := commandTypes()
	cmd := &cobra.Command{
		Use:   "cmd COMMAND_TYPE --body JSON|@FILE|-",
		Short: "Record any command by its type and JSON body (the escape hatch; --list shows the types)",
		Long: `cmd records one command of any type on a running server: POST
/api/v1/commands/COMMAND_TYPE with the body as given. The body is a JSON object
(--body '{"election_id":...}'), @FILE to read it from a file, or - for stdin.
The schemas of the bodies are in the server's /openapi.json; complete examples
are in domain/testdata/*.jsonl.

A command ID (a ULID) is generated unless --command-id is given: reuse the ID
printed by a failed attempt to retry it safely.`,
		Example: `  ledger cmd publish_roll --body '{"election_id":"01J00000000000000000000001","region":"220102001001"}'
  ledger cmd register_voters --body @batch.json --occurred-at 2026-04-01T09:00:00+08:00
  ledger cmd --list`,
		ValidArgs: names,
		Args:      usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return listCommandTypes(cmd.OutOrStdout(), g.jsonOut, names, kinds)
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("name a command type (ledger cmd --list shows them)")}
			}
			ct := args[0]
			if _, ok := kinds[ct]; !ok {
				return usageError{fmt.Errorf("unknown command type %q%s (ledger cmd --list shows them)", ct, suggest(ct, names))}
			}
			if body == "" {
				return usageError{fmt.Errorf("--body is required")}
			}
			b, err := readBody(cmd.InOrStdin(), body)
			if err != nil {
				return err
			}
			_, err = a.send(cmd, ct, b)
			return err
		},
	}
	a.addConnFlags(cmd)
	a.addWriteFlags(cmd)
	cmd.Flags().StringVar(&body, "body", "", "the command's JSON body, @FILE, or - for stdin")
	cmd.Flags().BoolVar(&list, "list", false, "list the command types and their aggregate kinds")
	return cmd
}

// readBody reads a body given inline, as @FILE or as - (stdin), and checks
// that it is one JSON object.
func readBody(stdin io.Reader, arg string) ([]byte, error) {
	var b []byte
	var err error
	switch {
	case arg == "-":
		b, err = io.ReadAll(stdin)
	case strings.HasPrefix(arg, "@"):
		b, err = os.ReadFile(arg[1:])
	default:
		b = []byte(arg)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("--body: %w", err)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, usageError{fmt.Errorf("--body is not a JSON object: %w", err)}
	}
	return b, nil
}

func listCommandTypes(w io.Writer, asJSON bool, names []string, kinds map[string]string) error {
	if asJSON {
		type row struct {
			CommandType string `json:"command_type"`
			Aggregate   string `json:"aggregate"`
		}
		rows := make([]row, 0, len(names))
		for _, n := range names {
			rows = append(rows, row{n, kinds[n]})
		}
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMMAND TYPE\tAGGREGATE")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t%s\n", n, kinds[n])
	}
	return tw.Flush()
}

// suggest names the command types that contain ct or that ct contains.
func suggest(ct string, names []string) string {
	var near []string
	for _, n := range names {
		if strings.Contains(n, ct) || strings.Contains(ct, n) || strings.Contains(n, strings.ReplaceAll(ct, "-", "_")) {
			near = append(near, n)
		}
	}
	if len(near) == 0 || len(near) > 5 {
		return ""
	}
	return "; did you mean " + strings.Join(near, " or ") + "?"
}
