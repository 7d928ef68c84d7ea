package domain

import (
	"testing"
)

// benchElection returns a world with an open station holding n voters.
func benchElection(b *testing.B, n int) *world {
	b.Helper()
	w := newWorld(at(electionDay, -30))
	w.must(b, CallElection{ElectionAddr: ea, Committee: CommitteeVillagers, Seats: 5, ElectionDay: electionDay, ElectionCommittee: []string{"王某"}})
	for first := 1; first <= n; first += MaxVoterBatch {
		var batch []VoterEntry
		for i := first; i < first+MaxVoterBatch && i <= n; i++ {
			batch = append(batch, VoterEntry{RollNo: i, StationID: stationA})
		}
		w.must(b, RegisterVoters{ElectionAddr: ea, Voters: batch})
	}
	w.now = at(electionDay, -20)
	w.must(b, PublishRoll{ElectionAddr: ea})
	for i := 1; i <= 7; i++ {
		w.must(b, NominateCandidate{ElectionAddr: ea, CandidateID: cand(i), Name: "某"})
	}
	w.must(b, PublishCandidates{ElectionAddr: ea})
	w.must(b, PublishProxies{ElectionAddr: ea})
	w.must(b, EstablishStation{StationAddr: sa(stationA), Place: "村委会", Scrutineers: []string{"甲"}})
	w.now = at(electionDay, 0)
	w.must(b, OpenPolls{StationAddr: sa(stationA), Round: 1})
	return w
}

// BenchmarkCheckIn measures Decide+Evolve of one check-in against a large roll.
func BenchmarkCheckIn(b *testing.B) {
	w := benchElection(b, 1_000_000)
	env := w.env(CheckIn{StationAddr: sa(stationA)})
	st := w.station(stationA)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := CheckIn{StationAddr: sa(stationA), RollNo: i%1_000_000 + 1, Mode: ModeInPerson}
		if i > 0 && i%1_000_000 == 0 {
			b.StopTimer()
			clear(st.CheckedIn)
			b.StartTimer()
		}
		evs, err := Decide(st, cmd, env)
		if err != nil {
			b.Fatal(err)
		}
		Evolve(st, evs[0])
	}
}

// BenchmarkRecordBallot measures Decide+Evolve of one ballot of the count.
func BenchmarkRecordBallot(b *testing.B) {
	w := benchElection(b, 10)
	w.must(b, ClosePolls{StationAddr: sa(stationA)})
	st := w.station(stationA)
	cmd := RecordBallot{StationAddr: sa(stationA), Round: 1, Candidates: []string{cand(1), cand(2), cand(3), cand(4), cand(5)}}
	env := Env{Now: w.now}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := Decide(st, cmd, env)
		if err != nil {
			b.Fatal(err)
		}
		Evolve(st, evs[0])
	}
}
