package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ledger/audit"
	"ledger/cosig"
)

// quorumFlags are --witness KEY (repeatable) and --quorum K: the witnesses
// whose cosignatures a verification requires on the checkpoint it relies on.
type quorumFlags struct {
	keys   []string
	quorum int
}

func (q *quorumFlags) add(fs *pflag.FlagSet) {
	fs.StringArrayVar(&q.keys, "witness", nil, "require cosignatures by this witness (its verifier key, from \"ledger witness key\"; repeatable)")
	fs.IntVar(&q.quorum, "quorum", 0, "how many of the --witness keys must have cosigned (0: all)")
}

// policy is the quorum asked for; ok is false when no witness was named.
func (q *quorumFlags) policy() (p cosig.Policy, ok bool, err error) {
	if len(q.keys) == 0 {
		if q.quorum != 0 {
			return p, false, usageError{errors.New("--quorum needs --witness keys")}
		}
		return p, false, nil
	}
	p, err = cosig.NewPolicy(q.keys, q.quorum)
	if err != nil {
		return p, false, usageError{err}
	}
	return p, true, nil
}

// check checks the cosignatures on the checkpoint a verification relies on
// and prints the result; fewer than the quorum is exit 1 naming the
// witnesses missing. With no --witness it checks nothing.
func (q *quorumFlags) check(w io.Writer, asJSON bool, what string, checkpoint []byte) error {
	p, ok, err := q.policy()
	if err != nil || !ok {
		return err
	}
	r, qerr := p.Check(checkpoint)
	if asJSON {
		if err := printJSON(w, map[string]any{"witnesses": r, "of": what, "quorum_met": qerr == nil}); err != nil {
			return err
		}
	} else {
		names := make([]string, len(r.Cosigned))
		for i, c := range r.Cosigned {
			names[i] = fmt.Sprintf("%s (%s)", c.Witness, c.Time.Format("2006-01-02T15:04:05Z"))
		}
		fmt.Fprintf(w, "witnesses: %d of %d cosigned %s (quorum %d): %s\n", len(r.Cosigned), r.Of, what, r.Quorum, strings.Join(names, ", "))
	}
	if qerr != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not cosigned by a quorum of witnesses: %v", what, qerr)}
	}
	return nil
}

func auditVerifyReceiptCmd(g *globals) *cobra.Command {
	var key string
	var q quorumFlags
	cmd := &cobra.Command{
		Use:   "verify-receipt FILE",
		Short: "Check a receipt (JSON, as \"ledger audit proof --json\" or the API's receipts give it) with no server and no data directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := q.policy(); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var r audit.Receipt
			if err := json.Unmarshal(data, &r); err != nil {
				return exitError{code: 1, msg: "the receipt does not parse: " + err.Error()}
			}
			v, err := audit.NewVerifier(key)
			if err != nil {
				return usageError{err}
			}
			cp, err := audit.VerifyReceipt(r, v)
			if err != nil {
				return exitError{code: 1, msg: "the receipt does not verify: " + err.Error()}
			}
			if !g.jsonOut {
				fmt.Fprintf(cmd.OutOrStdout(), "event %s at position %d is in the log of %s at size %d\n", r.Event.EventID, r.Event.Position, cp.Origin, cp.Size)
			}
			return q.check(cmd.OutOrStdout(), g.jsonOut, fmt.Sprintf("the receipt's checkpoint of size %d", cp.Size), []byte(r.Checkpoint))
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the ledger's verifier key (\"ledger audit key\" of the ledger you trust)")
	_ = cmd.MarkFlagRequired("key")
	q.add(cmd.Flags())
	return cmd
}

func auditWitnessesCmd(g *globals) *cobra.Command {
	var q quorumFlags
	cmd := &cobra.Command{
		Use:   "witnesses",
		Short: "Show which witnesses cosigned the latest checkpoint of the data directory (with --witness and --quorum: whether a quorum did)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := openReadOnly(cmd, g)
			if err != nil {
				return err
			}
			defer n.Close()
			latest, err := n.Tree.LatestCheckpoint()
			if err != nil {
				return err
			}
			cp, err := audit.ParseCheckpoint(latest, n.Verifier)
			if err != nil {
				return err
			}
			if len(q.keys) == 0 {
				return printSigners(cmd.OutOrStdout(), g.jsonOut, cp, latest)
			}
			return q.check(cmd.OutOrStdout(), g.jsonOut, fmt.Sprintf("the latest checkpoint (size %d)", cp.Size), latest)
		},
	}
	q.add(cmd.Flags())
	return cmd
}

// printSigners lists the names on a checkpoint's signature lines (not
// verified: name the witnesses' keys with --witness to verify them).
func printSigners(w io.Writer, asJSON bool, cp audit.Checkpoint, note []byte) error {
	_, sigs, _ := strings.Cut(string(note), "\n\n")
	var names []string
	for line := range strings.Lines(sigs) {
		if f := strings.Fields(line); len(f) == 3 && f[1] != cp.Origin {
			names = append(names, f[1])
		}
	}
	if asJSON {
		return printJSON(w, map[string]any{"size": cp.Size, "cosigners_unverified": names})
	}
	fmt.Fprintf(w, "latest checkpoint: size %d, cosignature lines by: %s (unverified; name the witnesses with --witness KEY to verify)\n",
		cp.Size, strings.Join(names, ", "))
	return nil
}
