package scenario

import "ledger/domain"

// Polls is one election brought to the morning of its election day, for
// benchmarks: Setup prepares the election and opens every station's polls
// (record it first, in order; the deliberately refused commands are left
// out), and CheckIns holds the first round's
// check-ins of each station, in order (only those that must succeed).
// Check-ins of different stations are independent; those of one station
// go in order.
type Polls struct {
	Setup    []Step
	CheckIns [][]Step
}

// Polls returns the i-th selected unit's election up to its first round's
// check-ins. The steps are the same as in Steps, without what follows
// the check-ins.
func (s *Scenario) Polls(i int) Polls {
	p := s.plan(i)
	var out Polls
	for st := range p.prepSteps {
		if st.WantError == "" {
			out.Setup = append(out.Setup, st)
		}
	}
	rp := p.rounds[0]
	for k := range p.stations {
		var ins []Step
		for st := range p.stationSteps(rp, k) {
			switch st.Cmd.(type) {
			case domain.OpenPolls:
				out.Setup = append(out.Setup, st)
				continue
			case domain.CheckIn, domain.CheckIns:
				if st.WantError == "" {
					ins = append(ins, st)
				}
				continue
			}
			break
		}
		out.CheckIns = append(out.CheckIns, ins)
	}
	return out
}
