package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"
	"github.com/spf13/cobra"
)

// utf8BOM starts every CSV export, so that Excel reads it as UTF-8.
const utf8BOM = "\xEF\xBB\xBF"

// table is rows of cells under a header of snake_case column names (the
// CSV header; upper-cased for people).
type table struct {
	title  string
	header []string
	rows   [][]any
}

func (t *table) add(cells ...any) { t.rows = append(t.rows, cells) }

// view is how a query's answer is shown to people: summary lines, then
// tables. export is the table a CSV export holds (default tables[0]).
type view struct {
	lines  []string
	tables []table
	export *table
}

// cell formats a value for people (human) or for a CSV file.
func cell(v any, human bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if human {
			return map[bool]string{true: "yes", false: "no"}[x]
		}
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format(time.RFC3339)
	case []string:
		return strings.Join(x, ",")
	case json.RawMessage:
		return string(x)
	}
	return fmt.Sprint(v)
}

// print writes the view as aligned tables.
func (v view) print(w io.Writer) error {
	for _, l := range v.lines {
		fmt.Fprintln(w, l)
	}
	for i, t := range v.tables {
		if i > 0 || len(v.lines) > 0 {
			fmt.Fprintln(w)
		}
		if t.title != "" {
			fmt.Fprintln(w, t.title)
		}
		if len(t.rows) == 0 {
			fmt.Fprintln(w, "(none)")
			continue
		}
		rows := [][]string{strings.Split(strings.ToUpper(strings.Join(t.header, "\t")), "\t")}
		for _, r := range t.rows {
			cells := make([]string, len(r))
			for j, c := range r {
				cells[j] = cell(c, true)
			}
			rows = append(rows, cells)
		}
		if err := writeAligned(w, rows); err != nil {
			return err
		}
	}
	return nil
}

// writeAligned writes rows in columns two spaces apart. Unlike
// text/tabwriter it measures cells by their width on a terminal, so that
// Chinese text (two columns a character) stays aligned.
func writeAligned(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for j, c := range r {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], uniseg.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for j, c := range r {
			b.WriteString(c)
			if j < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-uniseg.StringWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCSV writes t as CSV with a UTF-8 byte order mark and CRLF line ends.
func writeCSV(w io.Writer, t table) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.header); err != nil {
		return err
	}
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for j, c := range r {
			cells[j] = cell(c, false)
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// exportFlags are --format and --out of the query commands.
type exportFlags struct {
	format string
	out    string
}

func (e *exportFlags) add(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&e.format, "format", "", "export format: csv (UTF-8 with a byte order mark, for Excel) or json (default: from --out's extension)")
	pf.StringVar(&e.out, "out", "", "write the export to this file (default: stdout)")
}

// wanted reports whether an export was asked for, and its format.
func (e *exportFlags) wanted() (string, bool, error) {
	f := strings.ToLower(e.format)
	if f == "" && e.out != "" {
		f = "json"
		if strings.EqualFold(filepath.Ext(e.out), ".csv") {
			f = "csv"
		}
	}
	switch f {
	case "":
		return "", false, nil
	case "csv", "json":
		return f, true, nil
	}
	return "", false, usageError{fmt.Errorf("--format %q: want csv or json", e.format)}
}

// write exports the raw answer (json) or the view's export table (csv).
func (e *exportFlags) write(cmd *cobra.Command, format string, raw []byte, v view) error {
	var buf bytes.Buffer
	rows := 0
	switch format {
	case "json":
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
	case "csv":
		t := v.export
		if t == nil {
			if len(v.tables) == 0 {
				return usageError{fmt.Errorf("this query has no table to export as CSV; use --format json")}
			}
			t = &v.tables[0]
		}
		rows = len(t.rows)
		if err := writeCSV(&buf, *t); err != nil {
			return err
		}
	}
	if e.out == "" || e.out == "-" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(e.out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if format == "csv" {
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d rows to %s\n", rows, e.out)
	} else {
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", e.out)
	}
	return nil
}
