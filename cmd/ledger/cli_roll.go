package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ledger/client"
	"ledger/domain"
)

// voterRow is a row of a roll file that passed the client-side checks.
type voterRow struct {
	Line  int
	Entry domain.VoterEntry
}

// rowReject is a row of a roll file that was not registered, and why.
type rowReject struct {
	Line   int    `json:"line"`
	RollNo string `json:"roll_no"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	ZH     string `json:"zh,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// batchDone is one register_voters command recorded by an import.
type batchDone struct {
	CommandID string `json:"command_id"`
	Voters    int    `json:"voters"`
	batchSent
}

// batchSent is where one command of an import was recorded, or that it
// had been recorded before.
type batchSent struct {
	FirstPosition uint64 `json:"first_position"`
	LastPosition  uint64 `json:"last_position"`
	Duplicate     bool   `json:"duplicate,omitempty"`
}

func (b batchSent) sent() batchSent { return b }

// writeBatches ends an import's summary line: how many commands, their
// positions and how many rows were rejected, then a line saying how many
// commands had been recorded before.
func writeBatches[T interface{ sent() batchSent }](w io.Writer, commands []T, rejected int) {
	fmt.Fprintf(w, " in %s", plural(len(commands), "command"))
	if n := len(commands); n > 0 {
		fmt.Fprintf(w, " (positions %d-%d)", commands[0].sent().FirstPosition, commands[n-1].sent().LastPosition)
	}
	fmt.Fprintf(w, "; %s rejected\n", plural(rejected, "row"))
	dups := 0
	for _, c := range commands {
		if c.sent().Duplicate {
			dups++
		}
	}
	if dups > 0 {
		fmt.Fprintf(w, "%d of the commands were already recorded (a rerun of the same batches): nothing was recorded twice\n", dups)
	}
}

// importReport is what an import did.
type importReport struct {
	ElectionID string      `json:"election_id"`
	Rows       int         `json:"rows"`
	Registered int         `json:"registered"`
	Rejected   []rowReject `json:"rejected"`
	Commands   []batchDone `json:"commands"`
	DryRun     bool        `json:"dry_run,omitempty"`
}

// rowLevelCodes are the refusals of register_voters that one row causes;
// a batch refused with one of them is split to find the rows.
var rowLevelCodes = map[string]bool{"already_on_roll": true, "invalid_roll_no": true,
	"invalid_station_id": true, "invalid_household": true, "invalid_group": true, "elector_unit_missing": true,
	"household_represented": true, "too_many_group_representatives": true}

type rollImport struct {
	a        *apiFlags
	file     string
	stations []string
	batch    int
	strict   bool
	dryRun   bool
	election string
	region   string
}

func newImportRollCmd(a *apiFlags) *cobra.Command {
	im := &rollImport{a: a}
	c := &cobra.Command{
		Use:   "import-roll --election E --region R --file roll.csv",
		Short: "Import the voter roll from a CSV file (roll_no,station_id[,household[,group]]), in batches, reporting rejected rows",
		Long: `import-roll registers the voters of a CSV file on the roll of an election before the
roll is published. Columns: roll_no,station_id[,household[,group]] (a header row is
optional; group is the residents' group a group representative stands for; a UTF-8 byte order mark, as Excel writes it, is fine). Voters are roll
numbers, never names: names and ID numbers stay off the ledger.

Rows are checked first (a positive roll number, no duplicate in the file, a
station ID that is a ULID and, with --station, one of those stations, a valid
household code). Good rows are sent in register_voters commands of up to 5000;
when the server refuses a batch for a row (a voter already on the roll), the
batch is split until the refused rows are found, and the others are registered.

Each batch's command ID is derived from its content, so running the same import
again after an interruption is safe: recorded batches are answered as retries.

Exit status: 0 when every row was registered, 3 when some were rejected (they
are listed, with the reason), other codes as for every command.`,
		Example: `  ledger election import-roll --election 01J00000000000000000000001 --region 220102001001 \
    --file roll.csv --station 01J00000000000000000000101,01J00000000000000000000103`,
		Args: usageArgs(cobra.NoArgs),
		RunE: im.run,
	}
	f := c.Flags()
	f.StringVar(&im.election, "election", "", "the election's ID (required)")
	f.StringVar(&im.region, "region", "", "the village or community code (required)")
	f.StringVar(&im.file, "file", "", "the CSV file, or - for stdin (required)")
	f.StringSliceVar(&im.stations, "station", nil, "the election's stations: rows naming another station are rejected (comma-separated or repeated)")
	f.IntVar(&im.batch, "batch", domain.MaxVoterBatch, "voters per register_voters command (at most 5000)")
	f.BoolVar(&im.strict, "strict", false, "send nothing when any row fails the checks")
	f.BoolVar(&im.dryRun, "dry-run", false, "check the file and report, send nothing")
	return c
}

func (im *rollImport) run(cmd *cobra.Command, _ []string) error {
	if err := im.check(); err != nil {
		return err
	}
	in, closeIn, err := openInput(cmd.InOrStdin(), im.file)
	if err != nil {
		return err
	}
	defer closeIn()
	rows, rep, err := im.parse(in)
	if err != nil {
		return err
	}
	if !im.dryRun && !(im.strict && len(rep.Rejected) > 0) && len(rows) > 0 {
		if err := im.send(cmd, rows, rep); err != nil {
			_ = im.report(cmd.OutOrStdout(), rep)
			return err
		}
	}
	if err := im.report(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	if n := len(rep.Rejected); n > 0 {
		msg := fmt.Sprintf("%d of %d rows rejected (listed above); %d voters registered", n, rep.Rows, rep.Registered)
		if im.strict && !im.dryRun {
			msg = fmt.Sprintf("%d of %d rows failed the checks; --strict: nothing was sent", n, rep.Rows)
		}
		return exitError{code: 3, msg: msg}
	}
	return nil
}

func (im *rollImport) check() error {
	switch {
	case im.election == "":
		return usageError{errors.New("--election is required")}
	case im.region == "":
		return usageError{errors.New("--region is required")}
	case im.file == "":
		return usageError{errors.New("--file is required")}
	case im.batch < 1 || im.batch > domain.MaxVoterBatch:
		return usageError{fmt.Errorf("--batch must be 1 to %d", domain.MaxVoterBatch)}
	}
	return nil
}

func openInput(stdin io.Reader, name string) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return f, func() { f.Close() }, nil
}

// parse reads the CSV and checks each row.
func (im *rollImport) parse(in io.Reader) ([]voterRow, *importReport, error) {
	b, err := io.ReadAll(in)
	if err != nil {
		return nil, nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	rep := &importReport{ElectionID: im.election, Rejected: []rowReject{}, Commands: []batchDone{}, DryRun: im.dryRun}
	known := map[string]bool{}
	for _, s := range im.stations {
		known[strings.TrimSpace(s)] = true
	}
	seen := map[int]int{} // roll number -> line
	var rows []voterRow
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("%s: %w", im.file, err)}
		}
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "roll_no") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // an empty line
		}
		rep.Rows++
		row, rej := checkRow(line, rec, known, seen)
		if rej != nil {
			rep.Rejected = append(rep.Rejected, *rej)
			continue
		}
		seen[row.Entry.RollNo] = line
		rows = append(rows, row)
	}
	return rows, rep, nil
}

// checkRow checks one record: its columns, roll number, station and
// household, and that its roll number is not on an earlier line.
func checkRow(line int, rec []string, known map[string]bool, seen map[int]int) (voterRow, *rowReject) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	rej := func(code, reason string) (voterRow, *rowReject) {
		return voterRow{}, &rowReject{Line: line, RollNo: rec[0], Code: code, Reason: reason}
	}
	if len(rec) < 2 || len(rec) > 4 {
		return rej("bad_columns", fmt.Sprintf("%d columns; want roll_no,station_id[,household[,group]]", len(rec)))
	}
	n, err := strconv.Atoi(rec[0])
	if err != nil || n <= 0 {
		return rej("invalid_roll_no", "the roll number is not a positive integer")
	}
	if prev, dup := seen[n]; dup {
		return rej("duplicate_roll_no", fmt.Sprintf("roll number %d is already on line %d", n, prev))
	}
	if _, err := ulid.ParseStrict(rec[1]); err != nil {
		return rej("unknown_station", fmt.Sprintf("station %q is not a station ID (a ULID)", rec[1]))
	}
	if len(known) > 0 && !known[rec[1]] {
		return rej("unknown_station", fmt.Sprintf("station %s is not one of --station", rec[1]))
	}
	e := domain.VoterEntry{RollNo: n, StationID: rec[1]}
	if len(rec) == 3 && rec[2] != "" {
		if !validHousehold(rec[2]) {
			return rej("invalid_household", "a household code has 1-64 letters, digits, '-', '_' or '.'")
		}
		e.Household = rec[2]
	}
	if len(rec) == 4 && rec[3] != "" {
		if !validHousehold(rec[3]) {
			return rej("invalid_group", "a residents' group code has 1-64 letters, digits, '-', '_' or '.'")
		}
		e.Group = rec[3]
	}
	return voterRow{Line: line, Entry: e}, nil
}

func validHousehold(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// send registers the rows in batches, with a progress bar.
func (im *rollImport) send(cmd *cobra.Command, rows []voterRow, rep *importReport) error {
	c, o, err := im.a.importClient("import-roll")
	if err != nil {
		return err
	}
	bar := newBar(im.a.g, int64(len(rows)), "registering voters")
	defer bar.Finish()
	for from := 0; from < len(rows); from += im.batch {
		to := min(from+im.batch, len(rows))
		if err := im.register(cmd, c, o, rows[from:to], rep, bar); err != nil {
			return im.a.fail(cmd, err)
		}
	}
	return nil
}

// register sends one batch; a batch refused for a row is split in two
// until the refused rows are found.
func (im *rollImport) register(cmd *cobra.Command, c *client.Client, o client.CommandOptions,
	rows []voterRow, rep *importReport, bar *progressbar.ProgressBar) error {
	body, err := im.batchBody(rows)
	if err != nil {
		return err
	}
	o.ID = contentID(body)
	res, err := c.Command(cmd.Context(), "register_voters", body, o)
	if err == nil {
		rep.Registered += len(rows)
		rep.Commands = append(rep.Commands, batchDone{CommandID: res.CommandID, Voters: len(rows),
			batchSent: batchSent{FirstPosition: res.FirstPosition, LastPosition: res.LastPosition, Duplicate: res.Duplicate}})
		_ = bar.Add(len(rows))
		return nil
	}
	var e *client.Error
	if !errors.As(err, &e) || !e.Refused() || !rowLevelCodes[e.Problem.Code] || errors.Is(err, context.Canceled) {
		return err
	}
	if len(rows) == 1 {
		p := e.Problem
		rep.Rejected = append(rep.Rejected, rowReject{Line: rows[0].Line, RollNo: strconv.Itoa(rows[0].Entry.RollNo),
			Code: p.Code, Reason: "refused by the server: " + firstOf(p.EN, p.Detail), ZH: p.ZH, Rule: p.Rule})
		_ = bar.Add(1)
		return nil
	}
	mid := len(rows) / 2
	if err := im.register(cmd, c, o, rows[:mid], rep, bar); err != nil {
		return err
	}
	return im.register(cmd, c, o, rows[mid:], rep, bar)
}

func (im *rollImport) batchBody(rows []voterRow) ([]byte, error) {
	voters := make([]domain.VoterEntry, len(rows))
	for i, r := range rows {
		voters[i] = r.Entry
	}
	return json.Marshal(domain.RegisterVoters{ElectionAddr: domain.ElectionAddr{ElectionID: im.election,
		Region: domain.Region(im.region)}, Voters: voters})
}

// contentID derives a command ID (a ULID) from a body, so that the same
// batch sent again is a retry of the same command.
func contentID(body []byte) string {
	sum := sha256.Sum256(append([]byte("register_voters\x00"), body...))
	ms := binary.BigEndian.Uint64(sum[:8]) % 1_700_000_000_000 // a time in the past
	var id ulid.ULID
	_ = id.SetTime(ms)
	_ = id.SetEntropy(sum[8:18])
	return id.String()
}

// report prints what the import did.
func (im *rollImport) report(w io.Writer, rep *importReport) error {
	slices.SortStableFunc(rep.Rejected, func(a, b rowReject) int { return a.Line - b.Line })
	if im.a.g.jsonOut {
		return writeJSON(w, rep)
	}
	verb := "registered"
	if rep.DryRun {
		verb = "checked (dry run, nothing sent)"
		rep.Registered = rep.Rows - len(rep.Rejected)
	}
	fmt.Fprintf(w, "%s %d of %d voters", verb, rep.Registered, rep.Rows)
	writeBatches(w, rep.Commands, len(rep.Rejected))
	if len(rep.Rejected) == 0 {
		return nil
	}
	rows := [][]string{{"LINE", "ROLL_NO", "CODE", "REASON"}}
	for _, r := range rep.Rejected {
		reason := r.Reason
		if r.ZH != "" {
			reason += " / " + r.ZH
		}
		rows = append(rows, []string{strconv.Itoa(r.Line), r.RollNo, r.Code, reason})
	}
	return writeAligned(w, rows)
}

// plural returns "1 row", "2 rows".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
