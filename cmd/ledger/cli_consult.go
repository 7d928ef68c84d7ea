package main

import (
	"github.com/spf13/cobra"
)

func newConsultationCmd(g *globals) *cobra.Command {
	a := &apiFlags{g: g}
	cmd := groupCmd("consultation", "Record a community consultation (社区协商): topic, participants, notice, meeting, vote, follow-up",
		`consultation records a community consultation on a running server, in the order of
the 2015 guidelines:

  propose → consult-residents → participants → notice (reschedule) → meeting →
  opinion → vote (or postpone, then notice again) → assign-task →
  complete-task → feedback → review-outcome; post records each 公开栏 posting

Query them with "ledger query consultations", "ledger query consultation" and
"ledger query resolutions".`)
	a.addConnFlags(cmd)
	a.addWriteFlags(cmd)
	addSpecs(cmd, a, consultationSpecs())
	return cmd
}

func consultationSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "propose", short: "Propose a topic (prints the new consultation's ID)", ct: "propose_topic",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "consultation", key: "consultation_id", usage: "the consultation's ID (a ULID)", gen: true},
				fieldSpec{flag: "topic", key: "topic", usage: "the topic", req: true},
				fieldSpec{flag: "proposed-by", key: "proposed_by", usage: "who proposes, e.g. committee or one_fifth_residents", req: true},
				fieldSpec{flag: "signatures", key: "signatures", fkind: kInt, usage: "signatures of a residents' proposal"},
				fieldSpec{flag: "residents", key: "residents", fkind: kInt, usage: "residents in all (for a residents' proposal)"},
				fieldSpec{flag: "rules", key: "rules", fkind: kJSON, usage: `variants of the rules as JSON, e.g. '{"notice_days":3}'`, def: "{}"})},
		{use: "consult-residents", short: "Record that residents were asked about the topic", ct: "consult_residents",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "asked", key: "asked", fkind: kInt, usage: "residents asked", req: true},
				fieldSpec{flag: "opinions", key: "opinions", fkind: kInt, usage: "opinions received", req: true},
				fieldSpec{flag: "summary", key: "summary", usage: "what they said", req: true})},
		{use: "participants", short: "Determine the participants (counts by category)", ct: "determine_participants",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "participants", key: "participants", fkind: kCounts, req: true,
					usage: "category=count pairs, e.g. resident=14,owners_committee=3,property_company=1"})},
		{use: "notice", short: "Publish the notice of the meeting (at least 3 days before)", ct: "publish_notice",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "content", key: "content", usage: "what will be discussed", req: true},
				fieldSpec{flag: "place", key: "place", usage: "where", req: true},
				fieldSpec{flag: "meeting-at", key: "meeting_at", fkind: kTime, usage: "when (RFC 3339 or local 2006-01-02T15:04)", req: true})},
		{use: "meeting", short: "Record that the meeting was held", ct: "hold_meeting",
			fields: withAddr(consultationAddr, fieldSpec{flag: "present", key: "present", fkind: kInt, usage: "participants present", req: true})},
		{use: "opinion", short: "Record an opinion given at the meeting", ct: "record_opinion",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "category", key: "category", usage: "the participant category, e.g. resident", req: true},
				fieldSpec{flag: "summary", key: "summary", usage: "the opinion", req: true})},
		{use: "vote", short: "Record the vote on a resolution", ct: "vote_resolution",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "text", key: "text", usage: "the resolution", req: true},
				fieldSpec{flag: "for", key: "for", fkind: kInt, usage: "votes for", req: true},
				fieldSpec{flag: "against", key: "against", fkind: kInt, usage: "votes against", def: "0"},
				fieldSpec{flag: "abstain", key: "abstain", fkind: kInt, usage: "abstentions", def: "0"})},
		{use: "postpone", short: "Postpone the consultation", ct: "postpone_consultation",
			fields: withAddr(consultationAddr, fieldSpec{flag: "reason", key: "reason", usage: "why", req: true})},
		{use: "assign-task", short: "Assign a follow-up task", ct: "assign_task",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "task", key: "task_id", usage: "an ID of your choice for the task", req: true},
				fieldSpec{flag: "title", key: "title", usage: "what is to be done", req: true},
				fieldSpec{flag: "owner", key: "owner", usage: "the organization or role in charge", req: true},
				fieldSpec{flag: "deadline", key: "deadline", usage: "YYYY-MM-DD", req: true})},
		{use: "complete-task", short: "Record that a task was done", ct: "complete_task",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "task", key: "task_id", usage: "the task's ID", req: true},
				fieldSpec{flag: "note", key: "note", usage: "what was done", req: true})},
		{use: "feedback", short: "Publish to residents what was done (反馈)", ct: "publish_feedback",
			fields: withAddr(consultationAddr, fieldSpec{flag: "content", key: "content", usage: "the feedback", req: true})},
		{use: "reschedule", short: "Move a noticed meeting not yet held (a new notice period applies)", ct: "reschedule_meeting",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "meeting-at", key: "meeting_at", fkind: kTime, usage: "the new time (RFC 3339, or 2006-01-02T15:04 in China time)", req: true},
				fieldSpec{flag: "place", key: "place", usage: "the new place (default: the one announced)"},
				fieldSpec{flag: "reason", key: "reason", usage: "why", req: true})},
		{use: "post", short: "Record a posting on the public notice board (公开栏)", ct: "post_publication",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "subject", key: "subject", usage: "notice, resolution, progress or feedback", req: true},
				fieldSpec{flag: "place", key: "place", usage: "where it is posted", req: true},
				fieldSpec{flag: "start", key: "start", usage: "first day on the board, YYYY-MM-DD", req: true},
				fieldSpec{flag: "days", key: "days", fkind: kInt, usage: "days on the board", req: true})},
		{use: "review-outcome", short: "Record the residents' democratic review of the outcome (民主评议)", ct: "review_outcome",
			fields: withAddr(consultationAddr,
				fieldSpec{flag: "satisfied", key: "satisfied", fkind: kInt, usage: "rated satisfied", req: true},
				fieldSpec{flag: "basically-satisfied", key: "basically_satisfied", fkind: kInt, usage: "rated basically satisfied", def: "0"},
				fieldSpec{flag: "dissatisfied", key: "dissatisfied", fkind: kInt, usage: "rated dissatisfied", def: "0"},
				fieldSpec{flag: "summary", key: "summary", usage: "what residents said", req: true})},
	}
}

func newSupervisionCmd(g *globals) *cobra.Command {
	a := &apiFlags{g: g}
	cmd := groupCmd("supervision", "Record supervision actions (监督, 排查整治): inspections, findings, rectification orders",
		`supervision records an inspection on a running server:

  open → evidence → finding → order → report → review → (disqualify) → close

A disqualification vacates the member's seat at once (a follow-up command,
shown in the output); a fraud finding is flagged on its election until the
inspection closes. Whoever reports a rectification may not review it.

Query them with "ledger query supervision"; replay who recorded what with
"ledger query audit-trail".`)
	a.addConnFlags(cmd)
	a.addWriteFlags(cmd)
	addSpecs(cmd, a, supervisionSpecs())
	return cmd
}

func supervisionSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "open", short: "Open an inspection (prints the new inspection's ID)", ct: "open_inspection",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "inspection", key: "inspection_id", usage: "the inspection's ID (a ULID)", gen: true},
				fieldSpec{flag: "title", key: "title", usage: "the title", req: true},
				fieldSpec{flag: "scope-kind", key: "scope.kind", usage: "election, meeting, committee, member or region", req: true},
				fieldSpec{flag: "scope-id", key: "scope.id", usage: "the election's or consultation's ID (none for a region, optional for a committee)"},
				fieldSpec{flag: "scope-region", key: "scope.region", usage: "where the election, consultation or committee is (12 digits), or the region inspected; default: --region"},
				fieldSpec{flag: "scope-member", key: "scope.member_id", usage: "the member's ID (scope member)"},
				fieldSpec{flag: "inspector", key: "inspectors", fkind: kArr, usage: "an inspector", req: true})},
		{use: "evidence", short: "Attach evidence (a recorded event, or a document described)", ct: "attach_evidence",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "evidence", key: "evidence_id", usage: "an ID of your choice for the evidence", req: true},
				fieldSpec{flag: "event", key: "event_id", usage: "a recorded event's ID (checked to exist in the inspection's region)"},
				fieldSpec{flag: "description", key: "description", usage: "what it shows", req: true})},
		{use: "finding", short: "Record a finding", ct: "record_finding",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "finding", key: "finding_id", usage: "an ID of your choice for the finding", req: true},
				fieldSpec{flag: "kind", key: "kind", usage: "fraud, procedure, finance, conduct or other", req: true},
				fieldSpec{flag: "election", key: "election_id", usage: "the election concerned"},
				fieldSpec{flag: "election-region", key: "election_region", usage: "the election's 12-digit region (default: --region)"},
				fieldSpec{flag: "member", key: "member_id", usage: "the member concerned"},
				fieldSpec{flag: "summary", key: "summary", usage: "the finding", req: true},
				fieldSpec{flag: "evidence", key: "evidence", fkind: kList, usage: "evidence IDs (comma-separated)", def: " "})},
		{use: "order", short: "Order a rectification", ct: "order_rectification",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "order", key: "order_id", usage: "an ID of your choice for the order", req: true},
				fieldSpec{flag: "finding", key: "finding_id", usage: "the finding", req: true},
				fieldSpec{flag: "responsible", key: "responsible", usage: "who must rectify", req: true},
				fieldSpec{flag: "deadline", key: "deadline", usage: "YYYY-MM-DD", req: true})},
		{use: "report", short: "Report a rectification", ct: "report_rectification",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "order", key: "order_id", usage: "the order", req: true},
				fieldSpec{flag: "report", key: "report", usage: "what was done", req: true})},
		{use: "review", short: "Review a reported rectification", ct: "review_rectification",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "order", key: "order_id", usage: "the order", req: true},
				fieldSpec{flag: "accepted", key: "accepted", fkind: kBool, usage: "the rectification is accepted", def: "false"},
				fieldSpec{flag: "note", key: "note", usage: "the reviewer's note", req: true})},
		{use: "disqualify", short: "Disqualify a committee member", ct: "disqualify_member",
			fields: withAddr(inspectionAddr,
				fieldSpec{flag: "election", key: "election_id", usage: "the member's election", req: true},
				fieldSpec{flag: "election-region", key: "election_region", usage: "the election's 12-digit region (default: --region)"},
				fieldSpec{flag: "member", key: "member_id", usage: "the member", req: true},
				fieldSpec{flag: "finding", key: "finding_id", usage: "the finding", req: true})},
		{use: "close", short: "Close the inspection", ct: "close_inspection",
			fields: withAddr(inspectionAddr, fieldSpec{flag: "conclusion", key: "conclusion", usage: "the conclusion", req: true})},
	}
}
