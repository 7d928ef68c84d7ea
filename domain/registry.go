package domain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
)

// allEvents holds one zero value of every event type.
var allEvents = []Event{
	ElectionCalled{}, VotersRegistered{}, RollPublished{}, RollObjectionFiled{}, RollObjectionDecided{},
	CandidateNominated{}, CandidateWithdrawn{}, CandidatesPublished{}, ProxyRegistered{}, ProxiesPublished{},
	RoundDeclared{}, RoundStarted{}, ResultAnnounced{}, ResultCertified{}, BallotsSealed{}, ElectionVoided{},
	RecallProposed{}, RecallVoted{}, MemberRemoved{}, ByElectionCalled{}, SupervisorAppointed{}, ReviewRecorded{},
	StationEstablished{}, StationVotersPublished{}, PollsOpened{}, VoterCheckedIn{}, PollsClosed{}, BoxSealed{},
	BallotRecorded{}, SpoiledRecorded{}, CountClosed{}, CountMerged{}, BoxMerged{},
	StationDelegated{}, StationReclaimed{}, EdgeRecorded{}, EdgeCheckpoint{}, EdgeIrregularity{},
	TopicProposed{}, ResidentsConsulted{}, ParticipantsDetermined{}, NoticePublished{}, MeetingHeld{},
	OpinionRecorded{}, ResolutionVoted{}, ConsultationPostponed{}, TaskAssigned{}, TaskCompleted{}, FeedbackPublished{},
	MeetingRescheduled{}, PublicationPosted{}, OutcomeReviewed{}, FraudFindingFlagged{}, FraudFindingCleared{},
	InspectionOpened{}, EvidenceAttached{}, FindingRecorded{}, RectificationOrdered{}, RectificationReported{},
	RectificationReviewed{}, MemberDisqualified{}, InspectionClosed{},
	ProfileRegistered{}, RegionsRecorded{},
}

// allCommands holds one zero value of every command type.
var allCommands = []Command{
	CallElection{}, RegisterVoters{}, PublishRoll{}, FileRollObjection{}, DecideRollObjection{},
	NominateCandidate{}, WithdrawCandidate{}, PublishCandidates{}, RegisterProxy{}, PublishProxies{},
	DeclareResult{}, AnnounceResult{}, CertifyResult{}, SealBallots{}, VoidResult{}, ProposeRecall{},
	RecordRecallVote{}, CallByElection{}, VacateSeat{}, AppointSupervisor{}, RecordDemocraticReview{},
	EstablishStation{}, PublishStationVoters{}, OpenPolls{}, CheckIn{}, CheckIns{}, ClosePolls{}, SealBox{},
	RecordBallot{}, RecordBallots{}, RecordSpoiledBallots{}, CloseCount{}, MergeCount{}, MergeBox{},
	DelegateStation{}, ReclaimStation{},
	ProposeTopic{}, ConsultResidents{}, DetermineParticipants{}, PublishNotice{}, HoldMeeting{},
	RecordOpinion{}, VoteResolution{}, PostponeConsultation{}, AssignTask{}, CompleteTask{}, PublishFeedback{},
	RescheduleMeeting{}, PostPublication{}, ReviewOutcome{}, FlagFraudFinding{}, ClearFraudFinding{},
	OpenInspection{}, AttachEvidence{}, RecordFinding{}, OrderRectification{}, ReportRectification{},
	ReviewRectification{}, DisqualifyMember{}, CloseInspection{},
	RegisterProfile{}, RecordRegions{},
}

var (
	eventDecoders   = map[string]func([]byte) (Event, error){}
	commandDecoders = map[string]func([]byte) (Command, error){}
)

func init() {
	slices.SortFunc(allEvents, func(a, b Event) int { return cmp.Compare(a.EventType(), b.EventType()) })
	slices.SortFunc(allCommands, func(a, b Command) int { return cmp.Compare(a.CommandType(), b.CommandType()) })
	for _, ev := range allEvents {
		eventDecoders[ev.EventType()] = eventDecoderFor(ev)
	}
	for _, c := range allCommands {
		commandDecoders[c.CommandType()] = commandDecoderFor(c)
	}
}

// EventTypes returns one zero value of every event type, sorted by
// EventType. The slice is a fresh copy.
func EventTypes() []Event { return slices.Clone(allEvents) }

// CommandTypes returns one zero value of every command type, sorted by
// CommandType. The slice is a fresh copy.
func CommandTypes() []Command { return slices.Clone(allCommands) }

// DecodeEvent decodes a JSON payload of the given event type (schema version
// [SchemaVersion]). Unknown fields, trailing data and unknown types are errors
// (*Error with code "invalid_json" or "unknown_event").
func DecodeEvent(eventType string, payload []byte) (Event, error) {
	dec, ok := eventDecoders[eventType]
	if !ok {
		return nil, invalid("unknown_event", "未知的事件类型", "unknown event type")
	}
	return dec(payload)
}

// DecodeCommand decodes a JSON command body of the given command type.
// Unknown fields and trailing data are rejected with code "invalid_json",
// unknown types with "unknown_command". The result is not validated: Decide
// does that.
func DecodeCommand(commandType string, body []byte) (Command, error) {
	dec, ok := commandDecoders[commandType]
	if !ok {
		return nil, invalid("unknown_command", "未知的命令类型", "unknown command type")
	}
	return dec(body)
}

func eventDecoderFor(ev Event) func([]byte) (Event, error) {
	t := reflect.TypeOf(ev)
	return func(b []byte) (Event, error) {
		p := reflect.New(t)
		if err := strictJSON(b, p.Interface()); err != nil {
			return nil, err
		}
		return p.Elem().Interface().(Event), nil
	}
}

func commandDecoderFor(c Command) func([]byte) (Command, error) {
	t := reflect.TypeOf(c)
	return func(b []byte) (Command, error) {
		p := reflect.New(t)
		if err := strictJSON(b, p.Interface()); err != nil {
			return nil, err
		}
		return p.Elem().Interface().(Command), nil
	}
}

func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return invalid("invalid_json", "JSON格式错误: "+err.Error(), "malformed JSON: "+err.Error())
	}
	if d.More() {
		return invalid("invalid_json", "JSON后有多余内容", "trailing data after the JSON value")
	}
	return nil
}
