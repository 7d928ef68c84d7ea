package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ledger/client"
	"ledger/domain"
)

// apiFlags are the flags of the commands that talk to a running server
// over HTTP: where it is, the token, and the options of a write.
type apiFlags struct {
	g          *globals
	server     string
	token      string
	tokenFile  string
	commandID  string
	occurredAt string
	receipt    bool
}

// addConnFlags adds --server, --token, --token-file and --json to a parent
// command (persistent: its subcommands inherit them).
func (a *apiFlags) addConnFlags(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&a.server, "server", envOr("LEDGER_SERVER", "http://127.0.0.1:8080"), "base URL of a running ledger server (env LEDGER_SERVER)")
	pf.StringVar(&a.token, "token", "", "bearer token (env LEDGER_TOKEN)")
	pf.StringVar(&a.tokenFile, "token-file", "", "read the bearer token from this file (env LEDGER_TOKEN_FILE), e.g. data/admin.token")
	pf.BoolVar(&a.g.jsonOut, "json", false, "print JSON for scripts")
}

// addWriteFlags adds the options of a recorded command.
func (a *apiFlags) addWriteFlags(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&a.commandID, "command-id", "", "command ID (a ULID) to use; reuse it to retry a command safely (default: a new one)")
	pf.StringVar(&a.occurredAt, "occurred-at", "", "when it happened: RFC 3339, or 2006-01-02T15:04 / 2006-01-02 in local time (default: now)")
	pf.BoolVar(&a.receipt, "receipt", false, "ask for the events' receipts (inclusion proofs in a signed checkpoint)")
}

// resolveToken returns the token from --token, --token-file, LEDGER_TOKEN
// or LEDGER_TOKEN_FILE, in that order; "" when none is set.
func (a *apiFlags) resolveToken() (string, error) {
	if a.token != "" {
		return a.token, nil
	}
	file := a.tokenFile
	if file == "" {
		if t := os.Getenv("LEDGER_TOKEN"); t != "" {
			return t, nil
		}
		file = os.Getenv("LEDGER_TOKEN_FILE")
	}
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", usageError{fmt.Errorf("token file: %w", err)}
	}
	return strings.TrimSpace(string(b)), nil
}

// client returns an API client for the flags.
func (a *apiFlags) client() (*client.Client, error) {
	tok, err := a.resolveToken()
	if err != nil {
		return nil, err
	}
	base := a.server
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return client.New(base, tok), nil
}

// writeOptions returns the options of one command from the flags.
// importClient is the client and write options of an import, which
// derives its batches' command IDs from their content and so refuses
// --command-id, naming the import.
func (a *apiFlags) importClient(name string) (*client.Client, client.CommandOptions, error) {
	c, err := a.client()
	if err != nil {
		return nil, client.CommandOptions{}, err
	}
	o, err := a.writeOptions()
	if err != nil {
		return nil, client.CommandOptions{}, err
	}
	if o.ID != "" {
		return nil, client.CommandOptions{}, usageError{fmt.Errorf("--command-id names one command; %s derives its batches' IDs from their content", name)}
	}
	return c, o, nil
}

func (a *apiFlags) writeOptions() (client.CommandOptions, error) {
	o := client.CommandOptions{ID: a.commandID, Receipt: a.receipt}
	if a.occurredAt != "" {
		t, err := parseWhen(a.occurredAt)
		if err != nil {
			return o, usageError{fmt.Errorf("--occurred-at: %w", err)}
		}
		o.OccurredAt = t
	}
	return o, nil
}

// parseWhen parses an RFC 3339 time, or a date and time (or a date)
// without offset, taken in the regions' zone (China time, UTC+8) whatever
// the machine's zone.
func parseWhen(s string) (time.Time, error) {
	t, err := domain.ParseTime(s, domain.ChinaTime())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, e.g. 2026-05-01T08:00:00+08:00, or 2026-05-01T08:00 in China time)", s)
	}
	return t, nil
}

// send records one command and prints its outcome.
func (a *apiFlags) send(cmd *cobra.Command, ct string, body []byte) (*client.CommandResponse, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	o, err := a.writeOptions()
	if err != nil {
		return nil, err
	}
	c.OnRetry = func(id string, attempt int, err error, wait time.Duration) {
		fmt.Fprintf(cmd.ErrOrStderr(), "ledger: attempt %d of %s failed (%v); retrying with the same command ID %s in %v\n", attempt, ct, err, id, wait)
	}
	res, err := c.Command(cmd.Context(), ct, body, o)
	if err != nil {
		return nil, a.fail(cmd, err)
	}
	return res, a.printOutcome(cmd.OutOrStdout(), ct, res)
}

// printOutcome prints where a command's events were recorded.
func (a *apiFlags) printOutcome(w io.Writer, ct string, res *client.CommandResponse) error {
	if a.g.jsonOut {
		return writeJSON(w, res)
	}
	verb := "recorded"
	if res.Duplicate {
		verb = "already recorded (a retry)"
	}
	fmt.Fprintf(w, "%s %s on %s %s (version %d) at position %s, command %s\n", verb, ct, res.Aggregate.Kind,
		res.Aggregate.ID, res.Version, positions(res.FirstPosition, res.LastPosition), res.CommandID)
	for _, e := range res.Events {
		fmt.Fprintf(w, "  %d  %s\n", e.Position, e.Type)
	}
	return nil
}

func positions(first, last uint64) string {
	if first == last {
		return fmt.Sprint(first)
	}
	return fmt.Sprintf("%d-%d", first, last)
}

// fail turns an error of the API into the CLI's error: its exit code and a
// message that shows the code, the rule and both messages. With --json the
// problem is also printed on stdout.
func (a *apiFlags) fail(cmd *cobra.Command, err error) error {
	var e *client.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("%w (is `ledger serve` running at %s? set --server or LEDGER_SERVER)", err, a.server)
	}
	if a.g.jsonOut {
		_ = writeJSON(cmd.OutOrStdout(), e.Problem)
	}
	return exitError{code: exitOfError(e), msg: a.describe(e)}
}

// concurrencyCodes are the 409 answers that a retry may cure: another
// writer changed the aggregate, or the same command is in flight. Other
// 409s are refusals by the aggregate's state (a voter already checked in,
// polls closed): exit 3, like a rule.
var concurrencyCodes = map[string]bool{"version_conflict": true, "command_in_progress": true, "conflict": true}

// exitOfError is exitOf with the 409s told apart.
func exitOfError(e *client.Error) int {
	if e.Status == http.StatusConflict && !concurrencyCodes[e.Problem.Code] {
		return 3
	}
	return exitOf(e.Status)
}

// exitOf maps an HTTP status to the CLI's exit codes: 3 refused (a rule or
// invalid input), 4 conflict (a retry may succeed), 5 not found, 6
// unauthorized or forbidden, 1 anything else.
func exitOf(status int) int {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		return 3
	case http.StatusConflict:
		return 4
	case http.StatusNotFound:
		return 5
	case http.StatusUnauthorized, http.StatusForbidden:
		return 6
	}
	return 1
}

// describe is the message of a problem: the code, the rule, Chinese and English.
func (a *apiFlags) describe(e *client.Error) string {
	p := e.Problem
	what := map[int]string{3: "refused", 4: "conflict (retry)", 5: "not found", 6: "not allowed"}[exitOfError(e)]
	if what == "" {
		what = "server error"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (HTTP %d)", what, firstOf(p.Code, http.StatusText(e.Status)), e.Status)
	if p.Rule != "" {
		fmt.Fprintf(&b, "\n  rule:    %s", p.Rule)
	}
	if p.ZH != "" {
		fmt.Fprintf(&b, "\n  中文:    %s", p.ZH)
	}
	fmt.Fprintf(&b, "\n  English: %s", firstOf(p.EN, p.Detail, e.Error()))
	for _, d := range p.Errors {
		fmt.Fprintf(&b, "\n  - %s", d)
	}
	if e.Status == http.StatusUnauthorized && a.token == "" && a.tokenFile == "" && os.Getenv("LEDGER_TOKEN") == "" && os.Getenv("LEDGER_TOKEN_FILE") == "" {
		b.WriteString("\n  no token was given: use --token, --token-file or LEDGER_TOKEN (a new server's admin token is in <data>/admin.token)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "\n  retry after %s", e.RetryAfter)
	}
	return b.String()
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// groupCmd is a parent command: with no subcommand it prints its help; an
// unknown subcommand is a usage error (exit 2).
func groupCmd(use, short, long string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())}
			}
			return cmd.Help()
		},
	}
}

// usageArgs wraps a cobra argument check so that its error is a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
