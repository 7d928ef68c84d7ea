// Command verifybundle checks an audit bundle of the ledger (ledger audit
// export) with no server and no data directory, using only package
// verifier: every event in the log, and none of the election's missing.
//
//	go run ./docs/verifybundle bundle.json [VERIFIER-KEY]
package main

import (
	"fmt"
	"os"

	"ledger/verifier"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "verifybundle:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: verifybundle BUNDLE.json [VERIFIER-KEY]")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var opts []verifier.BundleOption
	if len(args) == 2 {
		opts = append(opts, verifier.PinKey(args[1]))
	}
	res, err := verifier.VerifyBundle(data, opts...)
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		fmt.Printf("position %d %s: %s\n", p.Position, p.Aggregate, p.What)
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("%d problems in a bundle of %d events", len(res.Problems), res.Events)
	}
	fmt.Printf("%d events of %d aggregates (%s), complete at size %d of %s\n", res.Events,
		len(res.Heads.Heads), res.Heads.Selection, res.Checkpoint.Size, res.Checkpoint.Origin)
	return nil
}
