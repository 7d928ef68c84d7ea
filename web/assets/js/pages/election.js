// An election: its state first (voting, counting, declared, voided), then
// every round with its own figures, the members and who left, stations,
// reconciliation per ballot box, and the notice (公告), printable. Before a
// round is declared only live figures are shown, never a verdict; once it
// is declared, the declared result; a voided election shows its void
// notice and no result notice.

import { lang, t } from '../i18n.js';
import { get } from '../api.js';
import { badge, card, el, fill, errorBox, num, pct, table } from '../dom.js';
import { loadRegion, regionName } from '../regions.js';

// render shows the election; under /public it reads the token-free API
// (declared results only) and shows no reconciliation.
export async function render(main, [id], ctx) {
  const base = ctx.public ? '/api/v1/public' : '/api/v1';
  const [turnout, results] = await Promise.all([
    get(base + '/turnout/elections/' + id),
    get(base + '/results/elections/' + id),
  ]);
  await loadRegion(results.region || turnout.region);
  const recon = el('section', { id: 'recon' }, el('h2', {}, t('election.recon')));
  const rounds = labelled(results.rounds || []);
  main.className = 'print-announcement';
  fill(main,
    el('nav', { class: 'crumbs' }, el('a', { href: (ctx.public ? '/public/' : '/turnout/') + turnout.region }, regionName(turnout.region))),
    el('h1', {}, regionName(results.region), ' ', committee(results.committee), ' ', el('small', { class: 'muted code' }, id)),
    status(results, rounds),
    el('div', { class: 'cards' },
      card(t('election.seats'), num(results.seats)),
      card(t('turnout.registered'), num(turnout.registered), { data: { k: 'registered' } }),
      card(t('turnout.voted'), num(turnout.voted), { data: { k: 'voted' } }),
      card(t('turnout.percent'), pct(turnout.turnout_percent), { data: { k: 'turnout' } })),
    el('div', { class: 'actions no-print' }, el('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('election.print')),
      !ctx.public && ctx.caps && ctx.caps.operational ? [' ', el('a', { href: '/report/' + id, data: { testid: 'report-link' } }, t('election.report'))] : null),
    rounds.map((r) => roundSection(r)),
    membersSection(results),
    stationsSection(id, turnout.stations || [], ctx.caps),
    ctx.public ? null : recon,
    notice(results, rounds),
  );
  main.dataset.ready = 'election';
  main.dataset.phase = phaseOf(results, rounds);
  if (!ctx.public) loadRecon(recon, id, results, ctx);
}

function committee(k) { return t('election.committee.' + k); }

// phaseOf is the election's state as one word: voided, or the phase of its
// current (last) round.
export function phaseOf(r, rounds) {
  if (r.voided) return 'voided';
  const last = rounds[rounds.length - 1];
  return last ? last.phase : 'voting';
}

// labelled adds each round's label code: the API's label_code if it gives
// one, else 正式选举 / 另行选举 / 补选 by kind, and 重新选举 for a round held
// again because the one before it was declared invalid.
export function labelled(rounds) {
  return rounds.map((r, i) => {
    const prev = rounds[i - 1];
    const label = r.label_code || (prev && prev.declared && !prev.round_valid ? 'rerun' : r.kind);
    return { ...r, label };
  });
}

function status(r, rounds) {
  const ph = phaseOf(r, rounds);
  const s = [el('span', { class: ph === 'voided' ? 'badge warn' : 'badge ' + (ph === 'declared' ? 'ok' : 'live'), data: { testid: 'phase' } }, t('election.phase.' + ph))];
  if (ph === 'voided') s.push(' ', el('span', { data: { testid: 'void-reason' } }, t('election.voidReason', r.void_reason || '')));
  else {
    if (r.announced) s.push(' ', badge(true, t('election.announced')));
    if (r.certified) s.push(' ', badge(true, t('election.certified') + (r.certified_by ? ' · ' + r.certified_by : '')));
  }
  if (r.sealed) s.push(' ', badge(true, t('election.sealed')));
  return el('p', { class: 'status' }, s);
}

function roundSection(r) {
  const declared = r.phase === 'declared';
  const elected = new Set(declared ? (r.elected || []).map((m) => m.id) : []);
  const tied = new Set(declared ? r.tied || [] : []);
  const tally = (r.tally || []).slice().sort((a, b) => b.votes - a.votes);
  return el('section', { class: 'round', data: { round: r.round, phase: r.phase, label: r.label } },
    el('h2', {}, t('election.round', r.round), ' · ', t('election.kind.' + r.label), ' ',
      el('span', { class: declared ? 'badge ok' : 'badge live', data: { testid: 'round-phase' } }, t('election.phase.' + r.phase))),
    declared ? el('p', {}, badge(r.round_valid, t('election.roundValid'), t('election.roundInvalid')),
      ' ', t('election.seats'), ' ', num(r.seats), ' · ', t('turnout.registered'), ' ', num(r.registered), ' · ', t('turnout.voted'), ' ', num(r.voted),
      r.declared_at ? [' · ', t('election.declaredOn', day(r.declared_at))] : null)
      : el('p', { class: 'muted', data: { testid: 'live-note' } }, t('election.liveNote'), ' ', t('election.seats'), ' ', num(r.seats)),
    el('div', { class: 'cards small' },
      card(t('election.cast'), num(r.cast)), card(t('election.validBallots'), num(r.valid)),
      card(t('election.blank'), num(r.blank)), card(t('election.invalidBallots'), num(r.invalid))),
    table([
      [t('election.candidate'), (v) => [v.name || v.id, v.write_in ? el('small', { class: 'muted' }, ' (' + t('election.writeIn') + ')') : ''], 'name'],
      [t('election.votes'), (v) => num(v.votes), 'n'],
      [t('election.share'), (v) => pct(r.cast ? (100 * v.votes) / r.cast : 0), 'n'],
      [declared ? t('election.elected') : '', (v) => (elected.has(v.id) ? el('span', { class: 'badge ok' }, t('election.elected')) : tied.has(v.id) ? el('span', { class: 'badge warn' }, t('election.tied')) : ''), ''],
    ], tally, (v) => ({ class: elected.has(v.id) ? 'elected' : '', data: { testid: 'tally-row' } })),
    declared && !r.round_valid ? el('p', { class: 'warn-text', data: { testid: 'rerun' } }, t('election.rerunNeeded')) : null,
    declared && r.round_valid && r.remaining > 0 ? el('p', { class: 'warn-text', data: { testid: 'second-round' } }, t(r.final ? 'election.vacant' : 'election.remaining', r.remaining)) : null,
    declared && r.invalid_boxes && r.invalid_boxes.length ? el('p', { class: 'warn-text' }, t('election.invalidBoxes'), ': ', r.invalid_boxes.join(', ')) : null);
}

function membersSection(r) {
  const members = r.members || [];
  const removed = r.removed || [];
  return el('section', {}, el('h2', {}, t('election.members')), members.length ? table([
    [t('election.candidate'), (m) => m.name || m.id, 'name'],
    [t('election.round', ''), (m) => t('election.round', m.round), ''],
    [t('election.votes'), (m) => num(m.votes), 'n'],
  ], members, () => ({ data: { testid: 'member-row' } })) : el('p', { class: 'muted' }, t('election.noMembers')),
  removed.length ? [el('h3', {}, t('election.removed')), table([
    [t('election.candidate'), (x) => x.member.name || x.member.id, 'name'],
    [t('election.removedCause'), (x) => t('election.cause.' + x.cause), ''],
    [t('election.removedOn'), (x) => day(x.at), ''],
  ], removed, () => ({ data: { testid: 'removed-row' } }))] : null);
}

// stationsSection lists the stations; staff who may record see links to
// each station's check-in desk and counting board.
function stationsSection(eid, stations, caps) {
  const rec = caps && caps.record;
  return el('section', {}, el('h2', {}, t('election.stations')), table([
    [t('election.station'), (s) => [el('span', { class: 'code' }, s.station_id), s.mobile ? el('small', { class: 'muted' }, ' · ' + t('election.mobileBox')) : '',
      rec ? el('span', { class: 'no-print' }, ' ', el('a', { href: `/desk/${eid}/${s.station_id}`, data: { testid: 'desk-link' } }, t('desk.title')),
        ' · ', el('a', { href: `/count/${eid}/${s.station_id}`, data: { testid: 'count-link' } }, t('count.title')),
        ' · ', el('a', { href: `/report/${eid}/${s.station_id}`, data: { testid: 'station-report-link' } }, t('election.stationReport'))) : null], ''],
    [t('turnout.registered'), (s) => num(s.registered), 'n'],
    [t('turnout.voted'), (s) => num(s.voted), 'n'],
    [t('turnout.proxy'), (s) => num(s.proxy), 'n'],
    [t('turnout.percent'), (s) => pct(s.turnout_percent), 'n'],
  ], stations));
}

async function loadRecon(sec, id, results, ctx) {
  if (!ctx.caps || !ctx.caps.operational) { sec.append(el('p', { class: 'muted' }, t('election.reconRefused'))); return; }
  const rounds = (results.rounds || []).map((r) => r.round);
  try {
    const all = await Promise.all((rounds.length ? rounds : [1]).map((n) => get(`/api/v1/reconciliation/elections/${id}?round=${n}`, { signal: ctx.signal })));
    for (const rc of all) {
      const flagged = new Set(rc.flagged_boxes || []);
      sec.append(el('h3', {}, t('election.round', rc.round)), table([
        [t('election.station'), (b) => [el('span', { class: 'code' }, b.station_id), b.mobile ? el('small', { class: 'muted' }, ' · ' + t('election.mobileBox')) : ''], ''],
        [t('election.issued'), (b) => num(b.issued), 'n'],
        [t('election.returned'), (b) => num(b.returned), 'n'],
        [t('election.difference'), (b) => (b.returned > b.issued ? '+' : '') + num(b.returned - b.issued), 'n'],
        [t('election.spoiled'), (b) => num(b.spoiled), 'n'],
        [t('election.closed'), (b) => (b.count_closed ? t('yes') : t('no')), ''],
        [t('election.flags'), (b) => boxFlags(b).join(', '), ''],
      ], rc.boxes || [], (b) => ({ class: flagged.has(b.station_id) || boxFlags(b).length ? 'under' : '', data: { testid: 'box-row' } })));
    }
  } catch (e) {
    if (!ctx.signal.aborted) sec.append(errorBox(e));
  }
}

// boxFlags names what is wrong with a box: more ballots returned than
// issued (the round is invalid), or fewer (a ballot missing, once the
// count is closed), and the server's other flags.
function boxFlags(b) {
  const out = [];
  if (b.returned > b.issued) out.push(t('election.moreReturned'));
  else if (b.count_closed && b.returned < b.issued) out.push(t('election.fewerReturned'));
  for (const f of b.flags || []) if (f !== 'more_returned_than_issued') out.push(f === 'box_invalid' ? t('election.boxInvalid') : f);
  return out;
}

// day formats a time as a calendar date in China, in the page's language.
function day(s, l = lang()) {
  if (!s) return '';
  return new Date(s).toLocaleDateString(l === 'en' ? 'en-US' : 'zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });
}

// The notices are always in Chinese: they are what is posted on the
// notice board (村务公开栏 / 居务公开栏).
const committeeZh = { villagers: '村民委员会', residents: '居民委员会', supervision: '村务监督委员会' };
const roundZh = { first: '正式选举', runoff: '另行选举', rerun: '重新选举', by_election: '补选' };
const causeZh = { recall: '经罢免', disqualified: '因丧失任职资格', review: '经复核' };

// law is the statute of the committee being elected.
export function law(kind) {
  if (kind === 'residents') return '《中华人民共和国城市居民委员会组织法》';
  return '《中华人民共和国村民委员会组织法》';
}

function notice(r, rounds) {
  const declared = rounds.filter((x) => x.phase === 'declared');
  let body;
  if (r.voided) body = voidNotice(r);
  else if (declared.length) body = resultNotice(r, declared);
  else body = el('p', { class: 'muted', data: { testid: 'no-notice' } }, t('election.noNotice'));
  return el('section', { id: 'announcement', class: 'announcement', lang: 'zh-CN' },
    el('h2', { class: 'no-screen-title' }, t(r.voided ? 'election.voidNotice' : 'election.announcement')), body);
}

function voidNotice(r) {
  const kind = committeeZh[r.committee] || '委员会';
  const place = regionName(r.region);
  return el('div', { class: 'paper', data: { testid: 'notice', notice: 'void' } },
    el('h3', {}, `${place}${kind}选举结果无效公告`),
    el('p', {}, `经监督检查认定，本届${kind}选举${r.void_reason ? '因' + r.void_reason : ''}，依照${law(r.committee)}第十七条，` +
      '以威胁、贿赂、伪造选票等不正当手段当选的，当选无效。现宣布本次选举结果无效，原公告的当选结果不再有效。'),
    el('p', {}, '特此公告。'),
    el('p', { class: 'sign' }, `${place}选举委员会`), el('p', { class: 'sign', data: { testid: 'notice-date' } }, day(r.voided_at, 'zh')),
    el('p', { class: 'small muted' }, `选举编号 ${r.election_id}`));
}

function resultNotice(r, declared) {
  const kind = committeeZh[r.committee] || '委员会';
  const place = regionName(r.region);
  const last = declared[declared.length - 1];
  const members = r.members || [];
  const removed = r.removed || [];
  const byRound = (n) => (declared.find((x) => x.round === n).elected || []).slice().sort((a, b) => b.votes - a.votes);
  const voters = r.committee === 'residents' ? '居民' : '村民';
  return el('div', { class: 'paper', data: { testid: 'notice', notice: 'result' } },
    el('h3', {}, `${place}${kind}选举结果公告`),
    el('p', {}, `本届${kind}选举依照${law(r.committee)}和本省选举办法进行，应选成员 ${r.seats} 名。`),
    declared.map((x) => el('div', { class: 'notice-round', data: { testid: 'notice-round', round: x.round } },
      el('p', {}, `第${x.round}轮（${roundZh[x.label] || x.label}，${day(x.declared_at, 'zh')}）：应选 ${x.seats} 名，登记选民 ${x.registered} 人，参加投票 ${x.voted} 人，` +
        `${x.round_valid ? '超过登记选民半数，本轮选举有效' : '未超过登记选民半数，本轮选举无效'}；收回选票 ${x.cast} 张，其中有效票 ${x.valid} 张，空白票 ${x.blank} 张，无效票 ${x.invalid} 张。`),
      byRound(x.round).length ? el('ol', {}, byRound(x.round).map((m) => el('li', {}, `${m.name || m.id}，得票 ${m.votes} 张`)))
        : el('p', {}, x.round_valid ? '本轮无人当选。' : '本轮无人当选，将重新选举。'),
      x.remaining > 0 && x.round_valid ? el('p', {}, x.final ? `尚有 ${x.remaining} 个名额空缺。` : `尚有 ${x.remaining} 个名额未选足，将另行选举。`) : null)),
    removed.length ? el('p', { data: { testid: 'notice-removed' } }, removed.map((x) =>
      `${x.member.name || x.member.id}（第${x.member.round}轮当选）已于${day(x.at, 'zh')}${causeZh[x.cause] || ''}不再担任${kind}成员。`).join('')) : null,
    el('p', {}, members.length ? `当选的${kind}成员共 ${members.length} 名：${members.map((m) => m.name || m.id).join('、')}。`
      : `参加投票的${voters}过半数选票方能当选，本次尚无人当选。`),
    r.seats_left > 0 && last.final ? el('p', {}, `尚有 ${r.seats_left} 个名额空缺。`) : null,
    el('p', {}, '特此公告。'),
    el('p', { class: 'sign' }, `${place}选举委员会`),
    el('p', { class: 'sign', data: { testid: 'notice-date' } }, day(r.announced_at && r.announced_at > last.declared_at ? r.announced_at : last.declared_at, 'zh')),
    el('p', { class: 'small muted' }, `选举编号 ${r.election_id}`));
}
