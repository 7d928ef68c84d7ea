package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// TestCommandsListedInOnePlace: subcommands() names every command; no file
// registers one from an init function, and each listed command is added.
func TestCommandsListedInOnePlace(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fn, ok := d.(interface{ Pos() token.Pos }); ok && isInit(d) {
				t.Errorf("%s: func init at %v: list commands in subcommands() instead", f, fset.Position(fn.Pos()))
			}
		}
	}
	if got, want := len(newRoot().Commands()), len(subcommands()); got < want {
		t.Errorf("root has %d commands, subcommands() lists %d", got, want)
	}
}

func isInit(d any) bool {
	fn, ok := d.(*ast.FuncDecl)
	return ok && fn.Recv == nil && fn.Name.Name == "init"
}
