// Command gen writes the ledger's JSON Schemas under schemas/ from the Go
// types, or with -check reports the committed files that differ and exits
// 1. Run it from the module root: go run ./schemas/gen [-check].
package main

import (
	"flag"
	"fmt"
	"os"

	"ledger/schemas"
)

func main() {
	check := flag.Bool("check", false, "compare the committed schemas with the generated ones instead of writing them")
	root := flag.String("root", ".", "module root")
	flag.Parse()
	if !*check {
		if err := schemas.Write(*root); err != nil {
			fmt.Fprintln(os.Stderr, "schemas:", err)
			os.Exit(1)
		}
		return
	}
	diffs, err := schemas.Check(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemas:", err)
		os.Exit(1)
	}
	for _, d := range diffs {
		fmt.Fprintln(os.Stderr, d)
	}
	if len(diffs) > 0 {
		fmt.Fprintln(os.Stderr, "schemas: committed JSON Schemas differ from the Go types; run: go run ./schemas/gen")
		os.Exit(1)
	}
}
