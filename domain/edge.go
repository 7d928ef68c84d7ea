package domain

import "time"

// Edge ledgers (docs/edge.md). A station may be delegated to an edge
// ledger: a node at the polling station that records its check-ins and
// ballots while the link to the county hub is down. While delegated, only
// that edge decides commands on the station; the hub records what the edge
// recorded, with the edge's positions and hashes as evidence, and records
// as irregularities on the election what only it can see.

// DelegateStation hands a station to edge ledger Edge. Recorded at the hub
// only; the station must exist and not be delegated already.
type DelegateStation struct {
	StationAddr
	Edge string `json:"edge"`
}

// CommandType returns "delegate_station".
func (DelegateStation) CommandType() string { return "delegate_station" }

func (c DelegateStation) decideStation(s *Station, env Env) ([]Event, error) {
	if err := s.mustExist(); err != nil {
		return nil, err
	}
	if !validEdgeID(c.Edge) {
		return nil, invalid("invalid_edge", "边缘节点编号无效(1-32个字母、数字、'-'或'_')", "the edge ID must be 1-32 letters, digits, '-' or '_'")
	}
	if s.Edge != "" {
		return nil, conflict("station_delegated", "该投票站已交由边缘节点 "+s.Edge+" 记录", "the station is already delegated to edge "+s.Edge)
	}
	return one(StationDelegated{Edge: c.Edge, At: env.Now})
}

// ReclaimStation hands a delegated station back to the hub. Recorded at
// the hub only; Edge must be the edge the station is delegated to. What
// the edge recorded before it learns of the reclaim still reaches the
// hub, marked as an irregularity.
type ReclaimStation struct {
	StationAddr
	Edge string `json:"edge"`
}

// CommandType returns "reclaim_station".
func (ReclaimStation) CommandType() string { return "reclaim_station" }

func (c ReclaimStation) decideStation(s *Station, env Env) ([]Event, error) {
	if err := s.mustExist(); err != nil {
		return nil, err
	}
	if s.Edge == "" || s.Edge != c.Edge {
		return nil, conflict("station_not_delegated", "该投票站未交由边缘节点 "+c.Edge+" 记录", "the station is not delegated to edge "+c.Edge)
	}
	return one(StationReclaimed{Edge: c.Edge, At: env.Now})
}

// validEdgeID reports whether id can name an edge: it becomes part of a
// JetStream domain and stream name.
func validEdgeID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		ok := c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// ValidEdgeID reports whether id may name an edge ledger: 1 to 32 ASCII
// letters, digits, '-' or '_'.
func ValidEdgeID(id string) bool { return validEdgeID(id) }

// checkOwner refuses a command that the node deciding it may not record:
// the hub (env.Node "") refuses writes to a station delegated to an edge,
// and an edge records only commands on the stations delegated to it.
// Delegating and reclaiming are the hub's.
func checkOwner(st State, cmd Command, env Env) error {
	s, isStation := st.(*Station)
	switch cmd.(type) {
	case DelegateStation, ReclaimStation:
		if env.Node != "" {
			return conflict("hub_only", "只有县级中心节点可以交出或收回投票站", "only the hub delegates or reclaims a station")
		}
		return nil
	}
	switch {
	case env.Node == "" && isStation && s.Edge != "":
		return conflict("station_delegated", "该投票站已交由边缘节点 "+s.Edge+" 记录，中心节点不接受其写入", "the station is delegated to edge "+s.Edge+"; the hub does not record its commands")
	case env.Node != "" && (!isStation || s.Edge != env.Node):
		return conflict("not_delegated_here", "本边缘节点("+env.Node+")只记录交给它的投票站", "this edge ("+env.Node+") records only the stations delegated to it")
	}
	return nil
}

// StationDelegated records that a station was handed to edge Edge.
type StationDelegated struct {
	Edge string    `json:"edge"`
	At   time.Time `json:"at"`
}

// EventType returns "station.delegated".
func (StationDelegated) EventType() string { return "station.delegated" }

func (ev StationDelegated) applyStation(s *Station) { s.Edge = ev.Edge }

// StationReclaimed records that a station was handed back to the hub.
type StationReclaimed struct {
	Edge string    `json:"edge"`
	At   time.Time `json:"at"`
}

// EventType returns "station.reclaimed".
func (StationReclaimed) EventType() string { return "station.reclaimed" }

func (ev StationReclaimed) applyStation(s *Station) { s.Edge = "" }

// EdgeRecorded is the hub's evidence of one message of an edge's log: the
// edge's stream sequence, the position of its first event in the edge's
// global order and the hashes of its events (the leaves of the edge's
// Merkle tree). When Copied is false the edge's events follow it in the
// same hub message, with their types and payloads unchanged; when true the
// message was the hub's own history copied to the edge (evidence only).
type EdgeRecorded struct {
	Edge      string   `json:"edge"`
	Seq       uint64   `json:"seq"`
	Position  uint64   `json:"position"`
	Hashes    []string `json:"hashes"`
	CommandID string   `json:"command_id"`
	Copied    bool     `json:"copied,omitempty"`
}

// EventType returns "station.edge_recorded".
func (EdgeRecorded) EventType() string { return "station.edge_recorded" }

func (ev EdgeRecorded) applyStation(s *Station) {
	s.EdgeSeq, s.EdgeNext = ev.Seq, ev.Position+uint64(len(ev.Hashes))
}

// EdgeCheckpoint is an edge's signed checkpoint (C2SP tlog-checkpoint)
// kept by the hub once the edge's leaves up to Size are in the hub's log
// (EdgeRecorded) and their root is Root. Key is the edge's note verifier
// key.
type EdgeCheckpoint struct {
	Edge string `json:"edge"`
	Size uint64 `json:"size"`
	Root string `json:"root"`
	Note string `json:"note"`
	Key  string `json:"key"`
}

// EventType returns "station.edge_checkpoint".
func (EdgeCheckpoint) EventType() string { return "station.edge_checkpoint" }

func (ev EdgeCheckpoint) applyStation(s *Station) { s.EdgeCheckpoint = ev.Size }

// Codes of an [EdgeIrregularity].
const (
	// IrregularLateCheckIn: a check-in of a round the county had already
	// declared (or of an earlier round, or of a voided election).
	IrregularLateCheckIn = "late_check_in"
	// IrregularOtherStation: the hub's roll puts the voter at another station.
	IrregularOtherStation = "voter_of_other_station"
	// IrregularNotOnRoll: the hub's roll does not have the voter.
	IrregularNotOnRoll = "not_on_roll_at_hub"
	// IrregularTwoStations: the voter was issued a ballot at two stations in one round.
	IrregularTwoStations = "checked_in_at_two_stations"
	// IrregularAfterReclaim: the edge recorded on a station the hub had taken back.
	IrregularAfterReclaim = "recorded_after_reclaim"
)

// EdgeIrregularity records on the election a conflict that only the hub
// could see in what an edge recorded, for the election committee to
// decide. The edge's events stay recorded; nothing is dropped and nothing
// wins silently. RollNo and Round name the check-in concerned (never a
// ballot); Position is the event's position in the edge's log.
type EdgeIrregularity struct {
	Edge     string `json:"edge"`
	Station  string `json:"station_id"`
	Position uint64 `json:"edge_position"`
	Code     string `json:"code"`
	RollNo   int    `json:"roll_no,omitempty"`
	Round    int    `json:"round,omitempty"`
	Other    string `json:"other_station_id,omitempty"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
}

// EventType returns "election.edge_irregularity".
func (EdgeIrregularity) EventType() string { return "election.edge_irregularity" }

func (ev EdgeIrregularity) applyElection(e *Election) {
	e.EdgeIrregularities++
	if ev.RollNo != 0 && ev.Code != IrregularLateCheckIn {
		if e.CheckedInAway == nil {
			e.CheckedInAway = map[int]AwayCheckIn{}
		}
		e.CheckedInAway[ev.RollNo] = AwayCheckIn{Station: ev.Station, Round: ev.Round}
	}
}

// AwayCheckIn is a check-in an edge recorded at a station other than the
// one the hub's roll names for the voter.
type AwayCheckIn struct {
	Station string
	Round   int
}
