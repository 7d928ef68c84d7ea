package domain

import "time"

// StationPhase is where a polling station is in its current round.
type StationPhase string

// Phases of a station's round, in order.
const (
	StationReady   StationPhase = "ready"   // established, polls not open (or the last round's count is closed)
	StationOpen    StationPhase = "open"    // ballots are issued
	StationClosed  StationPhase = "closed"  // polls closed; the public count may run
	StationSealed  StationPhase = "sealed"  // box sealed (e.g. a mobile box carried to the count); the count may run
	StationCounted StationPhase = "counted" // the round's count is closed
)

// Tally is the count of one round at one station: numbers only, never a
// link from a voter to a ballot.
type Tally struct {
	Issued     int            // check-ins (ballots issued)
	Returned   int            // ballots counted
	Spoiled    int            // ballots spoiled and replaced during voting
	Blank      int            // blank ballots
	Invalid    int            // unreadable or over-marked ballots
	Votes      map[string]int // candidate ID -> votes
	WriteIns   map[string]int // write-in name -> votes
	Closed     bool           // the count is closed
	BoxInvalid bool           // more returned than issued: this box's vote is invalid
	CountWith  string         // the station this box's ballots are counted with in this round ("": its own)
	Merged     []string       // boxes merged into this station's count, in order
}

// Station is the state of one polling station or mobile ballot box. The
// caller owns it (see [State]).
type Station struct {
	ID          string
	Region      Region
	ElectionID  string
	Established bool

	Mobile             bool
	Place              string
	Scrutineers        []string
	ElectionDay        Date
	VoterListPublished bool
	VoterCount         int

	Phase      StationPhase
	PhaseAt    time.Time // when the polls last opened, closed or the box was sealed
	Round      int
	CountWith  string          // the station this box is counted with in the current round ("": its own count)
	Seats      int             // seats of the current round: a ballot marking more is invalid
	Candidates map[string]bool // candidates of the current round
	CheckedIn  map[int]int     // roll number -> last round the voter was issued a ballot
	Tallies    map[int]*Tally  // by round

	Edge           string // the edge ledger the station is delegated to; "" the hub
	EdgeSeq        uint64 // the edge's last message recorded at the hub (EdgeRecorded)
	EdgeNext       uint64 // the next position of the edge's log the hub expects
	EdgeCheckpoint uint64 // the size of the edge's latest checkpoint kept at the hub
}

// Kind returns KindStation.
func (*Station) Kind() AggregateKind { return KindStation }

// tally returns the tally of round r, creating it if a log lacks its
// polls_opened event (so that Evolve never panics).
func (s *Station) tally(r int) *Tally {
	t := s.Tallies[r]
	if t == nil {
		t = &Tally{Votes: map[string]int{}, WriteIns: map[string]int{}}
		s.Tallies[r] = t
	}
	return t
}

// StationEstablished records a polling station or an approved mobile ballot box.
type StationEstablished struct {
	ElectionID  string   `json:"election_id"`
	Mobile      bool     `json:"mobile"`
	Place       string   `json:"place"`
	Scrutineers []string `json:"scrutineers"`
	ElectionDay Date     `json:"election_day"`
}

// EventType returns "station.established".
func (StationEstablished) EventType() string { return "station.established" }

func (ev StationEstablished) applyStation(s *Station) {
	s.Established, s.ElectionID, s.Mobile, s.Place = true, ev.ElectionID, ev.Mobile, ev.Place
	s.Scrutineers, s.ElectionDay, s.Phase = ev.Scrutineers, ev.ElectionDay, StationReady
	s.CheckedIn, s.Tallies = map[int]int{}, map[int]*Tally{}
}

// StationVotersPublished records that the list of a station's voters (by
// roll number) was published, as a mobile box requires.
type StationVotersPublished struct {
	Voters int  `json:"voters"`
	On     Date `json:"on"`
}

// EventType returns "station.voters_published".
func (StationVotersPublished) EventType() string { return "station.voters_published" }

func (ev StationVotersPublished) applyStation(s *Station) {
	s.VoterListPublished, s.VoterCount = true, ev.Voters
}

// PollsOpened opens the polls of a round, with the round's seats and
// candidates, and the station whose count includes this box (CountWith,
// empty when the station counts its own ballots).
type PollsOpened struct {
	Round      int       `json:"round"`
	Seats      int       `json:"seats"`
	Candidates []string  `json:"candidates"`
	CountWith  string    `json:"count_with,omitempty"`
	At         time.Time `json:"at"`
}

// EventType returns "station.polls_opened".
func (PollsOpened) EventType() string { return "station.polls_opened" }

func (ev PollsOpened) applyStation(s *Station) {
	s.Phase, s.Round, s.Seats, s.PhaseAt = StationOpen, ev.Round, ev.Seats, ev.At
	s.CountWith = ev.CountWith
	s.Candidates = make(map[string]bool, len(ev.Candidates))
	for _, c := range ev.Candidates {
		s.Candidates[c] = true
	}
	s.tally(ev.Round).CountWith = ev.CountWith
}

// Check-in modes.
const (
	ModeInPerson = "in_person"  // at a fixed station
	ModeProxy    = "proxy"      // by a registered proxy holder, at a fixed station
	ModeMobile   = "mobile_box" // at a mobile ballot box
)

// VoterCheckedIn records that a ballot was issued to roll number RollNo.
// It says nothing about the ballot.
type VoterCheckedIn struct {
	Round       int       `json:"round"`
	RollNo      int       `json:"roll_no"`
	Mode        string    `json:"mode"`
	ProxyHolder int       `json:"proxy_holder_roll_no,omitempty"`
	At          time.Time `json:"at"`
}

// EventType returns "station.voter_checked_in".
func (VoterCheckedIn) EventType() string { return "station.voter_checked_in" }

func (ev VoterCheckedIn) applyStation(s *Station) {
	s.CheckedIn[ev.RollNo] = ev.Round
	s.tally(ev.Round).Issued++
}

// PollsClosed closes the polls of a round.
type PollsClosed struct {
	Round int       `json:"round"`
	At    time.Time `json:"at"`
}

// EventType returns "station.polls_closed".
func (PollsClosed) EventType() string { return "station.polls_closed" }

func (ev PollsClosed) applyStation(s *Station) { s.Phase, s.PhaseAt = StationClosed, ev.At }

// BoxSealed records that the closed box was sealed by the scrutineers.
type BoxSealed struct {
	Round    int       `json:"round"`
	SealNo   string    `json:"seal_no"`
	SealedBy []string  `json:"sealed_by"`
	At       time.Time `json:"at"`
}

// EventType returns "station.box_sealed".
func (BoxSealed) EventType() string { return "station.box_sealed" }

func (ev BoxSealed) applyStation(s *Station) { s.Phase, s.PhaseAt = StationSealed, ev.At }

// BallotRecorded is one ballot read out in the public count. It names the
// box (the aggregate) and the marks, never a voter.
type BallotRecorded struct {
	Round      int      `json:"round"`
	Candidates []string `json:"candidates,omitempty"`
	WriteIns   []string `json:"write_ins,omitempty"`
	Blank      bool     `json:"blank,omitempty"`
	Unreadable bool     `json:"unreadable,omitempty"`
	Invalid    bool     `json:"invalid,omitempty"` // unreadable, or more marks than seats
}

// EventType returns "station.ballot_recorded".
func (BallotRecorded) EventType() string { return "station.ballot_recorded" }

func (ev BallotRecorded) applyStation(s *Station) {
	t := s.tally(ev.Round)
	t.Returned++
	switch {
	case ev.Invalid:
		t.Invalid++
	case ev.Blank:
		t.Blank++
	default:
		for _, c := range ev.Candidates {
			t.Votes[c]++
		}
		for _, w := range ev.WriteIns {
			t.WriteIns[w]++
		}
	}
}

// SpoiledRecorded records ballots spoiled and replaced during voting.
type SpoiledRecorded struct {
	Round int `json:"round"`
	Count int `json:"count"`
}

// EventType returns "station.spoiled_recorded".
func (SpoiledRecorded) EventType() string { return "station.spoiled_recorded" }

func (ev SpoiledRecorded) applyStation(s *Station) { s.tally(ev.Round).Spoiled += ev.Count }

// CountClosed closes a round's count and reconciles the box: BoxInvalid when
// more ballots were returned than issued.
type CountClosed struct {
	Round      int  `json:"round"`
	Issued     int  `json:"issued"`
	Returned   int  `json:"returned"`
	Spoiled    int  `json:"spoiled"`
	Blank      int  `json:"blank"`
	Invalid    int  `json:"invalid"`
	BoxInvalid bool `json:"box_invalid"`
}

// EventType returns "station.count_closed".
func (CountClosed) EventType() string { return "station.count_closed" }

func (ev CountClosed) applyStation(s *Station) {
	t := s.tally(ev.Round)
	t.Closed, t.BoxInvalid = true, ev.BoxInvalid
	s.Phase = StationCounted
}
