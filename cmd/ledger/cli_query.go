package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"ledger/domain"
	"ledger/history"
	"ledger/projections"
)

// queryCmds holds the flags shared by the query subcommands.
type queryCmds struct {
	a *apiFlags
	e exportFlags
}

func newQueryCmd(g *globals) *cobra.Command {
	q := &queryCmds{a: &apiFlags{g: g}}
	cmd := groupCmd("query", "Query the read models: turnout, results, reconciliation, audit trail, consultations, supervision, lag",
		`query reads the read models of a running server and prints aligned tables, or JSON
with --json. Every query exports with --format csv|json --out FILE: CSV files are
UTF-8 with a byte order mark, so that Excel opens them correctly.`)
	q.a.addConnFlags(cmd)
	q.e.add(cmd)
	cmd.AddCommand(q.turnoutCmd(), q.resultsCmd(), q.reconciliationCmd(), q.auditTrailCmd(),
		q.consultationsCmd(), q.consultationCmd(), q.resolutionsCmd(), q.supervisionCmd(), q.lagCmd(),
		q.stateCmd(), q.eventCmd())
	return cmd
}

// run reads path and shows the answer: an export, JSON, or the view.
func (q *queryCmds) run(cmd *cobra.Command, path string, params url.Values, render func([]byte) (view, error)) error {
	format, export, err := q.e.wanted()
	if err != nil {
		return err
	}
	c, err := q.a.client()
	if err != nil {
		return err
	}
	raw, err := c.GetRaw(cmd.Context(), path, params)
	if err != nil {
		return q.a.fail(cmd, err)
	}
	return q.show(cmd, format, export, raw, render)
}

func (q *queryCmds) show(cmd *cobra.Command, format string, export bool, raw []byte, render func([]byte) (view, error)) error {
	if !export && q.a.g.jsonOut {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	v, err := render(raw)
	if err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	if export {
		return q.e.write(cmd, format, raw, v)
	}
	return v.print(cmd.OutOrStdout())
}

// decoded returns a render function that decodes the answer into T first.
func decoded[T any](f func(T) view) func([]byte) (view, error) {
	return func(raw []byte) (view, error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return view{}, err
		}
		return f(v), nil
	}
}

func (q *queryCmds) turnoutCmd() *cobra.Command {
	var region, election, station string
	var children, series bool
	c := &cobra.Command{
		Use:   "turnout (--region R [--children] | --election E | --station S) [--series]",
		Short: "Turnout of a region (or its subdivisions), an election and its stations, or a station",
		Example: `  ledger query turnout --region 2201 --children
  ledger query turnout --election 01J00000000000000000000001
  ledger query turnout --election 01J00000000000000000000001 --series --format csv --out series.csv`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n := 0
			for _, s := range []string{region, election, station} {
				if s != "" {
					n++
				}
			}
			if n != 1 {
				return usageError{errors.New("give one of --region, --election or --station")}
			}
			switch {
			case region != "" && series:
				return q.run(cmd, "/api/v1/turnout/regions/"+url.PathEscape(region)+"/series", nil, decoded(seriesView))
			case region != "" && children:
				return q.run(cmd, "/api/v1/turnout/regions/"+url.PathEscape(region)+"/children", nil, decoded(regionsView))
			case region != "":
				return q.run(cmd, "/api/v1/turnout/regions/"+url.PathEscape(region), nil,
					decoded(func(r projections.RegionTurnout) view { return regionsView([]projections.RegionTurnout{r}) }))
			case election != "" && series:
				return q.run(cmd, "/api/v1/turnout/elections/"+url.PathEscape(election)+"/series", nil, decoded(seriesView))
			case election != "":
				return q.run(cmd, "/api/v1/turnout/elections/"+url.PathEscape(election), nil, decoded(electionTurnoutView))
			case series:
				return usageError{errors.New("--series goes with --region or --election")}
			}
			return q.run(cmd, "/api/v1/turnout/stations/"+url.PathEscape(station), nil, decoded(func(s projections.StationTurnout) view {
				t := turnoutTable()
				addTurnout(&t, "station", s.StationID, s.Mobile, s.TurnoutCounts)
				return view{tables: []table{t}}
			}))
		},
	}
	f := c.Flags()
	f.StringVar(&region, "region", "", "a region code (2 to 12 digits: province to village)")
	f.StringVar(&election, "election", "", "an election's ID")
	f.StringVar(&station, "station", "", "a station's ID")
	f.BoolVar(&children, "children", false, "with --region: one row per subdivision")
	f.BoolVar(&series, "series", false, "check-ins per 15 minutes instead")
	return c
}

func turnoutTable() table {
	return table{header: []string{"scope", "id", "mobile", "registered", "voted", "in_person", "proxy", "mobile_box", "turnout_percent", "validity_met"}}
}

func addTurnout(t *table, scope, id string, mobile bool, c projections.TurnoutCounts) {
	t.add(scope, id, mobile, c.Registered, c.Voted, c.InPerson, c.Proxy, c.Mobile, c.TurnoutPercent, c.ValidityMet)
}

func regionsView(rs []projections.RegionTurnout) view {
	t := turnoutTable()
	for _, r := range rs {
		addTurnout(&t, "region/"+strconv.Itoa(r.Level), r.Region, false, r.TurnoutCounts)
	}
	return view{tables: []table{t}}
}

func electionTurnoutView(e projections.ElectionTurnout) view {
	t := turnoutTable()
	addTurnout(&t, "election", e.ElectionID, false, e.TurnoutCounts)
	for _, s := range e.Stations {
		addTurnout(&t, "station", s.StationID, s.Mobile, s.TurnoutCounts)
	}
	v := view{lines: []string{fmt.Sprintf("election %s in %s: %d of %d voted (%.1f%%), round 1 %s",
		e.ElectionID, e.Region, e.Voted, e.Registered, e.TurnoutPercent, roundStatusWords(e.RoundStatus))}, tables: []table{t}}
	if len(e.LaterRounds) > 0 {
		r := table{title: "later rounds", header: []string{"round", "registered", "voted", "turnout_percent", "validity_met", "status", "reason"}}
		for _, lr := range e.LaterRounds {
			r.add(lr.Round, lr.Registered, lr.Voted, lr.TurnoutPercent, lr.ValidityMet, lr.Status, lr.Reason)
		}
		v.tables = append(v.tables, r)
	}
	return v
}

// roundStatusWords says a round's declared status and, when invalid, why.
func roundStatusWords(st projections.RoundStatus) string {
	w := statusWords[st.Status]
	if w == "" {
		w = st.Status
	}
	if st.Reason != "" {
		w += ": " + reasonWords[st.Reason]
	}
	return w
}

func seriesView(ps []projections.SeriesPoint) view {
	t := table{header: []string{"start", "check_ins"}}
	for _, p := range ps {
		t.add(p.Start, p.CheckIns)
	}
	return view{tables: []table{t}}
}

func (q *queryCmds) resultsCmd() *cobra.Command {
	return q.oneFlagCmd("results", "election", "the election's ID", "/api/v1/results/elections/",
		"Results of an election: every round's tally, the members elected, announced/certified", decoded(resultsView))
}

func resultsView(r projections.ElectionResults) view {
	v := view{lines: []string{fmt.Sprintf("election %s in %s: %s committee, %d seats (%d left); announced %s, certified %s%s, sealed %s, voided %s",
		r.ElectionID, r.Region, r.Committee, r.Seats, r.SeatsLeft, cell(r.Announced, true), cell(r.Certified, true),
		map[bool]string{true: " by " + r.CertifiedBy}[r.CertifiedBy != ""], cell(r.Sealed, true), cell(r.Voided, true))}}
	if r.Voided {
		v.lines = append(v.lines, "void: "+r.VoidReason)
	}
	all := table{header: []string{"round", "kind", "candidate_id", "name", "write_in", "votes", "elected", "tied", "round_status", "round_reason"}}
	for _, rr := range r.Rounds {
		v.lines = append(v.lines, roundLine(rr)...)
		t := table{title: fmt.Sprintf("round %d tally", rr.Round), header: all.header[2:8]}
		for _, tv := range rr.Tally {
			elected := slices.ContainsFunc(rr.Elected, func(m domain.Member) bool { return m.ID == tv.ID })
			tied := tieCell(slices.Contains(rr.Tied, tv.ID))
			t.add(tv.ID, tv.Name, tv.WriteIn, tv.Votes, elected, tied)
			all.add(rr.Round, rr.Kind, tv.ID, tv.Name, tv.WriteIn, tv.Votes, elected, tied, rr.Status, rr.Reason)
		}
		v.tables = append(v.tables, t)
	}
	for _, rc := range r.Recalls {
		v.lines = append(v.lines, fmt.Sprintf("recall %s of %s: %s (%s); registered %d, cast %d, for %d, against %d",
			rc.RecallID, rc.MemberID, rc.Outcome, recallWords[rc.Outcome], rc.Registered, rc.Cast, rc.For, rc.Against))
	}
	m := table{title: "members", header: []string{"id", "name", "round", "votes"}}
	for _, mm := range r.Members {
		m.add(mm.ID, mm.Name, mm.Round, mm.Votes)
	}
	v.tables = append(v.tables, m)
	v.export = &all
	return v
}

// roundLine says a round's figures, its status and, when it failed, why.
func roundLine(rr projections.RoundResults) []string {
	out := []string{fmt.Sprintf("round %d %s / %s (%d seats, declared %s): cast %d, valid %d, blank %d, invalid %d; registered %d, voted %d, round %s",
		rr.Round, rr.Label, rr.LabelEN, rr.Seats, cell(rr.Declared, true), rr.Cast, rr.Valid, rr.Blank, rr.Invalid, rr.Registered, rr.Voted, statusWords[rr.Status])}
	if rr.Reason != "" {
		out = append(out, fmt.Sprintf("  round %d invalid because: %s", rr.Round, reasonWords[rr.Reason]))
	}
	if len(rr.InvalidBoxes) > 0 {
		line := fmt.Sprintf("  boxes returning more ballots than issued: %s", strings.Join(rr.InvalidBoxes, ", "))
		if rr.SetAsideRule != "" {
			line += " (set aside under " + rr.SetAsideRule + ")"
		}
		out = append(out, line)
	}
	if len(rr.Tied) > 0 {
		out = append(out, fmt.Sprintf("  并列 / tie at the last seat, none of them elected: %s", strings.Join(rr.Tied, ", ")))
	}
	if rr.Vacant > 0 {
		out = append(out, fmt.Sprintf("  %d 个职位空缺 / %d seats left vacant: %s", rr.Vacant, rr.Vacant, vacantWords[rr.VacantReason]))
	}
	return out
}

var statusWords = map[string]string{
	projections.RoundInProgress: "in progress (进行中)",
	projections.RoundValid:      "valid (有效)",
	projections.RoundInvalid:    "invalid (无效)",
}

var reasonWords = map[string]string{
	domain.ReasonTurnout:       "不足法定比例的选民投票 / not enough registered voters voted",
	domain.ReasonBallotsExcess: "投票数多于投票人数 / a box returned more ballots than it issued",
}

var recallWords = map[string]string{
	projections.RecallPassed:  "罢免通过",
	projections.RecallFailed:  "罢免未通过",
	projections.RecallInvalid: "投票无效：未过半数选民投票",
}

var vacantWords = map[string]string{
	domain.ReasonNoCandidateLeft: "没有得票的未当选候选人，无法另行选举 / no candidate left with votes for a further round",
	"":                           "",
}

func tieCell(tied bool) string {
	if tied {
		return "并列/tie"
	}
	return ""
}

func (q *queryCmds) reconciliationCmd() *cobra.Command {
	var election string
	var round int
	c := &cobra.Command{
		Use:   "reconciliation --election E [--round N]",
		Short: "Reconciliation of an election's ballot boxes: issued, returned, spoiled, flags",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if election == "" {
				return usageError{errors.New("--election is required")}
			}
			p := url.Values{}
			if round > 0 {
				p.Set("round", strconv.Itoa(round))
			}
			return q.run(cmd, "/api/v1/reconciliation/elections/"+url.PathEscape(election), p, decoded(reconView))
		},
	}
	c.Flags().StringVar(&election, "election", "", "the election's ID (required)")
	c.Flags().IntVar(&round, "round", 0, "the round (default 1)")
	return c
}

func reconView(r projections.ElectionReconciliation) view {
	t := table{header: []string{"station_id", "mobile", "round", "issued", "returned", "spoiled", "count_closed", "flags"}}
	for _, b := range r.Boxes {
		t.add(b.StationID, b.Mobile, b.Round, b.Issued, b.Returned, b.Spoiled, b.CountClosed, b.Flags)
	}
	return view{lines: []string{fmt.Sprintf("election %s round %d: issued %d, returned %d, spoiled %d; flagged boxes: %d",
		r.ElectionID, r.Round, r.Issued, r.Returned, r.Spoiled, len(r.FlaggedBoxes))}, tables: []table{t}}
}

func (q *queryCmds) auditTrailCmd() *cobra.Command {
	var in struct {
		kind, id, actor, region, from, to, clock string
		after                                    uint64
		limit                                    int
		all                                      bool
	}
	c := &cobra.Command{
		Use:   "audit-trail [--kind K --id ID | --actor A | --region R] [--from T] [--to T] [--clock occurred|recorded]",
		Short: "Audit trail: who recorded what, when, on which aggregate",
		Long: `Audit trail: who recorded what, when, on which aggregate. --from and --to are read on
the recorded clock by default (when the ledger recorded the events: a question about the
ledger); --clock occurred reads them on the time the acts happened (what happened in November,
including what was entered later from paper minutes).`,
		Example: `  ledger query audit-trail --kind election --id 01J00000000000000000000001
  ledger query audit-trail --region 2201 --from 2026-11-01 --to 2026-12-01 --clock occurred --all
  ledger query audit-trail --region 2201 --from 2026-05-01 --all --format csv --out audit.csv`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := url.Values{}
			if _, err := history.ParseClock(in.clock, history.Recorded); err != nil {
				return usageError{fmt.Errorf("--clock: %w", err)}
			}
			for k, v := range map[string]string{"kind": in.kind, "id": in.id, "actor": in.actor, "region": in.region, "clock": in.clock} {
				if v != "" {
					p.Set(k, v)
				}
			}
			for k, v := range map[string]string{"from": in.from, "to": in.to} {
				if v != "" {
					t, err := parseWhen(v)
					if err != nil {
						return usageError{fmt.Errorf("--%s: %w", k, err)}
					}
					p.Set(k, t.Format("2006-01-02T15:04:05Z07:00"))
				}
			}
			if in.limit > 0 {
				p.Set("limit", strconv.Itoa(in.limit))
			}
			return q.auditPages(cmd, p, in.after, in.all)
		},
	}
	f := c.Flags()
	f.StringVar(&in.kind, "kind", "", "an aggregate kind: election, station, consultation or inspection (with --id)")
	f.StringVar(&in.id, "id", "", "an aggregate ID (with --kind)")
	f.StringVar(&in.actor, "actor", "", "an actor")
	f.StringVar(&in.region, "region", "", "a region code prefix")
	f.StringVar(&in.from, "from", "", "at or after this time (on --clock)")
	f.StringVar(&in.to, "to", "", "before this time (on --clock)")
	f.StringVar(&in.clock, "clock", "", "the clock of --from and --to: recorded (default) or occurred")
	f.Uint64Var(&in.after, "after", 0, "resume after this log position")
	f.IntVar(&in.limit, "limit", 0, "entries per page (default 100, at most 10000)")
	f.BoolVar(&in.all, "all", false, "follow the pages to the end")
	return c
}

// auditPages reads one page, or all of them with all, and shows them as one.
func (q *queryCmds) auditPages(cmd *cobra.Command, p url.Values, after uint64, all bool) error {
	format, export, err := q.e.wanted()
	if err != nil {
		return err
	}
	c, err := q.a.client()
	if err != nil {
		return err
	}
	var page history.Page
	for {
		if after > 0 {
			p.Set("after", strconv.FormatUint(after, 10))
		}
		var pg history.Page
		if err := c.Get(cmd.Context(), "/api/v1/audit/events", p, &pg); err != nil {
			return q.a.fail(cmd, err)
		}
		page.Entries = append(page.Entries, pg.Entries...)
		page.Next = pg.Next
		if !all || pg.Next == 0 {
			break
		}
		after = pg.Next
	}
	if page.Entries == nil {
		page.Entries = []history.Entry{}
	}
	raw, err := json.Marshal(page)
	if err != nil {
		return err
	}
	return q.show(cmd, format, export, raw, decoded(auditView))
}

func auditView(pg history.Page) view {
	t := table{header: []string{"position", "recorded_at", "occurred_at", "type", "aggregate_kind", "aggregate_id", "region", "actor", "command_id"}}
	x := table{header: append(slices.Clone(t.header), "payload")}
	for _, e := range pg.Entries {
		t.add(e.Position, e.RecordedAt, e.OccurredAt, e.Type, e.AggregateKind, e.AggregateID, e.Region, e.Actor, e.CommandID)
		x.add(e.Position, e.RecordedAt, e.OccurredAt, e.Type, e.AggregateKind, e.AggregateID, e.Region, e.Actor, e.CommandID, e.Payload)
	}
	v := view{tables: []table{t}, export: &x}
	if pg.Next != 0 {
		v.lines = []string{fmt.Sprintf("%d entries; more after position %d (--after %d, or --all)", len(pg.Entries), pg.Next, pg.Next)}
	}
	return v
}

func (q *queryCmds) consultationsCmd() *cobra.Command {
	return q.oneFlagCmd("consultations", "region", "a region code", "/api/v1/consultations/regions/",
		"Consultations of a region with their tasks", decoded(func(r projections.ConsultationReport) view {
			v := consultationsView(r.Consultations)
			v.tables = append(v.tables, communitiesTable(r.Communities))
			return v
		}))
}

func consultationsView(cs []projections.ConsultationView) view {
	t := table{title: "consultations", header: []string{"id", "region", "topic", "participants", "present", "participation_percent",
		"held", "quorate", "voted", "adopted", "postponed", "opinions", "tasks", "overdue_tasks", "feedback_published"}}
	for _, c := range cs {
		t.add(c.ID, c.Region, c.Topic, c.Participants, c.Present, c.ParticipationPercent, c.Held, c.Quorate, c.Voted,
			c.Adopted, c.Postponed, c.OpinionsRecorded, len(c.Tasks), len(c.OverdueTasks), c.FeedbackPublished)
	}
	return view{tables: []table{t}}
}

func communitiesTable(cs []projections.CommunityConsultations) table {
	t := table{title: "by community", header: []string{"region", "consultations", "meetings", "resolutions", "adopted", "open_tasks", "overdue_tasks"}}
	for _, c := range cs {
		t.add(c.Region, c.Consultations, c.Meetings, c.Resolutions, c.Adopted, c.OpenTasks, c.OverdueTasks)
	}
	return t
}

func (q *queryCmds) consultationCmd() *cobra.Command {
	return q.oneFlagCmd("consultation", "consultation", "the consultation's ID", "/api/v1/consultations/",
		"One consultation and its tasks", decoded(func(c projections.ConsultationView) view {
			v := consultationsView([]projections.ConsultationView{c})
			t := table{title: "tasks", header: []string{"task_id", "title", "owner", "deadline", "done", "done_on"}}
			for _, tk := range c.Tasks {
				t.add(tk.ID, tk.Title, tk.Owner, string(tk.Deadline), tk.Done, string(tk.DoneOn))
			}
			v.tables = append(v.tables, t)
			return v
		}))
}

func (q *queryCmds) resolutionsCmd() *cobra.Command {
	return q.oneFlagCmd("resolutions", "region", "a region code", "/api/v1/resolutions/regions/",
		"Published consultation outcomes per community: meetings, resolutions, adopted",
		decoded(func(cs []projections.CommunityConsultations) view { return view{tables: []table{communitiesTable(cs)}} }))
}

func (q *queryCmds) supervisionCmd() *cobra.Command {
	return q.oneFlagCmd("supervision", "region", "a region code", "/api/v1/supervision/regions/",
		"Inspections, findings and rectification orders of a region", decoded(supervisionView))
}

// oneFlagCmd is a query that names its subject with one required flag and
// reads prefix + the flag's value.
func (q *queryCmds) oneFlagCmd(name, flag, what, prefix, short string, render func([]byte) (view, error)) *cobra.Command {
	var value string
	c := &cobra.Command{
		Use:   fmt.Sprintf("%s --%s %s", name, flag, strings.ToUpper(flag[:1])),
		Short: short,
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if value == "" {
				return usageError{fmt.Errorf("--%s is required", flag)}
			}
			return q.run(cmd, prefix+url.PathEscape(value), nil, render)
		},
	}
	c.Flags().StringVar(&value, flag, "", what+" (required)")
	return c
}

func supervisionView(r projections.SupervisionReport) view {
	t := table{title: "inspections", header: []string{"id", "region", "title", "scope_kind", "scope_id", "open", "findings", "orders", "orders_overdue", "evidence"}}
	o := table{title: "rectification orders", header: []string{"inspection_id", "order_id", "finding_id", "responsible", "deadline", "reported", "accepted", "rejections", "due", "overdue"}}
	for _, in := range r.Inspections {
		overdue := 0
		for _, od := range in.Orders {
			if od.Overdue {
				overdue++
			}
			o.add(in.ID, od.ID, od.FindingID, od.Responsible, string(od.Deadline), od.Reported, od.Accepted, od.Rejections, od.Due, od.Overdue)
		}
		t.add(in.ID, in.Region, in.Title, in.Scope.Kind, in.Scope.ID, in.Open, len(in.Findings), len(in.Orders), overdue, in.Evidence)
	}
	return view{lines: []string{fmt.Sprintf("region %s: %d open, %d closed inspections; %d findings; %d rectifications due, %d overdue",
		r.Region, r.Open, r.Closed, r.Findings, r.RectificationsDue, r.Overdue)}, tables: []table{t, o}}
}

func (q *queryCmds) lagCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lag",
		Short: "How far each read model is behind the log",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return q.run(cmd, "/api/v1/lag", nil, decoded(func(ls []projections.Lag) view {
				t := table{header: []string{"name", "checkpoint", "log_position", "behind", "seconds_behind"}}
				for _, l := range ls {
					t.add(l.Name, l.Checkpoint, l.LogPosition, l.Behind, l.SecondsBehind)
				}
				return view{tables: []table{t}}
			}))
		},
	}
}

func (q *queryCmds) stateCmd() *cobra.Command {
	var kind, id, region, at, clock string
	var position uint64
	c := &cobra.Command{
		Use:   "state --kind K --id ID --region R [--position N | --time T [--clock occurred|recorded]]",
		Short: "An aggregate's state as of a log position or a time (JSON)",
		Long: `An aggregate's state as of a log position or a time. --time is read on the occurred
clock by default (the state of the world then, counting entries made later from paper
minutes); --clock recorded answers what the ledger held then.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind == "" || id == "" || region == "" {
				return usageError{errors.New("--kind, --id and --region are required")}
			}
			if _, err := history.ParseClock(clock, history.Occurred); err != nil {
				return usageError{fmt.Errorf("--clock: %w", err)}
			}
			p := url.Values{"region": {region}, "clock": {clock}}
			if position > 0 {
				p.Set("position", strconv.FormatUint(position, 10))
			}
			if at != "" {
				t, err := parseWhen(at)
				if err != nil {
					return usageError{fmt.Errorf("--time: %w", err)}
				}
				p.Set("time", t.Format("2006-01-02T15:04:05Z07:00"))
			}
			return q.run(cmd, "/api/v1/audit/state/"+url.PathEscape(kind)+"/"+url.PathEscape(id), p, jsonView)
		},
	}
	f := c.Flags()
	f.StringVar(&kind, "kind", "", "election, station, consultation or inspection")
	f.StringVar(&id, "id", "", "the aggregate's ID")
	f.StringVar(&region, "region", "", "the aggregate's region code")
	f.Uint64Var(&position, "position", 0, "as of this log position")
	f.StringVar(&at, "time", "", "as of this time")
	f.StringVar(&clock, "clock", "occurred", "the clock of --time: occurred or recorded")
	return c
}

func (q *queryCmds) eventCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "event POSITION",
		Short: "One event of the log by position (JSON)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := strconv.ParseUint(args[0], 10, 64); err != nil {
				return usageError{fmt.Errorf("position %q is not a number", args[0])}
			}
			return q.run(cmd, "/api/v1/events/"+args[0], nil, jsonView)
		},
	}
}

// jsonView shows an answer that has no table as indented JSON.
func jsonView(raw []byte) (view, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return view{}, err
	}
	return view{lines: []string{buf.String()}}, nil
}
