package scenario

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"ledger/app"
	"ledger/domain"
)

// rollBatch is how many voters one register_voters command carries.
const rollBatch = 2000

// job is a sequence of commands recorded one after the other by one
// recorder; the jobs of a phase may run concurrently.
type job struct {
	steps iter.Seq[Step]
}

// phase is a set of jobs that may run concurrently; a phase starts when
// the one before it has ended.
type phase []job

// Job tags (with the round and station) name a job's command-ID stream.
const (
	jobPrep = iota + 1
	jobStation
	jobDeclare
	jobConsult
	jobFraud
	jobInspect
	jobCount
)

// emitter builds the steps of one job, with deterministic command IDs.
type emitter struct {
	p     *electionPlan
	tag   uint64
	n     uint64
	actor string
	yield func(Step) bool
	ok    bool
}

func (p *electionPlan) emitter(yield func(Step) bool, kind, round, station int, actor string) *emitter {
	return &emitter{p: p, tag: uint64(kind)<<24 | uint64(round)<<12 | uint64(station), actor: actor, yield: yield, ok: true}
}

// emit yields cmd at t; once the consumer stops, it does nothing.
func (e *emitter) emit(cmd domain.Command, t time.Time, want string) bool {
	return e.emitRound(cmd, t, want, 0)
}

func (e *emitter) emitRound(cmd domain.Command, t time.Time, want string, round int) bool {
	if !e.ok {
		return false
	}
	e.n++
	minted := t
	if e.p.live {
		minted = time.Now()
	}
	id := newULID(e.p.seed, minted, uint64(e.p.u.Index)<<32|e.tag, e.n)
	e.ok = e.yield(Step{Cmd: cmd, WantError: want, Round: round,
		Meta: app.Meta{CommandID: id, Actor: e.actor, OccurredAt: t}})
	return e.ok
}

func at(day time.Time, offsetDays, hour, minute int) time.Time {
	return day.AddDate(0, 0, offsetDays).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

func date(t time.Time) domain.Date { return domain.DateOf(t) }

// phases yields the election's phases in order: preparation (and a
// consultation beside it), each round's stations then its declaration,
// and inspections after the result.
func (p *electionPlan) phases() iter.Seq[phase] {
	return func(yield func(phase) bool) {
		first := phase{{steps: p.prepSteps}}
		if p.consultation {
			first = append(first, job{steps: p.consultSteps})
		}
		if !yield(first) {
			return
		}
		for i, rp := range p.rounds {
			var ph, count phase
			for k, st := range p.stations {
				ph = append(ph, job{steps: p.stationSteps(rp, k)})
				if !st.mobile {
					count = append(count, job{steps: p.countSteps(rp, k)})
				}
			}
			if !yield(ph) || !yield(count) || !yield(phase{{steps: p.declareSteps(i)}}) {
				return
			}
		}
		var last phase
		if p.fraud {
			last = append(last, job{steps: p.fraudSteps})
		}
		if p.inspection {
			last = append(last, job{steps: p.inspectSteps})
		}
		if len(last) > 0 {
			yield(last)
		}
	}
}

func (p *electionPlan) addr() domain.ElectionAddr {
	return domain.ElectionAddr{ElectionID: p.id, Region: p.u.Region}
}

func (p *electionPlan) stationAddr(k int) domain.StationAddr {
	return domain.StationAddr{StationID: p.stations[k].id, ElectionID: p.id, Region: p.u.Region}
}

// prepSteps: call, roll, objections, nominations, stations, proxies.
func (p *electionPlan) prepSteps(yield func(Step) bool) {
	e := p.emitter(yield, jobPrep, 0, 0, "election_committee:"+string(p.u.Region))
	r := newRand(p.seed, uint64(p.u.Index), tagPrep)
	d, a := p.day, p.addr()
	e.emit(domain.CallElection{ElectionAddr: a, Committee: p.committee, Seats: p.seats, ElectionDay: date(d),
		ElectionCommittee: []string{"主任 " + p.committeeNames[0], "委员 " + p.committeeNames[1], "委员 " + p.committeeNames[2]}}, at(d, -45, 9, 0), "")
	p.registerRoll(e, a)
	for k, st := range p.stations {
		if st.mobile { // a mobile box is counted with the first fixed station (合并计票)
			e.emit(domain.MergeCount{ElectionAddr: a, StationID: st.id, CountWith: p.stations[0].id}, at(d, -26, 9, k), "")
		}
	}
	e.emit(domain.PublishRoll{ElectionAddr: a}, at(d, -25, 9, 0), "")
	for i, id := range p.cands {
		e.emit(domain.NominateCandidate{ElectionAddr: a, CandidateID: id, Name: p.names[id], NominatedBy: nominator(p.u)}, at(d, -24, 9, i), "")
	}
	extra := fmt.Sprintf("c%d", len(p.cands)+1)
	if p.withdrawn {
		e.emit(domain.NominateCandidate{ElectionAddr: a, CandidateID: extra, Name: p.names[extra], NominatedBy: nominator(p.u)}, at(d, -24, 10, 0), "")
	}
	p.objections(e, a, d)
	if p.withdrawn {
		e.emit(domain.WithdrawCandidate{ElectionAddr: a, CandidateID: extra}, at(d, -17, 9, 0), "")
	}
	e.emit(domain.PublishCandidates{ElectionAddr: a}, at(d, -15, 9, 0), "")
	for k, st := range p.stations {
		e.emit(domain.EstablishStation{StationAddr: p.stationAddr(k), Mobile: st.mobile, Approved: st.mobile,
			Place: st.place, Scrutineers: st.scrutineers}, at(d, -14, 9, k), "")
		if st.mobile {
			e.emit(domain.PublishStationVoters{StationAddr: p.stationAddr(k)}, at(d, -13, 9, 0), "")
		}
	}
	p.proxies(e, a, d, r)
	e.emit(domain.PublishProxies{ElectionAddr: a}, at(d, -2, 9, 0), "")
}

func nominator(u Unit) string {
	if u.Community {
		return "residents_joint"
	}
	return "villagers_joint"
}

func (p *electionPlan) registerRoll(e *emitter, a domain.ElectionAddr) {
	batch := make([]domain.VoterEntry, 0, rollBatch)
	flush := func(i int) {
		e.emit(domain.RegisterVoters{ElectionAddr: a, Voters: batch}, at(p.day, -45, 10, i), "")
		batch = make([]domain.VoterEntry, 0, rollBatch)
	}
	n := 0
	for _, st := range p.stations {
		for roll := st.lo; roll <= st.hi; roll++ {
			batch = append(batch, domain.VoterEntry{RollNo: roll, StationID: st.id})
			if len(batch) == rollBatch {
				flush(n)
				n++
			}
		}
	}
	if len(batch) > 0 {
		flush(n)
	}
}

func (p *electionPlan) objections(e *emitter, a domain.ElectionAddr, d time.Time) {
	if p.objection {
		e.emit(domain.FileRollObjection{ElectionAddr: a, ObjectionID: "obj-1", Claim: domain.ClaimAdd,
			RollNo: p.voters + 1, StationID: p.stations[0].id}, at(d, -23, 9, 0), "")
		e.emit(domain.FileRollObjection{ElectionAddr: a, ObjectionID: "obj-2", Claim: domain.ClaimRemove,
			RollNo: 1 + p.voters/2}, at(d, -23, 10, 0), "")
		e.emit(domain.DecideRollObjection{ElectionAddr: a, ObjectionID: "obj-1", Upheld: true}, at(d, -21, 9, 0), "")
		e.emit(domain.DecideRollObjection{ElectionAddr: a, ObjectionID: "obj-2", Upheld: false}, at(d, -21, 9, 30), "")
	}
	if p.lateObjection {
		e.emit(domain.FileRollObjection{ElectionAddr: a, ObjectionID: "obj-late", Claim: domain.ClaimRemove,
			RollNo: 2}, at(d, -18, 9, 0), "objection_too_late")
	}
}

// isPrincipal reports whether roll gives a proxy to roll+1 (pairs in a
// fixed station: a household member who will be away on election day).
func (p *electionPlan) isPrincipal(st stationPlan, roll int) bool {
	return !st.mobile && (roll-st.lo)%2 == 0 && roll+1 <= st.hi &&
		int(mix(p.seed^uint64(p.u.Index)<<24^uint64(roll))%1000) < p.proxyPct
}

var relations = []domain.Relation{domain.RelationSpouse, domain.RelationParent, domain.RelationChild,
	domain.RelationSibling, domain.RelationGrandchild}

func (p *electionPlan) proxies(e *emitter, a domain.ElectionAddr, d time.Time, r *rand.Rand) {
	n, bad := 0, p.badProxy
	for _, st := range p.stations {
		for roll := st.lo; roll <= st.hi; roll++ {
			if !p.isPrincipal(st, roll) {
				continue
			}
			t := at(d, -12+min(n/20, 9), 9, n%20*10)
			e.emit(domain.RegisterProxy{ElectionAddr: a, PrincipalRollNo: roll, HolderRollNo: roll + 1,
				Relation: relations[r.IntN(len(relations))], Written: true}, t, "")
			n++
			if bad && roll+2 <= p.voters {
				e.emit(domain.RegisterProxy{ElectionAddr: a, PrincipalRollNo: roll + 1, HolderRollNo: roll + 2,
					Relation: domain.RelationSpouse, Written: true}, t.Add(time.Minute), "redelegation")
				bad = false
			}
		}
	}
}

// checkInTime draws a moment of election day: a morning peak, a midday
// dip, an afternoon peak (polls 07:30-17:00); a mobile box goes round
// from 08:30 to 15:30.
func checkInTime(r *rand.Rand, day time.Time, mobile bool) time.Time {
	var h float64
	switch x := r.Float64(); {
	case mobile:
		h = 8.5 + 7*r.Float64()
	case x < 0.52:
		h = 9.2 + 0.9*r.NormFloat64()
	case x < 0.62:
		h = 11.5 + 2*r.Float64()
	default:
		h = 14.8 + 1*r.NormFloat64()
	}
	h = min(max(h, 7.5), 16.98)
	return day.Add(time.Duration(h * float64(time.Hour)))
}

// stationSteps: one round at one station: open, check-ins through the
// day, close, seal. The count follows in countSteps.
func (p *electionPlan) stationSteps(rp *roundPlan, k int) iter.Seq[Step] {
	return func(yield func(Step) bool) {
		st := p.stations[k]
		e := p.emitter(yield, jobStation, rp.round, k, "scrutineer:"+string(p.u.Region))
		r := newRand(p.seed, uint64(p.u.Index), tagStation<<20|uint64(rp.round)<<10|uint64(k))
		sa, d := p.stationAddr(k), rp.day
		e.emit(domain.OpenPolls{StationAddr: sa, Round: rp.round}, at(d, 0, 7, 30), "")
		p.checkIns(e, r, rp, k)
		if r.IntN(4) == 0 {
			e.emit(domain.RecordSpoiledBallots{StationAddr: sa, Round: rp.round, Count: 1 + r.IntN(3)}, at(d, 0, 16, 59), "")
		}
		e.emit(domain.ClosePolls{StationAddr: sa}, at(d, 0, 17, 0), "")
		if st.mobile || r.IntN(3) == 0 {
			e.emit(domain.SealBox{StationAddr: sa, SealNo: fmt.Sprintf("F-%d-%d", k+1, rp.round), SealedBy: st.scrutineers}, at(d, 0, 17, 5), "")
		}
	}
}

// countSteps: the public count of a fixed station's counting unit: the
// mobile boxes counted with it (the first fixed station hosts them) are
// merged first, then their ballots and the station's, mixed, are read
// out, and the count is closed.
func (p *electionPlan) countSteps(rp *roundPlan, k int) iter.Seq[Step] {
	return func(yield func(Step) bool) {
		e := p.emitter(yield, jobCount, rp.round, k, "scrutineer:"+string(p.u.Region))
		r := newRand(p.seed, uint64(p.u.Index), tagCount<<20|uint64(rp.round)<<10|uint64(k))
		sa, d := p.stationAddr(k), rp.day
		order := p.ballotOrder(rp, k)
		for m, st := range p.stations {
			if st.mobile && k == 0 {
				e.emit(domain.MergeBox{StationAddr: sa, BoxID: st.id}, at(d, 0, 17, 20), "")
				order = append(order, p.ballotOrder(rp, m)...)
			}
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		p.ballots(e, r, rp, k, order)
		e.emit(domain.CloseCount{StationAddr: sa, Round: rp.round}, at(d, 0, 21, 0), "")
	}
}

func (p *electionPlan) checkIns(e *emitter, r *rand.Rand, rp *roundPlan, k int) {
	st, n := p.stations[k], rp.issued[k]
	pool := make([]int, 0, st.count())
	for roll := st.lo; roll <= st.hi; roll++ {
		pool = append(pool, roll)
	}
	if st.extra > 0 {
		pool = append(pool, st.extra)
	}
	for i := range n { // partial Fisher-Yates: the first n are who vote
		j := i + r.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	times := make([]time.Time, n)
	for i := range times {
		times[i] = checkInTime(r, rp.day, st.mobile)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	sa := p.stationAddr(k)
	var batch []domain.CheckInItem
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		ok := e.emitRound(domain.CheckIns{StationAddr: sa, CheckIns: batch}, batch[len(batch)-1].At, "", rp.round)
		batch = nil
		return ok
	}
	for i, roll := range pool[:n] {
		c := domain.CheckIn{StationAddr: sa, RollNo: roll, Mode: domain.ModeInPerson}
		switch {
		case st.mobile:
			c.Mode = domain.ModeMobile
		case roll != st.extra && p.isPrincipal(st, roll):
			c.Mode, c.ProxyHolderRollNo = domain.ModeProxy, roll+1
		}
		dup := rp.dup[k] && i == n/2
		if p.batch > 1 {
			batch = append(batch, c.Item(times[i]))
			if (len(batch) == p.batch || dup) && !flush() {
				return
			}
		} else if !e.emitRound(c, times[i], "", rp.round) {
			return
		}
		if dup {
			e.emitRound(c, times[i].Add(time.Minute), "already_checked_in", rp.round)
		}
	}
	flush()
}

// Ballot kinds in a box, besides marked ballots (index >= 0 into the fill).
const (
	ballotBlank = -1 - iota
	ballotUnreadable
	ballotOver
	ballotBadBox
)

var writeIns = []string{"李明", "王芳", "张磊", "刘洋", "陈静"}

// ballotOrder returns the kinds of box k's ballots (see ballotBlank).
func (p *electionPlan) ballotOrder(rp *roundPlan, k int) []int {
	n := rp.ret[k]
	order := make([]int, 0, n)
	if k == rp.boxBad {
		for range n {
			order = append(order, ballotBadBox)
		}
	} else {
		for range rp.blank[k] {
			order = append(order, ballotBlank)
		}
		for range rp.unread[k] {
			order = append(order, ballotUnreadable)
		}
		for range rp.over[k] {
			order = append(order, ballotOver)
		}
		for j := rp.offsets[k]; len(order) < n; j++ {
			order = append(order, j)
		}
	}
	return order
}

// ballots records the ballots of kinds order at station k, as read out.
func (p *electionPlan) ballots(e *emitter, r *rand.Rand, rp *roundPlan, k int, order []int) {
	sa := p.stationAddr(k)
	t := at(rp.day, 0, 17, 30)
	var batch []domain.BallotMarks
	for i, kind := range order {
		b := domain.BallotMarks{}
		switch kind {
		case ballotBlank:
			b.Blank = true
		case ballotUnreadable:
			b.Unreadable = true
		case ballotOver:
			b.Candidates = pick(r, rp.cands, rp.seats+1)
		case ballotBadBox:
			b.Candidates = pick(r, rp.cands, 1+r.IntN(rp.seats))
		default:
			b.Candidates = rp.marks(kind)
			if len(b.Candidates) < rp.seats && r.IntN(100) == 0 {
				b.WriteIns = []string{writeIns[r.IntN(len(writeIns))]}
			}
			b.Blank = len(b.Candidates) == 0 && len(b.WriteIns) == 0
		}
		when := t.Add(time.Duration(i) * 4 * time.Second)
		if p.batch == 1 {
			if !e.emitRound(b.Ballot(sa, rp.round), when, "", rp.round) {
				return
			}
			continue
		}
		if batch = append(batch, b); len(batch) == p.batch || i == len(order)-1 {
			if !e.emitRound(domain.RecordBallots{StationAddr: sa, Round: rp.round, Ballots: batch}, when, "", rp.round) {
				return
			}
			batch = nil
		}
	}
}

// pick returns n distinct candidates in ballot order.
func pick(r *rand.Rand, cands []string, n int) []string {
	idx := r.Perm(len(cands))[:n]
	slices.Sort(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = cands[j]
	}
	return out
}

// declareSteps declares round i's result; a final result is announced,
// certified and sealed; after the last regular round of a recall
// election, the recall and the by-election's call follow.
func (p *electionPlan) declareSteps(i int) iter.Seq[Step] {
	return func(yield func(Step) bool) {
		rp := p.rounds[i]
		e := p.emitter(yield, jobDeclare, rp.round, 0, "election_committee:"+string(p.u.Region))
		a, d := p.addr(), rp.day
		ids := make([]string, len(p.stations))
		for k, st := range p.stations {
			ids[k] = st.id
		}
		e.emit(domain.DeclareResult{ElectionAddr: a, Round: rp.round, StationIDs: ids}, at(d, 0, 21, 30), "")
		if !rp.final {
			return
		}
		e.emit(domain.AnnounceResult{ElectionAddr: a}, at(d, 0, 21, 40), "")
		e.emit(domain.CertifyResult{ElectionAddr: a, CertifiedBy: certifier(p.u)}, at(d, 2, 9, 0), "")
		e.emit(domain.SealBallots{ElectionAddr: a, Place: certifier(p.u) + "档案室"}, at(d, 2, 10, 0), "")
		if p.recall && rp.kind != domain.RoundByElection {
			p.recallSteps(e, rp)
		}
	}
}

func certifier(u Unit) string {
	if u.Community {
		return "街道办事处（" + string(u.Township) + "）"
	}
	return "乡镇人民政府（" + string(u.Township) + "）"
}

// recallSteps: a member is recalled by the voters and a by-election is called.
func (p *electionPlan) recallSteps(e *emitter, rp *roundPlan) {
	a, d, reg := p.addr(), p.day, p.registered()
	sig := reg/5 + 1 + reg/50
	e.emit(domain.ProposeRecall{ElectionAddr: a, RecallID: "recall-1", MemberID: rp.elected[0], By: domain.RecallByVoters,
		Signatures: sig, Reason: "长期不履职，村（居）务公开不及时"}, at(d, 120, 9, 0), "")
	cast := reg*6/10 + 1
	e.emit(domain.RecordRecallVote{ElectionAddr: a, RecallID: "recall-1", Cast: cast, For: cast * 7 / 10,
		Against: cast - cast*7/10 - 2}, at(d, 140, 18, 0), "")
	e.emit(domain.CallByElection{ElectionAddr: a, Seats: 1, Day: date(at(d, 170, 0, 0))}, at(d, 140, 19, 0), "")
	e.emit(domain.NominateCandidate{ElectionAddr: a, CandidateID: "b1", Name: p.names["b1"], NominatedBy: nominator(p.u)}, at(d, 141, 9, 0), "")
	e.emit(domain.NominateCandidate{ElectionAddr: a, CandidateID: "b2", Name: p.names["b2"], NominatedBy: nominator(p.u)}, at(d, 141, 10, 0), "")
	e.emit(domain.PublishCandidates{ElectionAddr: a}, at(d, 150, 9, 0), "")
}

var topics = []string{"小区加装电梯", "老旧小区改造方案", "村道硬化及路灯安装", "垃圾分类收集点设置", "停车位规划与收费",
	"村集体经济收益分配", "农田水利设施维修", "冬季清雪责任划分", "文化广场建设", "养老服务站运营"}

// consultSteps: a consultation (社区协商) and its follow-up.
func (p *electionPlan) consultSteps(yield func(Step) bool) {
	r := newRand(p.seed, uint64(p.u.Index), tagConsult)
	t0 := p.day.AddDate(0, 0, 40+r.IntN(60))
	e := p.emitter(yield, jobConsult, 0, 0, "committee_secretary:"+string(p.u.Region))
	a := domain.ConsultationAddr{ConsultationID: newULID(p.seed, t0, uint64(p.u.Index), 2), Region: p.u.Region}
	topic := topics[r.IntN(len(topics))]
	e.emit(domain.ProposeTopic{ConsultationAddr: a, Topic: topic, ProposedBy: domain.ProposerCommittee}, at(t0, 0, 9, 0), "")
	asked := 60 + r.IntN(300)
	e.emit(domain.ConsultResidents{ConsultationAddr: a, Asked: asked, Opinions: asked * 7 / 10, Summary: "多数居民支持，部分居民提出补充意见"}, at(t0, 3, 9, 0), "")
	parts := []domain.ParticipantCount{{Category: "resident", Count: 10 + r.IntN(15)}, {Category: "representative", Count: 3 + r.IntN(3)}}
	if p.u.Community {
		parts = append(parts, domain.ParticipantCount{Category: "owners_committee", Count: 2}, domain.ParticipantCount{Category: "property_company", Count: 1})
	}
	total := 0
	for _, pc := range parts {
		total += pc.Count
	}
	e.emit(domain.DetermineParticipants{ConsultationAddr: a, Participants: parts}, at(t0, 5, 9, 0), "")
	meeting := at(t0, 14, 19, 0)
	e.emit(domain.PublishNotice{ConsultationAddr: a, Content: "协商议题：" + topic, Place: "议事厅", MeetingAt: meeting}, at(t0, 7, 9, 0), "")
	present := total*3/4 + 1
	e.emit(domain.HoldMeeting{ConsultationAddr: a, Present: present}, meeting.Add(20*time.Minute), "")
	e.emit(domain.RecordOpinion{ConsultationAddr: a, Category: "resident", Summary: "赞成，希望尽快实施"}, meeting.Add(40*time.Minute), "")
	e.emit(domain.RecordOpinion{ConsultationAddr: a, Category: "representative", Summary: "建议公开费用明细"}, meeting.Add(50*time.Minute), "")
	e.emit(domain.VoteResolution{ConsultationAddr: a, Text: "通过" + topic + "方案", For: present - 3, Against: 2, Abstain: 1}, meeting.Add(time.Hour), "")
	e.emit(domain.AssignTask{ConsultationAddr: a, TaskID: "t1", Title: "制定实施方案", Owner: "居（村）民委员会", Deadline: date(at(t0, 45, 0, 0))}, at(t0, 16, 9, 0), "")
	e.emit(domain.AssignTask{ConsultationAddr: a, TaskID: "t2", Title: "公示费用明细", Owner: "监督委员会", Deadline: date(at(t0, 60, 0, 0))}, at(t0, 16, 9, 10), "")
	if r.IntN(3) == 0 {
		e.emit(domain.PublishFeedback{ConsultationAddr: a, Content: "进展通报"}, at(t0, 20, 9, 0), "tasks_open")
	}
	e.emit(domain.CompleteTask{ConsultationAddr: a, TaskID: "t1", Note: "方案已制定"}, at(t0, 40, 9, 0), "")
	e.emit(domain.CompleteTask{ConsultationAddr: a, TaskID: "t2", Note: "已公示"}, at(t0, 55, 9, 0), "")
	e.emit(domain.PublishFeedback{ConsultationAddr: a, Content: topic + "已落实，结果已向居民反馈"}, at(t0, 56, 9, 0), "")
}

// finalDay is the day of the election's last regular round (before any by-election).
func (p *electionPlan) finalDay() time.Time {
	d := p.day
	for _, rp := range p.rounds {
		if rp.kind != domain.RoundByElection {
			d = rp.day
		}
	}
	return d
}

// fraudSteps: an inspection finds that the result was won by fraud, and
// the result is voided.
func (p *electionPlan) fraudSteps(yield func(Step) bool) {
	r := newRand(p.seed, uint64(p.u.Index), tagInspect)
	t0 := p.finalDay().AddDate(0, 0, 30)
	e := p.emitter(yield, jobFraud, 0, 0, "supervision:"+string(p.u.Township))
	a := domain.InspectionAddr{InspectionID: newULID(p.seed, t0, uint64(p.u.Index), 3), Region: p.u.Township}
	e.emit(domain.OpenInspection{InspectionAddr: a, Title: "村（居）委会换届选举排查", Scope: domain.Scope{Kind: domain.ScopeElection, ID: p.id, Region: p.u.Region},
		Inspectors: distinctNames(r, 2, "纪检组 ")}, at(t0, 0, 9, 0), "")
	e.emit(domain.AttachEvidence{InspectionAddr: a, EvidenceID: "ev1", Description: "举报材料及询问笔录"}, at(t0, 1, 9, 0), "")
	e.emit(domain.RecordFinding{InspectionAddr: a, FindingID: "f1", Kind: domain.FindingFraud, ElectionID: p.id, ElectionRegion: p.u.Region,
		Summary: "候选人以发放购物卡方式拉票", Evidence: []string{"ev1"}}, at(t0, 10, 9, 0), "")
	e.emit(domain.VoidResult{ElectionAddr: p.addr(), InspectionID: a.InspectionID, InspectionRegion: a.Region, FindingID: "f1",
		Reason: "以贿选手段当选，依法宣布选举无效"}, at(t0, 12, 9, 0), "")
	e.emit(domain.CloseInspection{InspectionAddr: a, Conclusion: "选举无效，责令重新选举"}, at(t0, 12, 10, 0), "")
}

// inspectSteps: a routine inspection of the committee's finances, a
// rectification order, its report and review.
func (p *electionPlan) inspectSteps(yield func(Step) bool) {
	r := newRand(p.seed, uint64(p.u.Index), tagInspect+100)
	t0 := p.finalDay().AddDate(0, 0, 60)
	e := p.emitter(yield, jobInspect, 0, 0, "supervision:"+string(p.u.Township))
	a := domain.InspectionAddr{InspectionID: newULID(p.seed, t0, uint64(p.u.Index), 5), Region: p.u.Township}
	e.emit(domain.OpenInspection{InspectionAddr: a, Title: "村（居）务公开和财务排查整治", Scope: domain.Scope{Kind: domain.ScopeCommittee, ID: p.id, Region: p.u.Region},
		Inspectors: distinctNames(r, 2, "民政所 ")}, at(t0, 0, 9, 0), "")
	e.emit(domain.AttachEvidence{InspectionAddr: a, EvidenceID: "ev1", Description: "财务公开栏照片"}, at(t0, 1, 9, 0), "")
	e.emit(domain.RecordFinding{InspectionAddr: a, FindingID: "f1", Kind: domain.FindingFinance,
		Summary: "季度财务未按时公开", Evidence: []string{"ev1"}}, at(t0, 3, 9, 0), "")
	e.emit(domain.OrderRectification{InspectionAddr: a, OrderID: "o1", FindingID: "f1", Responsible: "居（村）民委员会",
		Deadline: date(at(t0, 33, 0, 0))}, at(t0, 3, 10, 0), "")
	inspector := e.actor
	e.actor = "committee_secretary:" + string(p.u.Region) // the responsible party reports; the inspectors review
	e.emit(domain.ReportRectification{InspectionAddr: a, OrderID: "o1", Report: "已补充公开并建立台账"}, at(t0, 20, 9, 0), "")
	e.actor = inspector
	e.emit(domain.ReviewRectification{InspectionAddr: a, OrderID: "o1", Accepted: true, Note: "同意"}, at(t0, 22, 9, 0), "")
	e.emit(domain.CloseInspection{InspectionAddr: a, Conclusion: "已整改到位"}, at(t0, 22, 10, 0), "")
}
