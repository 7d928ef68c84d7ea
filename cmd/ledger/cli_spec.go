package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ledger/client"
)

// fkind is how a flag's value becomes a JSON value.
type fkind int

const (
	kStr    fkind = iota // a string
	kInt                 // an integer
	kBool                // true or false
	kList                // comma-separated or repeated strings: ["a","b"]
	kArr                 // repeated strings, commas kept (names): ["a, b"]
	kJSON                // a JSON value given as text
	kTime                // a time (RFC 3339 or local), sent as RFC 3339
	kCounts              // category=count,...: [{"category":..,"count":..}]
)

// fieldSpec is one flag of a friendly command and the JSON key it fills.
// Dotted keys ("scope.kind") fill nested objects.
type fieldSpec struct {
	flag  string
	key   string
	fkind fkind
	usage string
	req   bool
	def   string // default value as text ("" = unset: omitted from the body)
	gen   bool   // generate a ULID when not given (a new aggregate's ID)
}

// cmdSpec describes a friendly subcommand that records one command type.
type cmdSpec struct {
	use     string
	short   string
	long    string
	ct      string
	fields  []fieldSpec
	repeat  bool   // adds --repeat N (record N identical commands)
	split   string // the JSON key of a batch's items: more than one command holds are sent as several (see runSplit)
	example string
	fix     func(body map[string]any) // last changes to the body (e.g. a mode inferred from flags)
}

// Address flags of each aggregate fkind.
var (
	electionAddr = []fieldSpec{
		{flag: "election", key: "election_id", usage: "the election's ID (a ULID)", req: true},
		{flag: "region", key: "region", usage: "the village or community code (12 digits)", req: true},
	}
	stationAddr = []fieldSpec{
		{flag: "station", key: "station_id", usage: "the polling station's or mobile box's ID (a ULID)", req: true},
		{flag: "election", key: "election_id", usage: "the election's ID (a ULID)", req: true},
		{flag: "region", key: "region", usage: "the village or community code (12 digits)", req: true},
	}
	consultationAddr = []fieldSpec{
		{flag: "consultation", key: "consultation_id", usage: "the consultation's ID (a ULID)", req: true},
		{flag: "region", key: "region", usage: "the community or village code (12 digits)", req: true},
	}
	inspectionAddr = []fieldSpec{
		{flag: "inspection", key: "inspection_id", usage: "the inspection's ID (a ULID)", req: true},
		{flag: "region", key: "region", usage: "the region code of the inspected body", req: true},
	}
)

// withAddr returns addr followed by fields; a fieldSpec of addr named again in
// fields replaces it (to set gen on a new aggregate's ID).
func withAddr(addr []fieldSpec, fields ...fieldSpec) []fieldSpec {
	out := make([]fieldSpec, 0, len(addr)+len(fields))
	for _, a := range addr {
		for _, f := range fields {
			if f.flag == a.flag {
				a = f
			}
		}
		out = append(out, a)
	}
	for _, f := range fields {
		if !hasFlag(out, f.flag) {
			out = append(out, f)
		}
	}
	return out
}

func hasFlag(fs []fieldSpec, name string) bool {
	for _, f := range fs {
		if f.flag == name {
			return true
		}
	}
	return false
}

// build returns the cobra command of a cmdSpec.
func (s cmdSpec) build(a *apiFlags) *cobra.Command {
	vals := map[string]any{}
	repeat := 1
	c := &cobra.Command{
		Use: s.use + " [flags]", Short: s.short, Long: s.long, Example: s.example,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := s.body(cmd.Flags(), vals)
			if err != nil {
				return err
			}
			if s.split != "" {
				return s.runSplit(cmd, a, body)
			}
			return s.run(cmd, a, body, repeat)
		},
	}
	if s.long == "" {
		c.Long = s.short + ".\n\nRecords the " + s.ct + " command (POST /api/v1/commands/" + s.ct + ")."
	}
	fs := c.Flags()
	for _, f := range s.fields {
		usage := f.usage
		if f.req {
			usage += " (required)"
		}
		if f.gen {
			usage += " (default: a new ULID)"
		}
		switch f.fkind {
		case kStr, kJSON, kTime:
			vals[f.flag] = fs.String(f.flag, f.def, usage)
		case kInt:
			n, _ := strconv.Atoi(f.def)
			vals[f.flag] = fs.Int(f.flag, n, usage)
		case kBool:
			vals[f.flag] = fs.Bool(f.flag, f.def == "true", usage)
		case kList, kCounts:
			vals[f.flag] = fs.StringSlice(f.flag, nil, usage)
		case kArr:
			vals[f.flag] = fs.StringArray(f.flag, nil, usage+" (repeat the flag for several)")
		}
	}
	if s.repeat {
		fs.IntVar(&repeat, "repeat", 1, "record this many identical commands (each with its own command ID)")
	}
	return c
}

// body assembles the command's JSON body from the flags that were set,
// the defaults and the generated IDs.
func (s cmdSpec) body(fs *pflag.FlagSet, vals map[string]any) (map[string]any, error) {
	body := map[string]any{}
	for _, f := range s.fields {
		set := fs.Changed(f.flag)
		if !set && f.gen {
			setPath(body, f.key, client.NewID())
			continue
		}
		if !set && f.req {
			return nil, usageError{fmt.Errorf("--%s is required", f.flag)}
		}
		if !set && f.def == "" {
			continue
		}
		v, err := valueOf(f, vals[f.flag])
		if err != nil {
			return nil, usageError{fmt.Errorf("--%s: %w", f.flag, err)}
		}
		setPath(body, f.key, v)
	}
	if s.fix != nil {
		s.fix(body)
	}
	return body, nil
}

// valueOf converts a flag's value to the JSON value of its fieldSpec.
func valueOf(f fieldSpec, p any) (any, error) {
	switch f.fkind {
	case kInt:
		return *p.(*int), nil
	case kBool:
		return *p.(*bool), nil
	case kList, kArr:
		v := *p.(*[]string)
		if v == nil {
			v = []string{}
		}
		return v, nil
	case kJSON:
		var v any
		if err := json.Unmarshal([]byte(*p.(*string)), &v); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		return v, nil
	case kTime:
		t, err := parseWhen(*p.(*string))
		if err != nil {
			return nil, err
		}
		return t.Format("2006-01-02T15:04:05Z07:00"), nil
	case kCounts:
		return countsOf(*p.(*[]string))
	}
	return *p.(*string), nil
}

// countsOf parses category=count pairs.
func countsOf(pairs []string) ([]map[string]any, error) {
	out := []map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return nil, fmt.Errorf("%q is not category=count", p)
		}
		out = append(out, map[string]any{"category": k, "count": n})
	}
	return out, nil
}

// setPath sets body[a][b]... = v for a dotted key "a.b".
func setPath(body map[string]any, key string, v any) {
	parts := strings.Split(key, ".")
	m := body
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = v
}

// run records the command (repeat times) and prints the outcomes.
func (s cmdSpec) run(cmd *cobra.Command, a *apiFlags, body map[string]any, repeat int) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if repeat < 1 {
		return usageError{fmt.Errorf("--repeat must be at least 1")}
	}
	if repeat > 1 && a.commandID != "" {
		return usageError{fmt.Errorf("--command-id names one command; it cannot be used with --repeat")}
	}
	for range repeat {
		if _, err := a.send(cmd, s.ct, b); err != nil {
			return err
		}
	}
	if !a.g.jsonOut {
		for _, f := range s.fields {
			if f.gen && !cmd.Flags().Changed(f.flag) {
				fmt.Fprintf(cmd.OutOrStdout(), "new %s ID: %v (give it as --%s from now on)\n", f.flag, body[f.key], f.flag)
			}
		}
	}
	return nil
}

// addSpecs adds the friendly subcommands of specs to parent.
func addSpecs(parent *cobra.Command, a *apiFlags, specs []cmdSpec) {
	for _, s := range specs {
		parent.AddCommand(s.build(a))
	}
}
