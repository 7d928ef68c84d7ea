package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"ledger/domain"
)

// TestBallotSecrecy checks that no read model joins a voter to a ballot:
// check-ins with distinctive roll numbers and ballots with distinctive
// marks are applied, and no key or value holds a roll number in any
// encoding, and nothing written by a check-in holds ballot data.
func TestBallotSecrecy(t *testing.T) {
	l := newTestLog(t, New(Options{}))
	village := domain.Region("220102001001")
	eid, sid := "01J00000000000000000000001", "01J00000000000000000000101"
	eref := domain.AggregateRef{Kind: domain.KindElection, ID: eid, Region: village}
	sref := domain.AggregateRef{Kind: domain.KindStation, ID: sid, Region: village}
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, chinaTime)
	rolls := []int{987654321, 876543219, 765432198}
	var voters []domain.VoterEntry
	for _, r := range rolls {
		voters = append(voters, domain.VoterEntry{RollNo: r, StationID: sid})
	}
	l.add(eref, day, "a", domain.ElectionCalled{Committee: domain.CommitteeVillagers, Seats: 3, Day: "2026-05-01"})
	l.add(eref, day, "a", domain.VotersRegistered{Voters: voters})
	l.add(sref, day, "a", domain.StationEstablished{ElectionID: eid, Place: "村委会"})
	l.flush()
	before := snapshot(t, l.db)
	for i, r := range rolls {
		l.add(sref, day, "a", domain.VoterCheckedIn{Round: 1, RollNo: r, Mode: domain.ModeInPerson, At: day.Add(time.Duration(i) * time.Minute)})
	}
	l.flush()
	afterCheckIns := snapshot(t, l.db)
	for _, c := range []string{"secretmarkA", "secretmarkB", "secretmarkC"} {
		l.add(sref, day, "a", domain.BallotRecorded{Round: 1, Candidates: []string{c}, WriteIns: []string{"写入" + c}})
	}
	l.flush()
	after := snapshot(t, l.db)
	for k, v := range after {
		for _, r := range rolls {
			for _, enc := range rollEncodings(r) {
				if bytes.Contains([]byte(k), enc) || bytes.Contains([]byte(v), enc) {
					t.Errorf("key %q (value %x) holds roll number %d", k, v, r)
				}
			}
		}
	}
	for k, v := range afterCheckIns {
		if before[k] == v {
			continue
		}
		if bytes.Contains([]byte(k+v), []byte("secretmark")) {
			t.Errorf("check-in wrote ballot data at %q", k)
		}
	}
	series, err := CheckInSeries(context.Background(), l.db, "election", eid)
	if err != nil || len(series) != 1 || series[0].CheckIns != 3 {
		t.Errorf("series %+v, %v", series, err)
	}
}

func rollEncodings(r int) [][]byte {
	s := []byte(strconv.Itoa(r))
	b8 := binary.BigEndian.AppendUint64(nil, uint64(r))
	b4 := binary.BigEndian.AppendUint32(nil, uint32(r))
	return [][]byte{s, b8, b4, binary.AppendUvarint(nil, uint64(r))}
}
