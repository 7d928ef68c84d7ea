package edge

import (
	"context"
	"errors"
	"strconv"

	"ledger/domain"
	"ledger/eventstore"
)

// IrregularCheckpoint: an edge signed a root its records at the hub do not give.
const IrregularCheckpoint = "edge_checkpoint_mismatch"

// words says each irregularity in Chinese and English.
var words = map[string][2]string{
	domain.IrregularLateCheckIn:  {"中心节点已宣布本轮结果(或选举已无效)后，边缘节点记录的领票", "a check-in the edge recorded for a round the county had already declared (or a voided election)"},
	domain.IrregularOtherStation: {"中心节点的选民名单将该选民列在另一投票站", "the hub's roll puts the voter at another station"},
	domain.IrregularNotOnRoll:    {"中心节点的选民名单上没有该选民", "the hub's roll does not have the voter"},
	domain.IrregularTwoStations:  {"该选民本轮在两个投票站领取了选票", "the voter was issued a ballot at two stations in this round"},
	domain.IrregularAfterReclaim: {"中心节点已收回该投票站后，边缘节点仍有记录", "the edge recorded on the station after the hub had reclaimed it"},
	IrregularCheckpoint:          {"边缘节点签署的检查点与中心节点记录的不符", "the edge's signed checkpoint does not match what the hub recorded of it"},
}

func irregularity(edge, station string, pos uint64, code string) domain.EdgeIrregularity {
	w := words[code]
	return domain.EdgeIrregularity{Edge: edge, Station: station, Position: pos, Code: code, ZH: w[0], EN: w[1]}
}

// irregularities checks again, with the hub's knowledge, what only the
// hub can decide about an edge message's events, and records each
// conflict on the election before the message itself is recorded. Their
// command IDs are made from the edge's sequence, so a message read again
// after a restart records nothing twice.
func (in *ingest) irregularities(ctx context.Context, evs []eventstore.Envelope, pos, seq uint64) error {
	var found []domain.EdgeIrregularity
	if in.owner != in.edge {
		found = append(found, irregularity(in.edge, in.st.ID, pos, domain.IrregularAfterReclaim))
	}
	for i, e := range evs {
		if e.Type != (domain.VoterCheckedIn{}).EventType() {
			continue
		}
		ev, err := domain.DecodeEvent(e.Type, e.Payload)
		if err != nil {
			return err
		}
		c := ev.(domain.VoterCheckedIn)
		code, other, err := in.checkIn(ctx, c)
		if err != nil {
			return err
		}
		if code != "" {
			x := irregularity(in.edge, in.st.ID, pos+uint64(i), code)
			x.RollNo, x.Round, x.Other = c.RollNo, c.Round, other
			found = append(found, x)
			in.election = domain.Evolve(in.election, x).(*domain.Election) // the next check-ins see it
		}
	}
	for j, x := range found {
		id := "edge-" + in.edge + "-" + strconv.FormatUint(seq, 10) + "-irregularity-" + strconv.Itoa(j)
		if err := in.recordOnElection(ctx, id, x); err != nil {
			return err
		}
	}
	return nil
}

// checkIn returns the irregularity of a check-in an edge recorded, if the
// hub's election says there is one, and the other station concerned.
func (in *ingest) checkIn(ctx context.Context, c domain.VoterCheckedIn) (string, string, error) {
	e := in.election
	if e.Voided || c.Round < e.Round || c.Round == e.Round && e.RoundDeclared {
		return domain.IrregularLateCheckIn, "", nil
	}
	entry, ok := e.Roll[c.RollNo]
	if !ok {
		return domain.IrregularNotOnRoll, "", nil
	}
	if home := e.StationOf(entry); home != in.st.ID {
		ref := domain.AggregateRef{Kind: domain.KindStation, ID: home, Region: e.Region}
		st, _, err := in.n.Ledger.State(ctx, ref)
		if err != nil {
			return "", "", err
		}
		if s, ok := st.(*domain.Station); ok && s.CheckedIn[c.RollNo] >= c.Round && c.Round > 0 {
			return domain.IrregularTwoStations, home, nil
		}
		return domain.IrregularOtherStation, home, nil
	}
	if a, ok := e.CheckedInAway[c.RollNo]; ok && a.Round == c.Round && a.Station != in.st.ID {
		return domain.IrregularTwoStations, a.Station, nil
	}
	return "", "", nil
}

// recordOnElection appends one irregularity to the election, reloading
// the election once if the hub recorded on it meanwhile.
func (in *ingest) recordOnElection(ctx context.Context, id string, x domain.EdgeIrregularity) error {
	agg := eventstore.Aggregate{Kind: string(domain.KindElection), ID: in.st.ElectionID, Region: in.st.Region}
	meta := eventstore.Meta{CommandID: id, Actor: "edge:" + in.edge}
	for try := 0; ; try++ {
		p, err := in.n.Store.Submit(ctx, agg, in.electionVersion, meta, encode(x))
		if errors.Is(err, eventstore.ErrConflict) && try == 0 {
			if err := in.wait(ctx); err != nil {
				return err
			}
			if err := in.loadElection(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if p.Version > in.electionVersion {
			in.electionVersion = p.Version
			in.irregular++
		}
		in.pending = append(in.pending, p)
		return nil
	}
}

// mismatch records that the edge's checkpoint of size does not match.
func (in *ingest) mismatch(ctx context.Context, size uint64) error {
	x := irregularity(in.edge, in.st.ID, size, IrregularCheckpoint)
	if err := in.recordOnElection(ctx, "edge-"+in.edge+"-checkpoint-mismatch-"+strconv.FormatUint(size, 10), x); err != nil {
		return err
	}
	return in.wait(ctx)
}
