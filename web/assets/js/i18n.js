// Messages in Chinese (the default) and English. t(key, ...args) fills
// {0}, {1}... with args. The choice is kept in localStorage.

const zh = {
  'app.title': '社区选举与协商台账',
  'nav.turnout': '投票率', 'nav.consultations': '社区协商', 'nav.supervision': '监督整治', 'nav.audit': '审计',
  'nav.signout': '退出', 'nav.menu': '菜单', 'csv.export': '导出CSV', 'election.difference': '差额', 'election.fewerReturned': '收回少于发出', 'election.moreReturned': '收回多于发出', 'election.boxInvalid': '本箱投票无效', 'lang.switch': 'English',
  'role.admin': '管理员', 'role.inspector': '监督检查', 'role.operator': '工作人员', 'role.observer': '观察员',
  'signin.title': '登录', 'signin.token': '访问令牌', 'signin.submit': '登录',
  'signin.help': '请输入管理员发放的令牌。令牌只保存在本标签页（sessionStorage），关闭即清除。',
  'signin.bad': '令牌无效或已吊销。', 'signin.fail': '无法连接服务器：{0}',
  'refused.title': '无权查看', 'refused.text': '您的令牌角色无权查看此页面。', 'refused.api': '服务器答复：{0}',
  'error.load': '加载失败：{0}', 'loading': '加载中…', 'none': '无',
  'region.unknown': '未知地区', 'region.unknownText': '区划代码 {0} 不在区划登记中，也没有记录。',
  'level.1': '省', 'level.2': '市（州）', 'level.3': '县（市、区）', 'level.4': '乡镇（街道）', 'level.5c': '社区', 'level.5v': '村', 'level.5': '社区或村',
  'turnout.title': '投票率', 'turnout.region': '地区', 'turnout.code': '代码', 'turnout.go': '查看',
  'turnout.registered': '登记选民', 'turnout.voted': '参加投票', 'turnout.percent': '投票率', 'turnout.inPerson': '本人投票',
  'turnout.proxy': '委托投票', 'turnout.mobile': '流动票箱', 'turnout.validity': '选举有效（过半数）',
  'turnout.valid': '已过半数', 'turnout.invalid': '未过半数', 'turnout.children': '下级地区',
  'turnout.under': '{0} 个下级地区投票人数尚未过半数', 'turnout.chart': '各下级地区投票率',
  'turnout.live': '选举日签到（每15分钟）', 'turnout.liveOn': '实时更新中 · 日志位置 {0}', 'turnout.liveOff': '实时连接中断，正在重连…',
  'turnout.checkins': '签到人数', 'turnout.cumulative': '累计', 'turnout.elections': '本地选举',
  'turnout.electionId': '选举编号', 'turnout.open': '打开', 'turnout.noList': '列出本地选举需要审计权限；可直接输入选举编号。',
  'turnout.noChildren': '没有下级地区的选举数据。',
  'election.title': '选举', 'election.committee.villagers': '村民委员会', 'election.committee.residents': '居民委员会',
  'election.committee.supervision': '监督委员会', 'election.seats': '应选名额', 'election.stations': '投票站与流动票箱',
  'election.station': '投票站', 'election.mobileBox': '流动票箱', 'election.round': '第{0}轮', 'election.kind.first': '正式选举',
  'election.kind.runoff': '另行选举', 'election.cast': '收回选票', 'election.validBallots': '有效票', 'election.blank': '空白票',
  'election.invalidBallots': '无效票', 'election.roundValid': '本轮有效', 'election.roundInvalid': '本轮无效（投票人数未过半数）',
  'election.candidate': '候选人', 'election.votes': '得票', 'election.share': '得票率', 'election.elected': '当选',
  'election.tied': '票数相等', 'election.remaining': '尚余 {0} 个名额，需另行选举', 'election.writeIn': '另选他人',
  'election.members': '当选成员', 'election.noMembers': '尚无当选成员', 'election.invalidBoxes': '作废票箱（收回多于发出）',
  'election.recon': '票箱核对', 'election.issued': '发出', 'election.returned': '收回', 'election.spoiled': '废票',
  'election.closed': '计票结束', 'election.flags': '异常', 'election.print': '打印结果公告', 'election.report': '选举结果报告单', 'election.stationReport': '清点报告单',
  'report.title': '选举结果报告单', 'report.stationTitle': '投票站选票清点报告单', 'report.print': '打印报告单', 'report.none': '尚无开始计票的轮次，暂无报告单。',
  'report.note': '报告单按存档格式以中文打印，每轮一页；签名栏由监票人、计票人和选举委员会手签。', 'election.announcement': '结果公告',
  'election.announced': '已公告', 'election.certified': '已确认', 'election.sealed': '已封存', 'election.voided': '已宣布无效',
  'election.notFound': '未找到该选举。', 'election.reconRefused': '票箱核对仅对有权限的工作人员显示。',
  'election.kind.rerun': '重新选举', 'election.kind.by_election': '补选',
  'election.phase.voting': '投票中', 'election.phase.counting': '计票中', 'election.phase.declared': '已宣布结果', 'election.phase.voided': '已宣布无效',
  'election.voidReason': '理由：{0}', 'election.declaredOn': '{0}宣布', 'election.liveNote': '尚未宣布结果，以下为实时数字，不是结论。',
  'election.vacant': '尚有 {0} 个名额空缺', 'election.removed': '离任成员', 'election.removedCause': '原因', 'election.removedOn': '日期',
  'election.cause.recall': '罢免', 'election.cause.disqualified': '丧失任职资格', 'election.cause.review': '复核',
  'election.noNotice': '结果宣布后才有公告。', 'election.rerunNeeded': '本轮选举无效，需重新选举', 'election.voidNotice': '选举无效公告',
  'public.title': '公开信息', 'public.note': '无需登录：投票人数、已宣布的选举结果与公告、签名检查点和收据核验。不含选民编号和个人领票时间。', 'public.election': '查看选举结果', 'nav.public': '公开',
  'desk.title': '发票处', 'desk.roll': '选民编号', 'desk.prompt': '输入或扫描选民编号，按回车查询。', 'desk.issued': '本轮已发选票',
  'desk.onList': '本站选民', 'desk.notOpen': '本站尚未开始投票或已结束投票，不能发票。', 'desk.wrongStation': '{0} 号选民不属于本投票站（属于投票站 {1}），请到所属投票站领票。',
  'desk.notOnRoll': '选民名单上没有 {0} 号。', 'desk.already': '{0} 号选民本轮已领取选票，不能重复发票。', 'desk.mayIssue': '{0} 号选民可以领取选票。',
  'desk.selfDone': '{0} 号选民本人已领票。', 'desk.hasProxy': '注意：该选民已书面委托 {0} 号代为投票（已公布）；本人到场可本人领票。',
  'desk.holds': '受托代投（已公布的委托）：{0} 号，确认时一并发票。', 'desk.confirmKey': '按回车确认发票，按 Esc 取消。',
  'desk.recorded': '已登记 {0} 号领票。', 'desk.sending': '正在发送：{0} 条待发送', 'desk.allSent': '✓ 全部已发送到服务器',
  'desk.offline': '⚠ 服务器无法连接：{0} 条已保存在本机，恢复后按顺序发送', 'desk.refusedTitle': '服务器拒绝的登记',
  'count.title': '计票', 'count.writeInName': '另选他人姓名（回车加入）', 'count.current': '当前选票：', 'count.next': '下一张',
  'count.undo': '撤销上一张（未发送时）', 'count.help': '数字键标记候选人，W 另选他人，回车完成一张；B 空白票，X 无效票；退格撤销尚未发送的上一张。',
  'count.projector': '公开显示（投影）', 'count.notClosed': '票箱尚未关闭，不能计票。', 'count.state': '已发送 {0} 张，待发送 {1} 张',
  'count.correctable': '{0} 张尚可更正', 'count.reconcile': '核对并结束计票', 'count.difference': '收回减发出', 'count.moreReturned': '收回选票多于发出选票：本票箱无效。',
  'count.waitQueue': '还有选票未发送，请等待发送完毕。', 'count.close': '结束计票', 'count.closed': '计票已结束：发出 {0}，收回 {1}，废票 {2}',
  'count.publicTitle': '公开计票',
  'audit.title': '审计', 'audit.status': '核验状态', 'audit.checkpoint': '最新签名检查点', 'audit.noCheckpoint': '尚无签名检查点',
  'audit.witnesses': '见证人联署', 'audit.witnessQuorum': '{1} 个见证人中 {0} 个已联署检查点 {2}（需 {3} 个）', 'audit.witnessNoQuorum': '无法获得足够见证人联署：{0}',
  'audit.covers': '检查点覆盖 {0} / {1} 个事件', 'audit.origin': '日志名', 'audit.size': '树大小', 'audit.root': '根哈希',
  'audit.signedBy': '签名', 'audit.lag': '读模型延迟', 'audit.lagOk': '所有读模型已追上日志', 'audit.lagBehind': '{0} 落后 {1} 个事件',
  'audit.timeline': '事件时间线', 'audit.kind': '对象类型', 'audit.id': '对象编号', 'audit.actor': '记录人', 'audit.regionPrefix': '地区代码前缀',
  'audit.search': '查询', 'audit.position': '位置', 'audit.type': '事件', 'audit.aggregate': '对象', 'audit.recordedAt': '记录时间',
  'audit.occurredAt': '发生时间', 'audit.eventId': '事件编号', 'audit.next': '下一页', 'audit.all': '全部日志',
  'audit.receipt': '收据（包含证明）', 'audit.lookup': '查询收据', 'audit.leaf': '叶序号', 'audit.proof': '证明哈希数',
  'audit.verified': '✓ 包含证明有效：事件在签名检查点的默克尔树中', 'audit.notVerified': '✗ 包含证明无效：{0}',
  'audit.sigNote': '签名由 ledger audit verify 核验；浏览器只核验默克尔包含证明。', 'audit.empty': '没有事件。',
  'kind.election': '选举', 'kind.station': '投票站', 'kind.consultation': '协商', 'kind.inspection': '检查',
  'consult.title': '社区协商', 'consult.communities': '各社区', 'consult.count': '协商事项', 'consult.meetings': '会议',
  'consult.resolutions': '决议', 'consult.adopted': '通过', 'consult.openTasks': '待办', 'consult.overdueTasks': '逾期未办',
  'consult.list': '协商事项', 'consult.topic': '议题', 'consult.meetingAt': '会议时间', 'consult.participation': '参会率',
  'consult.outcome': '结果', 'consult.feedback': '反馈已公开', 'consult.tasks': '落实事项', 'consult.deadline': '期限',
  'consult.owner': '责任方', 'consult.overdue': '逾期', 'consult.done': '已办结', 'consult.published': '仅显示已公开的协商结果（您的角色无权查看详情）。',
  'consult.notHeld': '未召开', 'consult.quorate': '达到法定人数', 'consult.rejected': '未通过', 'consult.overdueCount': '{0} 项落实事项逾期',
  'sup.title': '监督整治', 'sup.open': '进行中检查', 'sup.closed': '已结束', 'sup.findings': '发现问题', 'sup.due': '待整改',
  'sup.overdue': '整改逾期', 'sup.inspection': '检查', 'sup.inspectors': '检查人员', 'sup.orders': '整改通知',
  'sup.responsible': '责任方', 'sup.deadline': '整改期限', 'sup.reported': '已报告', 'sup.accepted': '已验收', 'sup.finding': '问题',
  'yes': '是', 'no': '否', 'prev': '上一级',
};

const en = {
  'app.title': 'Community election & consultation ledger',
  'nav.turnout': 'Turnout', 'nav.consultations': 'Consultations', 'nav.supervision': 'Supervision', 'nav.audit': 'Audit',
  'nav.signout': 'Sign out', 'nav.menu': 'Menu', 'csv.export': 'Export CSV', 'election.difference': 'Difference', 'election.fewerReturned': 'fewer returned than issued', 'election.moreReturned': 'more returned than issued', 'election.boxInvalid': 'box declared invalid', 'lang.switch': '中文',
  'role.admin': 'administrator', 'role.inspector': 'inspector', 'role.operator': 'staff', 'role.observer': 'observer',
  'signin.title': 'Sign in', 'signin.token': 'Access token', 'signin.submit': 'Sign in',
  'signin.help': 'Enter the token your administrator gave you. It is kept in this tab only (sessionStorage) and cleared when you close it.',
  'signin.bad': 'The token is invalid or revoked.', 'signin.fail': 'Cannot reach the server: {0}',
  'refused.title': 'Not allowed', 'refused.text': "Your token's role may not see this page.", 'refused.api': 'The server answered: {0}',
  'error.load': 'Could not load: {0}', 'loading': 'Loading…', 'none': 'none',
  'region.unknown': 'Unknown region', 'region.unknownText': 'The region code {0} is not in the region register and nothing was recorded there.',
  'level.1': 'province', 'level.2': 'city', 'level.3': 'county', 'level.4': 'township', 'level.5c': 'community', 'level.5v': 'village', 'level.5': 'community or village',
  'turnout.title': 'Turnout', 'turnout.region': 'Region', 'turnout.code': 'Code', 'turnout.go': 'Show',
  'turnout.registered': 'Registered', 'turnout.voted': 'Voted', 'turnout.percent': 'Turnout', 'turnout.inPerson': 'In person',
  'turnout.proxy': 'By proxy', 'turnout.mobile': 'Mobile box', 'turnout.validity': 'Valid (more than half voted)',
  'turnout.valid': 'over half', 'turnout.invalid': 'under half', 'turnout.children': 'Subdivisions',
  'turnout.under': '{0} subdivisions still under the validity threshold', 'turnout.chart': 'Turnout by subdivision',
  'turnout.live': 'Election-day check-ins (per 15 minutes)', 'turnout.liveOn': 'Live · log position {0}', 'turnout.liveOff': 'Live stream interrupted, reconnecting…',
  'turnout.checkins': 'Check-ins', 'turnout.cumulative': 'Cumulative', 'turnout.elections': 'Elections here',
  'turnout.electionId': 'Election ID', 'turnout.open': 'Open', 'turnout.noList': 'Listing the elections here needs the audit role; enter an election ID instead.',
  'turnout.noChildren': 'No subdivision has election data.',
  'election.title': 'Election', 'election.committee.villagers': "Villagers' committee", 'election.committee.residents': "Residents' committee",
  'election.committee.supervision': 'Supervision committee', 'election.seats': 'Seats', 'election.stations': 'Polling stations and mobile boxes',
  'election.station': 'Station', 'election.mobileBox': 'mobile box', 'election.round': 'Round {0}', 'election.kind.first': 'first round',
  'election.kind.runoff': 'second round', 'election.cast': 'Ballots cast', 'election.validBallots': 'Valid', 'election.blank': 'Blank',
  'election.invalidBallots': 'Invalid', 'election.roundValid': 'Round valid', 'election.roundInvalid': 'Round invalid (not more than half voted)',
  'election.candidate': 'Candidate', 'election.votes': 'Votes', 'election.share': 'Share', 'election.elected': 'Elected',
  'election.tied': 'tied', 'election.remaining': '{0} seats left: a second round is needed', 'election.writeIn': 'write-in',
  'election.members': 'Members elected', 'election.noMembers': 'No member elected yet', 'election.invalidBoxes': 'Invalid boxes (more returned than issued)',
  'election.recon': 'Reconciliation per box', 'election.issued': 'Issued', 'election.returned': 'Returned', 'election.spoiled': 'Spoiled',
  'election.closed': 'Count closed', 'election.flags': 'Flags', 'election.print': 'Print the announcement', 'election.report': 'Result report', 'election.stationReport': 'Ballot account',
  'report.title': 'Result report', 'report.stationTitle': 'Ballot account of a polling station', 'report.print': 'Print the report', 'report.none': 'No round is being counted yet: there is no report.',
  'report.note': 'The report prints in Chinese, as it is filed, one page a round; scrutineers, counters and the election committee sign by hand.', 'election.announcement': 'Result announcement',
  'election.announced': 'announced', 'election.certified': 'certified', 'election.sealed': 'sealed', 'election.voided': 'voided',
  'election.notFound': 'No such election.', 'election.reconRefused': 'Reconciliation is shown to staff with the right role only.',
  'election.kind.rerun': 'repeated round', 'election.kind.by_election': 'by-election',
  'election.phase.voting': 'voting', 'election.phase.counting': 'counting', 'election.phase.declared': 'declared', 'election.phase.voided': 'voided',
  'election.voidReason': 'Reason: {0}', 'election.declaredOn': 'declared {0}', 'election.liveNote': 'Not declared yet: live figures, not a result.',
  'election.vacant': '{0} seats left vacant', 'election.removed': 'Members who left', 'election.removedCause': 'Cause', 'election.removedOn': 'Date',
  'election.cause.recall': 'recalled', 'election.cause.disqualified': 'disqualified', 'election.cause.review': 'on review',
  'election.noNotice': 'The notice appears once a result is declared.', 'election.rerunNeeded': 'This round is invalid and must be held again', 'election.voidNotice': 'Notice of a void election',
  'public.title': 'Public information', 'public.note': 'No sign-in needed: turnout, declared results and notices, the signed checkpoint and receipt checks. No roll numbers, no one\'s check-in time.', 'public.election': 'Results of an election', 'nav.public': 'Public',
  'desk.title': 'Check-in desk', 'desk.roll': 'Roll number', 'desk.prompt': 'Type or scan a roll number and press Enter.', 'desk.issued': 'Ballots issued this round',
  'desk.onList': 'Voters of this station', 'desk.notOpen': 'The polls of this station are not open: no ballot may be issued.', 'desk.wrongStation': 'Voter {0} does not vote here (station {1}).',
  'desk.notOnRoll': 'No roll number {0} on the roll.', 'desk.already': 'Voter {0} already received a ballot this round.', 'desk.mayIssue': 'Voter {0} may receive a ballot.',
  'desk.selfDone': 'Voter {0} already received their own ballot.', 'desk.hasProxy': 'Note: this voter gave a published written proxy to voter {0}; in person they may still vote.',
  'desk.holds': 'Holds published proxies of: {0}; their ballots are issued on confirming.', 'desk.confirmKey': 'Enter confirms, Esc cancels.',
  'desk.recorded': 'Voter {0} recorded.', 'desk.sending': 'Sending: {0} waiting', 'desk.allSent': '✓ Everything sent to the server',
  'desk.offline': '⚠ Server unreachable: {0} kept on this device, sent in order when it returns', 'desk.refusedTitle': 'Check-ins the server refused',
  'count.title': 'Count', 'count.writeInName': 'Write-in name (Enter adds it)', 'count.current': 'This ballot:', 'count.next': 'Next ballot',
  'count.undo': 'Undo the last ballot (before it is sent)', 'count.help': 'Digits mark candidates, W a write-in, Enter ends a ballot; B blank, X invalid; Backspace undoes the last unsent ballot.',
  'count.projector': 'Public view (projector)', 'count.notClosed': 'The box is not closed: counting cannot start.', 'count.state': '{0} sent, {1} waiting',
  'count.correctable': '{0} may still be corrected', 'count.reconcile': 'Reconcile and close the count', 'count.difference': 'Returned minus issued', 'count.moreReturned': 'More ballots returned than issued: this box is invalid.',
  'count.waitQueue': 'Some ballots are not sent yet; wait until they are.', 'count.close': 'Close the count', 'count.closed': 'Count closed: issued {0}, returned {1}, spoiled {2}',
  'count.publicTitle': 'Public count',
  'audit.title': 'Audit', 'audit.status': 'Verification status', 'audit.checkpoint': 'Latest signed checkpoint', 'audit.noCheckpoint': 'No checkpoint signed yet',
  'audit.covers': 'The checkpoint covers {0} of {1} events', 'audit.origin': 'Origin', 'audit.size': 'Tree size', 'audit.root': 'Root hash',
  'audit.witnesses': 'Witness cosignatures', 'audit.witnessQuorum': '{0} of {1} witnesses cosigned checkpoint {2} (quorum {3})', 'audit.witnessNoQuorum': 'Cannot obtain a quorum of witness cosignatures: {0}',
  'audit.signedBy': 'Signature', 'audit.lag': 'Read model lag', 'audit.lagOk': 'Every read model has caught up with the log', 'audit.lagBehind': '{0} is {1} events behind',
  'audit.timeline': 'Event timeline', 'audit.kind': 'Kind', 'audit.id': 'Aggregate ID', 'audit.actor': 'Actor', 'audit.regionPrefix': 'Region prefix',
  'audit.search': 'Search', 'audit.position': 'Position', 'audit.type': 'Event', 'audit.aggregate': 'Aggregate', 'audit.recordedAt': 'Recorded at',
  'audit.occurredAt': 'Occurred at', 'audit.eventId': 'Event ID', 'audit.next': 'Next page', 'audit.all': 'whole log',
  'audit.receipt': 'Receipt (inclusion proof)', 'audit.lookup': 'Look up', 'audit.leaf': 'Leaf index', 'audit.proof': 'Proof hashes',
  'audit.verified': '✓ Inclusion proof valid: the event is in the signed checkpoint\'s Merkle tree', 'audit.notVerified': '✗ Inclusion proof invalid: {0}',
  'audit.sigNote': 'Signatures are checked by ledger audit verify; the browser checks the Merkle inclusion proof.', 'audit.empty': 'No events.',
  'kind.election': 'election', 'kind.station': 'station', 'kind.consultation': 'consultation', 'kind.inspection': 'inspection',
  'consult.title': 'Consultations', 'consult.communities': 'Communities', 'consult.count': 'Consultations', 'consult.meetings': 'Meetings',
  'consult.resolutions': 'Resolutions', 'consult.adopted': 'Adopted', 'consult.openTasks': 'Open tasks', 'consult.overdueTasks': 'Overdue tasks',
  'consult.list': 'Consultations', 'consult.topic': 'Topic', 'consult.meetingAt': 'Meeting', 'consult.participation': 'Participation',
  'consult.outcome': 'Outcome', 'consult.feedback': 'Feedback published', 'consult.tasks': 'Follow-ups', 'consult.deadline': 'Deadline',
  'consult.owner': 'Owner', 'consult.overdue': 'overdue', 'consult.done': 'done', 'consult.published': 'Published outcomes only (your role may not see the details).',
  'consult.notHeld': 'not held', 'consult.quorate': 'quorate', 'consult.rejected': 'not adopted', 'consult.overdueCount': '{0} follow-ups overdue',
  'sup.title': 'Supervision', 'sup.open': 'Open inspections', 'sup.closed': 'Closed', 'sup.findings': 'Findings', 'sup.due': 'Rectifications due',
  'sup.overdue': 'Overdue', 'sup.inspection': 'Inspection', 'sup.inspectors': 'Inspectors', 'sup.orders': 'Rectification orders',
  'sup.responsible': 'Responsible', 'sup.deadline': 'Deadline', 'sup.reported': 'Reported', 'sup.accepted': 'Accepted', 'sup.finding': 'Finding',
  'yes': 'yes', 'no': 'no', 'prev': 'Up',
};

const dicts = { zh, en };

// keyParity returns the keys one language has and the other lacks.
export function keyParity() {
  return { zhOnly: Object.keys(zh).filter((k) => !(k in en)), enOnly: Object.keys(en).filter((k) => !(k in zh)) };
}
let current = localStorage.getItem('ledger.lang') === 'en' ? 'en' : 'zh';

export function lang() { return current; }

// locale is the BCP 47 tag for number and date formatting.
export function locale() { return current === 'en' ? 'en-US' : 'zh-CN'; }

export function setLang(l) {
  current = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('ledger.lang', current);
  document.documentElement.lang = locale();
}

// missed holds "lang:key" for every key t was asked for that the current
// language lacks (the translation scan test reads it).
const missed = new Set();
export function missingKeys() { return [...missed]; }

export function t(key, ...args) {
  if (dicts[current][key] === undefined) missed.add(current + ':' + key);
  const s = dicts[current][key] ?? zh[key] ?? key;
  return s.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

// applyStatic fills the text of every [data-i18n] element under root.
export function applyStatic(root = document) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  document.title = t('app.title');
}
