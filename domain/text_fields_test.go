package domain

import "testing"

// TestInvalidTextInEveryElectionField: names, places and seals that a
// reader cannot see as written (a bidi override, NUL, a newline, only a
// zero-width space, over-long) are refused with invalid_text in every
// free-text field of the election and station commands, and nothing is
// recorded.
func TestInvalidTextInEveryElectionField(t *testing.T) {
	bad := map[string]string{"bidi override": "王\u202e某", "NUL": "王\x00某", "newline": "王\n某",
		"zero-width only": "\u200b", "over-long": repeatStr("某", 100)}
	type cmdOf func(w *world, s string) Command // w is the election before the command
	fields := map[string]cmdOf{
		"candidate name": func(w *world, s string) Command {
			return NominateCandidate{ElectionAddr: ea, CandidateID: "c9", Name: s}
		},
		"nominated by": func(w *world, s string) Command {
			return NominateCandidate{ElectionAddr: ea, CandidateID: "c9", Name: "某", NominatedBy: s}
		},
		"station place": func(w *world, s string) Command {
			return EstablishStation{StationAddr: sa(id(109)), Place: s, Scrutineers: []string{"甲"}}
		},
		"scrutineer": func(w *world, s string) Command {
			return EstablishStation{StationAddr: sa(id(109)), Place: "村委会", Scrutineers: []string{"甲", s}}
		},
	}
	for fname, mk := range fields {
		for bname, s := range bad {
			t.Run(fname+"/"+bname, func(t *testing.T) {
				w := calledWithVoters(t, 10)
				cmd := mk(w, s)
				before := len(w.log[cmd.Target()])
				_, err := w.exec(cmd)
				wantCode(t, err, "invalid_text")
				if got := len(w.log[cmd.Target()]); got != before {
					t.Errorf("a refused command recorded %d events", got-before)
				}
			})
		}
	}
}

// TestInvalidTextAtTheCount: the seal and a write-in are checked too.
func TestInvalidTextAtTheCount(t *testing.T) {
	for _, s := range []string{"F\u202e1", "\u200b", "F\x001"} {
		w := prepare(t, setup{seats: 3, candidates: 4, stations: map[string]int{stationA: 10}})
		w.must(t, OpenPolls{StationAddr: sa(stationA), Round: 1})
		w.must(t, ClosePolls{StationAddr: sa(stationA)})
		_, err := w.exec(SealBox{StationAddr: sa(stationA), SealNo: s, SealedBy: []string{"甲"}})
		wantCode(t, err, "invalid_text")
		_, err = w.exec(SealBox{StationAddr: sa(stationA), SealNo: "F-1", SealedBy: []string{s}})
		wantCode(t, err, "invalid_text")
		_, err = w.exec(RecordBallot{StationAddr: sa(stationA), Round: 1, WriteIns: []string{s}})
		wantCode(t, err, "invalid_text")
		if got := w.station(stationA).Tallies[1].Returned; got != 0 {
			t.Errorf("%d ballots recorded", got)
		}
	}
}

func repeatStr(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
