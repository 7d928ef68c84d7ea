package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagsOf returns every flag name of cmd and its subcommands.
func flagsOf(cmd *cobra.Command, into map[string]bool) {
	add := func(f *pflag.Flag) { into[f.Name] = true }
	cmd.Flags().VisitAll(add)
	cmd.PersistentFlags().VisitAll(add)
	for _, c := range cmd.Commands() {
		flagsOf(c, into)
	}
}

// otherProgram matches a line that gives flags to another program (the
// nats command line tool), or continues such a command.
var natsProse = regexp.MustCompile("`--(user|password|creds)`") // the nats tool's, in downstream.md's prose

var otherProgram = regexp.MustCompile("`nats |^\\s*nats |^\\s+--")

// TestDocsMatchFlags: every --flag the README and docs/ mention exists in
// some command's --help, and every flag of serve is in docs/.
func TestDocsMatchFlags(t *testing.T) {
	known := map[string]bool{"help": true}
	flagsOf(newRoot(), known)
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	re := regexp.MustCompile("(?:^|[\\s`(\\[])--([a-z][a-z0-9-]+)")
	var unknown []string
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		for _, line := range strings.Split(string(b), "\n") {
			line = natsProse.ReplaceAllString(line, "")
			if otherProgram.MatchString(line) {
				continue
			}
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				if !known[m[1]] {
					unknown = append(unknown, filepath.Base(f)+": --"+m[1])
				}
			}
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("docs mention flags no command has: %v", unknown)
	}
	var serve *cobra.Command
	for _, c := range newRoot().Commands() {
		if c.Name() == "serve" {
			serve = c
		}
	}
	serve.Flags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(all.String(), "--"+f.Name) {
			t.Errorf("serve --%s is not in docs/ or the README", f.Name)
		}
	})
}
