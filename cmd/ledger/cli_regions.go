package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"ledger/domain"
	"ledger/regions"
)

func newRegionsCmd(g *globals) *cobra.Command {
	a := &apiFlags{g: g}
	cmd := groupCmd("regions", "Record the register of administrative divisions: codes and names (admin only)",
		`regions records the names of a province's regions (province, prefectures, counties,
townships, communities and villages) as reference data, so that names are versioned
like every other fact; the dashboard and the public page show them.`)
	a.addConnFlags(cmd)
	a.addWriteFlags(cmd)
	cmd.AddCommand(newRegionsImportCmd(a))
	return cmd
}

// regionsBatch is one record_regions command of an import.
type regionsBatch struct {
	CommandID string `json:"command_id"`
	Regions   int    `json:"regions"`
	batchSent
}

type regionsImport struct {
	a      *apiFlags
	batch  int
	dryRun bool
	source string
}

// regionsReport is what an import did.
type regionsReport struct {
	Province string             `json:"province"`
	Rows     int                `json:"rows"`
	Recorded int                `json:"recorded"`
	Rejected []regions.RowError `json:"rejected"`
	Commands []regionsBatch     `json:"commands"`
	DryRun   bool               `json:"dry_run,omitempty"`
}

func newRegionsImportCmd(a *apiFlags) *cobra.Command {
	im := &regionsImport{a: a}
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Record a province's regions from a CSV file (code,name,parent[,committee])",
		Long: `import records the regions of one province from a CSV file: code,name,parent and,
for a 12-digit code, optionally the committee kind (villagers or residents). A header
row and a UTF-8 byte order mark are optional. The register of Jilin ships with the
source as regions/jilin.csv.

Every row is checked first (a code of 2, 4, 6, 9 or 12 digits, its parent the code one
level up and in the file, a name, no code twice, one province); when any row fails,
the rows are listed and nothing is sent (exit status 3). Good files are sent in
record_regions commands of up to 1000 rows, parents first. A batch's command ID is
derived from its content, so running the same import again records nothing twice.`,
		Example: `  ledger regions import regions/jilin.csv --token-file admin.token`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE:    im.run,
	}
	f := c.Flags()
	f.IntVar(&im.batch, "batch", domain.MaxRegionBatch, "regions per record_regions command (at most 1000)")
	f.BoolVar(&im.dryRun, "dry-run", false, "check the file and report, send nothing")
	f.StringVar(&im.source, "source", "", "where the names come from, recorded with them (default: the file's name)")
	return c
}

func (im *regionsImport) run(cmd *cobra.Command, args []string) error {
	if im.batch < 1 || im.batch > domain.MaxRegionBatch {
		return usageError{fmt.Errorf("--batch must be 1 to %d", domain.MaxRegionBatch)}
	}
	in, closeIn, err := openInput(cmd.InOrStdin(), args[0])
	if err != nil {
		return err
	}
	defer closeIn()
	rows, bad, err := regions.Parse(in)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", args[0], err)}
	}
	rep := &regionsReport{Rows: len(rows) + len(bad), Rejected: bad, Commands: []regionsBatch{}, DryRun: im.dryRun}
	if rep.Rejected == nil {
		rep.Rejected = []regions.RowError{}
	}
	if len(rows) > 0 {
		rep.Province = string(rows[0].Code[:2])
	}
	if im.source == "" {
		im.source = args[0]
	}
	if len(bad) == 0 && !im.dryRun && len(rows) > 0 {
		if err := im.send(cmd, rows, rep); err != nil {
			_ = im.report(cmd.OutOrStdout(), rep)
			return err
		}
	}
	if err := im.report(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	if len(bad) > 0 {
		return exitError{code: 3, msg: fmt.Sprintf("%d of %d rows failed the checks (listed above): nothing was sent", len(bad), rep.Rows)}
	}
	return nil
}

func (im *regionsImport) send(cmd *cobra.Command, rows []domain.RegionEntry, rep *regionsReport) error {
	c, o, err := im.a.importClient("regions import")
	if err != nil {
		return err
	}
	prov := rows[0].Code[:2]
	bar := newBar(im.a.g, int64(len(rows)), "recording regions")
	defer bar.Finish()
	for from := 0; from < len(rows); from += im.batch {
		part := rows[from:min(from+im.batch, len(rows))]
		body, err := json.Marshal(domain.RecordRegions{RegisterID: regions.RegisterID(prov), Region: prov, Source: im.source, Entries: part})
		if err != nil {
			return err
		}
		o.ID = regionsBatchID(body)
		res, err := c.Command(cmd.Context(), "record_regions", body, o)
		if err != nil {
			return im.a.fail(cmd, err)
		}
		rep.Recorded += len(part)
		rep.Commands = append(rep.Commands, regionsBatch{CommandID: res.CommandID, Regions: len(part),
			batchSent: batchSent{FirstPosition: res.FirstPosition, LastPosition: res.LastPosition, Duplicate: res.Duplicate}})
		_ = bar.Add(len(part))
	}
	return nil
}

// regionsBatchID derives a batch's command ID from its body.
func regionsBatchID(body []byte) string {
	sum := sha256.Sum256(append([]byte("record_regions\x00"), body...))
	var id ulid.ULID
	_ = id.SetTime(binary.BigEndian.Uint64(sum[:8]) % 1_700_000_000_000)
	_ = id.SetEntropy(sum[8:18])
	return id.String()
}

func (im *regionsImport) report(w io.Writer, rep *regionsReport) error {
	if im.a.g.jsonOut {
		return writeJSON(w, rep)
	}
	verb := "recorded"
	if rep.DryRun || len(rep.Rejected) > 0 {
		verb = "checked, nothing sent:"
		rep.Recorded = 0
	}
	fmt.Fprintf(w, "%s %d of %d regions of province %s", verb, rep.Recorded, rep.Rows, rep.Province)
	writeBatches(w, rep.Commands, len(rep.Rejected))
	for _, r := range rep.Rejected {
		fmt.Fprintf(w, "  line %d  %s  %s\n", r.Line, r.Code, r.Reason)
	}
	return nil
}
