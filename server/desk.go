package server

import (
	"context"
	"slices"

	"ledger/domain"
	"ledger/projections"
)

// DeskCandidate is a candidate of the station's current round.
type DeskCandidate struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// DeskProxy is a published proxy of a voter of the station.
type DeskProxy struct {
	Principal int `json:"principal_roll_no"`
	Holder    int `json:"holder_roll_no"`
}

// DeskStation is what a check-in desk and a counting board need of their
// station, read once when the page opens and kept up to date by the page
// itself: the station's list of voters, who has received a ballot in the
// current round, the published proxies, and the round's candidates. It
// names voters by roll number only and says nothing of ballots.
type DeskStation struct {
	ElectionID       string               `json:"election_id"`
	StationID        string               `json:"station_id"`
	Region           string               `json:"region"`
	Committee        domain.CommitteeKind `json:"committee"`
	Mobile           bool                 `json:"mobile"`
	Place            string               `json:"place"`
	Scrutineers      []string             `json:"scrutineers"` // as the station was established, for the signature lines of its report
	Phase            domain.StationPhase  `json:"phase"`
	Round            int                  `json:"round"`      // the station's round (0 before its polls first open)
	RoundOpen        int                  `json:"round_open"` // the election's current round
	Seats            int                  `json:"seats"`
	Candidates       []DeskCandidate      `json:"candidates"`
	Voters           []int                `json:"voters"`     // roll numbers on this station's list, ascending
	CheckedIn        []int                `json:"checked_in"` // of those, issued a ballot in the station's round
	Elsewhere        map[string][]int     `json:"elsewhere"`  // roll numbers of the election's other stations, by station ID
	ProxiesPublished bool                 `json:"proxies_published"`
	Proxies          []DeskProxy          `json:"proxies"`
}

type deskIn struct {
	ElectionID string `path:"election_id" doc:"the election's ULID"`
	StationID  string `path:"station_id" doc:"the station's ULID"`
}

// registerDesk adds the route that the check-in desk and the counting
// board read their station from: operational, within the token's scope.
func (s *Server) registerDesk() {
	db := s.n.Store.DB()
	get(s, "desk-station", "/api/v1/desk/elections/{election_id}/stations/{station_id}",
		"A station's voter list, check-ins of the current round, proxies and candidates, for the check-in desk and counting board", "stations", readOperational,
		func(ctx context.Context, in *deskIn) (*body[DeskStation], error) {
			t, err := projections.TurnoutOfElection(ctx, db, in.ElectionID)
			if err != nil {
				return nil, queryProblem(err)
			}
			if err := checkRead(ctx, target{Kind: domain.KindStation, Region: t.Region, ElectionID: in.ElectionID}); err != nil {
				return nil, err
			}
			d, err := s.deskStation(ctx, domain.Region(t.Region), in.ElectionID, in.StationID)
			if err != nil {
				p, _ := problemOf(err)
				return nil, p
			}
			return &body[DeskStation]{d}, nil
		})
}

// deskStation reads the election's and the station's current state.
func (s *Server) deskStation(ctx context.Context, region domain.Region, eid, sid string) (DeskStation, error) {
	est, _, err := s.n.Ledger.State(ctx, domain.AggregateRef{Kind: domain.KindElection, ID: eid, Region: region})
	if err != nil {
		return DeskStation{}, err
	}
	sst, _, err := s.n.Ledger.State(ctx, domain.AggregateRef{Kind: domain.KindStation, ID: sid, Region: region})
	if err != nil {
		return DeskStation{}, err
	}
	e, okE := est.(*domain.Election)
	st, okS := sst.(*domain.Station)
	if !okE || !okS || !st.Established || st.ElectionID != eid {
		return DeskStation{}, newProblem(classNotFound, "station_not_found", "该选举没有此投票站", "the election has no such station")
	}
	d := DeskStation{ElectionID: eid, StationID: sid, Region: string(region), Committee: e.Committee, Mobile: st.Mobile,
		Place: st.Place, Scrutineers: st.Scrutineers, Phase: st.Phase, Round: st.Round, RoundOpen: e.Round, Seats: e.RoundSeats,
		ProxiesPublished: e.ProxiesPublished, Elsewhere: map[string][]int{}, Voters: []int{}, CheckedIn: []int{}, Proxies: []DeskProxy{}}
	for _, id := range e.RoundCandidates {
		c := DeskCandidate{ID: id}
		if x := e.Candidates[id]; x != nil {
			c.Name = x.Name
		}
		d.Candidates = append(d.Candidates, c)
	}
	for n, entry := range e.Roll {
		if at := e.StationOf(entry); at == sid {
			d.Voters = append(d.Voters, n)
		} else {
			d.Elsewhere[at] = append(d.Elsewhere[at], n)
		}
	}
	slices.Sort(d.Voters)
	for _, ns := range d.Elsewhere {
		slices.Sort(ns)
	}
	for n, r := range st.CheckedIn {
		if r >= st.Round && st.Round > 0 {
			d.CheckedIn = append(d.CheckedIn, n)
		}
	}
	slices.Sort(d.CheckedIn)
	if e.ProxiesPublished {
		for _, p := range e.Proxies {
			if _, here := slices.BinarySearch(d.Voters, p.Principal); here {
				d.Proxies = append(d.Proxies, DeskProxy{Principal: p.Principal, Holder: p.Holder})
			}
		}
		slices.SortFunc(d.Proxies, func(a, b DeskProxy) int { return a.Principal - b.Principal })
	}
	return d, nil
}
