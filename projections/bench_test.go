package projections

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"ledger/domain"
)

// genElections appends about n events of realistic election days: each
// election calls, registers 400 voters at two stations (one mobile),
// checks in 80% of them and counts their ballots. Regions spread over 4
// cities, 3 counties each, and so on.
func genElections(l *testLog, n int) {
	day := time.Date(2026, 5, 1, 8, 0, 0, 0, chinaTime)
	for i := 0; int(l.pos) < n; i++ {
		region := domain.Region(fmt.Sprintf("22%02d%02d%03d%03d", 1+i%4, 1+i/4%3, 1+i/12%5, 1+i/60))
		eid := fmt.Sprintf("01J%023d", i+1)
		eref := domain.AggregateRef{Kind: domain.KindElection, ID: eid, Region: region}
		l.add(eref, day, "sec", domain.ElectionCalled{Committee: domain.CommitteeVillagers, Seats: 3, Day: "2026-05-01"})
		sids := [2]string{fmt.Sprintf("01K%023d", 2*i+1), fmt.Sprintf("01K%023d", 2*i+2)}
		var voters []domain.VoterEntry
		for v := 1; v <= 400; v++ {
			voters = append(voters, domain.VoterEntry{RollNo: v, StationID: sids[v%2]})
		}
		l.add(eref, day, "sec", domain.VotersRegistered{Voters: voters})
		for k, sid := range sids {
			l.add(domain.AggregateRef{Kind: domain.KindStation, ID: sid, Region: region}, day, "sec",
				domain.StationEstablished{ElectionID: eid, Mobile: k == 1, Place: "村委会"})
		}
		for v := 1; v <= 320 && int(l.pos) < n; v++ {
			sref := domain.AggregateRef{Kind: domain.KindStation, ID: sids[v%2], Region: region}
			mode := domain.ModeInPerson
			if v%2 == 1 {
				mode = domain.ModeMobile
			}
			at := day.Add(time.Duration(v) * 37 * time.Second)
			l.add(sref, at, "clerk", domain.VoterCheckedIn{Round: 1, RollNo: v, Mode: mode, At: at})
			if v%500 == 0 {
				l.flush()
			}
		}
		for v := 1; v <= 320 && int(l.pos) < n; v++ {
			sref := domain.AggregateRef{Kind: domain.KindStation, ID: sids[v%2], Region: region}
			l.add(sref, day, "teller", domain.BallotRecorded{Round: 1, Candidates: []string{"c1", fmt.Sprint("c", 2+v%3)}})
		}
		l.flush()
	}
	l.flush()
}

// BenchmarkRebuild rebuilds every read model (and turnout alone) from a
// Pebble log of 200,000 events and reports events/s.
//
//	go test ./projections/ -run '^$' -bench BenchmarkRebuild -benchtime 3x
func BenchmarkRebuild(b *testing.B) {
	const n = 200_000
	l := newTestLogAt(b, nil, vfs.Default, b.TempDir())
	genElections(l, n)
	if err := l.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"all", Turnout} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := Rebuild(context.Background(), l.db, name, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(l.pos)*float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkTurnoutQuery reads a province's and a village's turnout after
// 10^4, 10^5 and 10^6 events; the time stays flat. Set LEDGER_BENCH_BIG=1
// to add 10^7 events (minutes of setup and about 2 GB of Pebble).
//
//	go test ./projections/ -run '^$' -bench BenchmarkTurnoutQuery
func BenchmarkTurnoutQuery(b *testing.B) {
	sizes := []int{1e4, 1e5, 1e6}
	if os.Getenv("LEDGER_BENCH_BIG") == "1" {
		sizes = append(sizes, 1e7)
	}
	ctx := context.Background()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			l := newTestLogAt(b, New(Options{}), vfs.Default, b.TempDir())
			genElections(l, n)
			// Settle: no background compaction competes with the queries.
			if err := l.db.Compact(ctx, []byte{0}, []byte{0xff}, true); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				p, err := TurnoutOfRegion(ctx, l.db, "22")
				if err != nil || p.Voted == 0 {
					b.Fatal(p, err)
				}
				if _, err := TurnoutOfRegion(ctx, l.db, "220101001001"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyCheckIn measures the live hot path: one check-in applied
// through the ingest batch (batches of 1,000).
func BenchmarkApplyCheckIn(b *testing.B) {
	l := newTestLog(b, New(Options{}))
	genElections(l, 2000)
	region := domain.Region("220101001001")
	sref := domain.AggregateRef{Kind: domain.KindStation, ID: fmt.Sprintf("01K%023d", 1), Region: region}
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, chinaTime)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.add(sref, at, "clerk", domain.VoterCheckedIn{Round: 1, RollNo: i, Mode: domain.ModeInPerson, At: at})
		if len(l.group) == 1000 {
			l.flush()
		}
	}
	l.flush()
}
