package main

import (
	"github.com/spf13/cobra"
)

func newElectionCmd(g *globals) *cobra.Command {
	a := &apiFlags{g: g}
	cmd := groupCmd("election", "Record a committee election as it happens: call, roll, candidates, stations, check-ins, count, result",
		`election records a villagers' or residents' committee election on a running server
(ledger serve), one subcommand per act, in the order of the law:

  call → import-roll → (merge-count) → publish-roll → (object / decide-objection) →
  nominate → publish-candidates → proxy → publish-proxies → establish-station →
  open-polls → check-in → close-polls → (seal-box) → (merge-box) → record-ballot →
  close-count → declare → announce → certify → seal-ballots

Ballots are counted per counting unit of at least 10 registered voters: a mobile
box, or a smaller station, is counted with a fixed station (merge-count before the
roll is published; merge-box brings the closed box into that station's count
before its first ballot is read out).

Every subcommand prints the log positions of what it recorded (--json: the whole
outcome). A refused command exits 3 and shows the rule it breaks, in Chinese and
English. Query the result with "ledger query turnout" and "ledger query results".`)
	a.addConnFlags(cmd)
	a.addWriteFlags(cmd)
	addSpecs(cmd, a, electionSpecs())
	addSpecs(cmd, a, stationSpecs())
	cmd.AddCommand(newImportRollCmd(a))
	recall := groupCmd("recall", "Recall (罢免) a committee member: propose, record the vote", "")
	addSpecs(recall, a, recallSpecs())
	cmd.AddCommand(recall)
	profile := groupCmd("profile", "Register a provincial rules profile (admin only)", `A profile holds a province's rules for one committee kind. Every rule must be at
or stricter than the national floor; a looser rule is refused with rules_below_law.`)
	addSpecs(profile, a, profileSpecs())
	cmd.AddCommand(profile)
	return cmd
}

func profileSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "register", short: "Register a provincial rules profile (prints its ID)", ct: "register_profile",
			fields: []fieldSpec{
				{flag: "profile", key: "profile_id", usage: "the profile's ID (a ULID)", gen: true},
				{flag: "region", key: "region", usage: "the province code (2 digits)", req: true},
				{flag: "name", key: "name", usage: "the profile's name", req: true},
				{flag: "committee", key: "committee", usage: "villagers, residents or supervision", def: "villagers"},
				{flag: "source", key: "source", usage: "the provincial text and articles the rules come from", req: true},
				{flag: "rules", key: "rules", fkind: kJSON, usage: `the rules that differ from the floors, as JSON, e.g. '{"roll_publish_days":25}'`, def: "{}"}},
			example: `  ledger election profile register --region 22 --name "吉林 2021" --source "吉林省村民委员会选举办法 第四条" \
    --rules '{"odd_seats":true}'`},
	}
}

func electionSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "call", short: "Call an election (prints the new election's ID)", ct: "call_election",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "election", key: "election_id", usage: "the election's ID (a ULID)", gen: true},
				fieldSpec{flag: "committee", key: "committee", usage: "villagers, residents or supervision", def: "villagers"},
				fieldSpec{flag: "seats", key: "seats", fkind: kInt, usage: "seats to fill (villagers 3-7, residents 5-9)", req: true},
				fieldSpec{flag: "day", key: "election_day", usage: "election day, YYYY-MM-DD", req: true},
				fieldSpec{flag: "committee-member", key: "election_committee", fkind: kArr, usage: "a member of the election committee (选举委员会)", req: true},
				fieldSpec{flag: "profile", key: "profile", usage: "the rules profile: national, jilin, shanghai-2020, zhejiang-2020, or the ID of a profile an admin registered", def: "national"},
				fieldSpec{flag: "method", key: "method", usage: "how a residents' committee is elected (art. 8): direct, household (one representative a household) or group_representatives (2-3 a residents' group)"}),
			example: `  ledger election call --region 220102001001 --seats 5 --day 2026-05-01 \
    --committee-member "主任 王建国" --committee-member "委员 李秀英" --committee-member "委员 张伟"`},
		{use: "merge-count", short: "Count a mobile box or a small station with a fixed station (合并计票)", ct: "merge_count",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "station", key: "station_id", usage: "the mobile box or small station (a ULID)", req: true},
				fieldSpec{flag: "count-with", key: "count_with", usage: "the fixed station whose count includes it (a ULID)", req: true}),
			example: `  ledger election merge-count --election E --region 220102001001 --station BOX --count-with STATION`},
		{use: "publish-roll", short: "Publish the voter roll (at least 20 days before election day; every counting unit of at least 10 voters)", ct: "publish_roll", fields: electionAddr},
		{use: "object", short: "File an objection to the roll (within 5 days of publication)", ct: "file_roll_objection",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "objection", key: "objection_id", usage: "an ID of your choice for the objection", req: true},
				fieldSpec{flag: "claim", key: "claim", usage: "add or remove", req: true},
				fieldSpec{flag: "roll", key: "roll_no", fkind: kInt, usage: "the roll number concerned", req: true},
				fieldSpec{flag: "station", key: "station_id", usage: "the station of a voter to add"},
				fieldSpec{flag: "household", key: "household", usage: "the household code of a voter to add"},
				fieldSpec{flag: "group", key: "group", usage: "the residents' group of a group representative to add"})},
		{use: "decide-objection", short: "Decide an objection to the roll (within 3 days)", ct: "decide_roll_objection",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "objection", key: "objection_id", usage: "the objection's ID", req: true},
				fieldSpec{flag: "upheld", key: "upheld", fkind: kBool, usage: "the objection is upheld", def: "false"})},
		{use: "nominate", short: "Nominate a candidate", ct: "nominate_candidate",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "candidate", key: "candidate_id", usage: "the candidate's ID on the ballot, e.g. c1", req: true},
				fieldSpec{flag: "name", key: "name", usage: "the candidate's name", req: true},
				fieldSpec{flag: "nominated-by", key: "nominated_by", usage: "who nominated, e.g. villagers_joint"})},
		{use: "withdraw", short: "Withdraw a candidate", ct: "withdraw_candidate",
			fields: withAddr(electionAddr, fieldSpec{flag: "candidate", key: "candidate_id", usage: "the candidate's ID", req: true})},
		{use: "publish-candidates", short: "Publish the list of candidates (more candidates than seats)", ct: "publish_candidates", fields: electionAddr},
		{use: "proxy", short: "Register a written proxy (委托投票) to a near relative on the roll", ct: "register_proxy",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "principal", key: "principal_roll_no", fkind: kInt, usage: "roll number of the voter who delegates", req: true},
				fieldSpec{flag: "holder", key: "holder_roll_no", fkind: kInt, usage: "roll number of the proxy holder", req: true},
				fieldSpec{flag: "relation", key: "relation", usage: "spouse, parent, child, sibling, grandparent, grandchild or other_near_relative", req: true},
				fieldSpec{flag: "written", key: "written", fkind: kBool, usage: "the delegation is in writing (required by law)", def: "false"})},
		{use: "publish-proxies", short: "Publish the list of proxies", ct: "publish_proxies", fields: electionAddr},
		{use: "declare", short: "Declare the result of a round over all its stations", ct: "declare_result",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"},
				fieldSpec{flag: "stations", key: "station_ids", fkind: kList, usage: "every station and mobile box of the round (comma-separated)", req: true})},
		{use: "announce", short: "Announce the result on the spot", ct: "announce_result", fields: electionAddr},
		{use: "certify", short: "Certify the result", ct: "certify_result",
			fields: withAddr(electionAddr, fieldSpec{flag: "by", key: "certified_by", usage: "the certifying body, e.g. 某某街道办事处", req: true},
				fieldSpec{flag: "override-reason", key: "override_reason", usage: "why the result is certified while a fraud finding is open (recorded)"})},
		{use: "seal-ballots", short: "Seal and archive the ballots", ct: "seal_ballots",
			fields: withAddr(electionAddr, fieldSpec{flag: "place", key: "place", usage: "where they are kept", req: true})},
		{use: "void", short: "Void the result after an inspection found fraud", ct: "void_result",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "inspection", key: "inspection_id", usage: "the inspection's ID", req: true},
				fieldSpec{flag: "inspection-region", key: "inspection_region", usage: "the inspection's region", req: true},
				fieldSpec{flag: "finding", key: "finding_id", usage: "the finding of fraud", req: true},
				fieldSpec{flag: "reason", key: "reason", usage: "why", req: true})},
		{use: "by-election", short: "Call a by-election for vacant seats", ct: "call_by_election",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "seats", key: "seats", fkind: kInt, usage: "seats to fill", req: true},
				fieldSpec{flag: "day", key: "day", usage: "the day, YYYY-MM-DD", req: true})},
		{use: "flag-fraud-finding", short: "Flag an open fraud finding on the election (recorded on its own after record_finding; for a retry)", ct: "flag_fraud_finding",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "inspection", key: "inspection_id", usage: "the inspection's ID", req: true},
				fieldSpec{flag: "inspection-region", key: "inspection_region", usage: "the inspection's region", req: true},
				fieldSpec{flag: "finding", key: "finding_id", usage: "the fraud finding", req: true})},
		{use: "clear-fraud-finding", short: "Clear a fraud finding's flag once its inspection is closed (recorded on its own; for a retry)", ct: "clear_fraud_finding",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "inspection", key: "inspection_id", usage: "the inspection's ID", req: true},
				fieldSpec{flag: "inspection-region", key: "inspection_region", usage: "the inspection's region", req: true},
				fieldSpec{flag: "finding", key: "finding_id", usage: "the fraud finding", req: true})},
		{use: "vacate-seat", short: "Vacate the seat of a disqualified member (recorded on its own after disqualify; for a retry)", ct: "vacate_seat",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "member", key: "member_id", usage: "the member's ID", req: true},
				fieldSpec{flag: "inspection", key: "inspection_id", usage: "the inspection's ID", req: true},
				fieldSpec{flag: "inspection-region", key: "inspection_region", usage: "the inspection's region", req: true})},
		{use: "appoint-supervisor", short: "Appoint a member of the supervision committee", ct: "appoint_supervisor",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "member", key: "member_id", usage: "the member's ID", req: true},
				fieldSpec{flag: "committee-election", key: "committee_election_id", usage: "the committee's election ID", req: true},
				fieldSpec{flag: "committee-member", key: "declaration.committee_member", fkind: kBool, usage: "declares being a committee member", def: "false"},
				fieldSpec{flag: "relative-of", key: "declaration.relatives_on_committee", fkind: kList, usage: "member IDs of the committee they are near relatives of", def: " "})},
		{use: "review", short: "Record the annual democratic review of the members", ct: "record_democratic_review",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "year", key: "year", fkind: kInt, usage: "the year", req: true},
				fieldSpec{flag: "ratings", key: "ratings", fkind: kJSON, req: true,
					usage: `ratings as JSON: '[{"member_id":"c1","competent":10,"basically_competent":2,"incompetent":1}]'`})},
	}
}

func stationSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "establish-station", short: "Establish a polling station or mobile ballot box (prints its ID)", ct: "establish_station",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "station", key: "station_id", usage: "the station's ID (a ULID)", gen: true},
				fieldSpec{flag: "mobile", key: "mobile", fkind: kBool, usage: "a mobile ballot box (流动票箱)", def: "false"},
				fieldSpec{flag: "approved", key: "approved", fkind: kBool, usage: "the mobile box was approved", def: "false"},
				fieldSpec{flag: "place", key: "place", usage: "where it is", req: true},
				fieldSpec{flag: "scrutineer", key: "scrutineers", fkind: kArr, usage: "a scrutineer (监票人)", req: true})},
		{use: "publish-station-voters", short: "Publish the list of voters of a mobile box", ct: "publish_station_voters", fields: stationAddr},
		{use: "open-polls", short: "Open the polls of a station", ct: "open_polls",
			fields: withAddr(stationAddr, fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"})},
		{use: "check-in", short: "Check a voter in: a ballot is issued (never linked to the ballot)", ct: "check_in",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "roll", key: "roll_no", fkind: kInt, usage: "the voter's roll number", req: true},
				fieldSpec{flag: "mode", key: "mode", usage: "in_person, proxy or mobile_box (default: proxy with --proxy-holder, else in_person)"},
				fieldSpec{flag: "proxy-holder", key: "proxy_holder_roll_no", fkind: kInt, usage: "roll number of the proxy holder who votes"}),
			fix: func(b map[string]any) {
				if _, ok := b["mode"]; !ok {
					b["mode"] = "in_person"
					if _, proxy := b["proxy_holder_roll_no"]; proxy {
						b["mode"] = "proxy"
					}
				}
			},
			example: `  ledger election check-in --election E --station S --region 220102001001 --roll 17
  ledger election check-in --election E --station S --region 220102001001 --roll 1 --proxy-holder 4`},
		{use: "check-ins", short: "Check in a batch of voters at once, as a station's device uploads them (all or none; more than 500 are sent in parts)", ct: "check_ins", split: "check_ins",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "items", key: "check_ins", fkind: kJSON, req: true,
					usage: `the check-ins as JSON: '[{"roll_no":17,"mode":"in_person","at":"2026-05-01T08:02:00+08:00"}]' ("at" defaults to --occurred-at; above 500 items or 1 MiB, sent as several commands, each all or none)`}),
			example: `  ledger election check-ins --election E --station S --region 220102001001 \
    --items '[{"roll_no":17,"mode":"in_person"},{"roll_no":1,"mode":"proxy","proxy_holder_roll_no":4}]'`},
		{use: "delegate-station", short: "Hand a station to an edge ledger at the polling station (hub only; see docs/edge.md)", ct: "delegate_station",
			fields: withAddr(stationAddr, fieldSpec{flag: "edge", key: "edge", usage: "the edge's ID (its --edge-id, by default its station's ID)", req: true})},
		{use: "reclaim-station", short: "Hand a delegated station back to the hub (hub only)", ct: "reclaim_station",
			fields: withAddr(stationAddr, fieldSpec{flag: "edge", key: "edge", usage: "the edge the station is delegated to", req: true})},
		{use: "close-polls", short: "Close the polls of a station", ct: "close_polls",
			fields: withAddr(stationAddr, fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round (refused with wrong_round if it is not the station's)"})},
		{use: "seal-box", short: "Seal a (mobile) ballot box", ct: "seal_box",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round (refused with wrong_round if it is not the station's)"},
				fieldSpec{flag: "seal-no", key: "seal_no", usage: "the seal's number", req: true},
				fieldSpec{flag: "sealed-by", key: "sealed_by", fkind: kArr, usage: "who sealed it", req: true})},
		{use: "merge-box", short: "Bring a closed box of this station's counting unit into its count (before the first ballot)", ct: "merge_box",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round (refused with wrong_round if it is not the station's)"},
				fieldSpec{flag: "box", key: "box_id", usage: "the mobile box or small station counted here (a ULID)", req: true}),
			example: `  ledger election merge-box --election E --region 220102001001 --station STATION --box BOX`},
		{use: "record-ballot", short: "Record a ballot during the public count", ct: "record_ballot", repeat: true,
			fields: withAddr(stationAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"},
				fieldSpec{flag: "candidates", key: "candidates", fkind: kList, usage: "candidate IDs marked (comma-separated)", def: " "},
				fieldSpec{flag: "write-in", key: "write_ins", fkind: kArr, usage: "a name written in (另选他人)", def: " "},
				fieldSpec{flag: "blank", key: "blank", fkind: kBool, usage: "a blank ballot", def: "false"},
				fieldSpec{flag: "unreadable", key: "unreadable", fkind: kBool, usage: "an unreadable (invalid) ballot", def: "false"}),
			example: `  ledger election record-ballot --election E --station S --region R --candidates c1,c2,c3
  ledger election record-ballot --election E --station S --region R --candidates c1,c2,c3 --repeat 12
  ledger election record-ballot --election E --station S --region R --blank`},
		{use: "record-ballots", short: "Record a tally sheet of ballots during the public count (all or none; more than 500 are sent in parts)", ct: "record_ballots", split: "ballots",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"},
				fieldSpec{flag: "ballots", key: "ballots", fkind: kJSON, req: true,
					usage: `the ballots as JSON: '[{"candidates":["c1","c2"]},{"blank":true},{"unreadable":true}]' (above 500 items or 1 MiB, sent as several commands, each all or none)`}),
			example: `  ledger election record-ballots --election E --station S --region R \
    --ballots '[{"candidates":["c1","c2"]},{"candidates":["c2"],"write_ins":["李明"]},{"blank":true}]'`},
		{use: "record-spoiled", short: "Record spoiled ballots (exchanged before casting)", ct: "record_spoiled_ballots",
			fields: withAddr(stationAddr,
				fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"},
				fieldSpec{flag: "count", key: "count", fkind: kInt, usage: "how many", req: true})},
		{use: "close-count", short: "Close the count of a station's box", ct: "close_count",
			fields: withAddr(stationAddr, fieldSpec{flag: "round", key: "round", fkind: kInt, usage: "the round", def: "1"})},
	}
}

func recallSpecs() []cmdSpec {
	return []cmdSpec{
		{use: "propose", short: "Propose a recall (1/5 of voters or 1/3 of representatives)", ct: "propose_recall",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "recall", key: "recall_id", usage: "an ID of your choice for the recall", req: true},
				fieldSpec{flag: "member", key: "member_id", usage: "the member's ID", req: true},
				fieldSpec{flag: "by", key: "by", usage: "voters or representatives", def: "voters"},
				fieldSpec{flag: "signatures", key: "signatures", fkind: kInt, usage: "signatures gathered", req: true},
				fieldSpec{flag: "representatives", key: "representatives", fkind: kInt, usage: "villagers' representatives in all (with --by representatives)"},
				fieldSpec{flag: "reason", key: "reason", usage: "why", req: true})},
		{use: "vote", short: "Record the recall vote", ct: "record_recall_vote",
			fields: withAddr(electionAddr,
				fieldSpec{flag: "recall", key: "recall_id", usage: "the recall's ID", req: true},
				fieldSpec{flag: "cast", key: "cast", fkind: kInt, usage: "ballots cast", req: true},
				fieldSpec{flag: "for", key: "for", fkind: kInt, usage: "for the recall", req: true},
				fieldSpec{flag: "against", key: "against", fkind: kInt, usage: "against", req: true})},
	}
}
