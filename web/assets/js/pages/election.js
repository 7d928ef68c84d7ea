// An election: turnout and stations, each round's tally with who is
// elected and the seats left for a second round, reconciliation per
// ballot box, and the result announcement (公告), printable.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { badge, card, el, fill, errorBox, num, pct, table } from '../dom.js';
import { regionName } from '../regions.js';

export async function render(main, [id], ctx) {
  const [turnout, results] = await Promise.all([
    get('/api/v1/turnout/elections/' + id),
    get('/api/v1/results/elections/' + id),
  ]);
  const recon = el('section', { id: 'recon' }, el('h2', {}, t('election.recon')));
  main.className = 'print-announcement';
  fill(main,
    el('nav', { class: 'crumbs' }, el('a', { href: '/turnout/' + turnout.region }, regionName(turnout.region))),
    el('h1', {}, committee(results.committee), ' ', el('small', { class: 'muted code' }, id)),
    status(results),
    el('div', { class: 'cards' },
      card(t('election.seats'), num(results.seats)),
      card(t('turnout.registered'), num(turnout.registered), { data: { k: 'registered' } }),
      card(t('turnout.voted'), num(turnout.voted), { data: { k: 'voted' } }),
      card(t('turnout.percent'), pct(turnout.turnout_percent), { class: turnout.validity_met ? 'card' : 'card under' }),
      card(t('turnout.validity'), badge(turnout.validity_met, t('turnout.valid'), t('turnout.invalid')))),
    el('div', { class: 'actions no-print' }, el('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('election.print'))),
    (results.rounds || []).map((r) => roundSection(r)),
    membersSection(results.members || []),
    stationsSection(turnout.stations || []),
    recon,
    announcement(results, turnout),
  );
  main.dataset.ready = 'election';
  loadRecon(recon, id, results, ctx);
}

function committee(k) { return t('election.committee.' + k) || k; }

function status(r) {
  const s = [];
  if (r.announced) s.push(badge(true, t('election.announced')));
  if (r.certified) s.push(badge(true, t('election.certified') + (r.certified_by ? ' · ' + r.certified_by : '')));
  if (r.sealed) s.push(badge(true, t('election.sealed')));
  if (r.voided) s.push(badge(false, '', t('election.voided') + (r.void_reason ? ' · ' + r.void_reason : '')));
  return el('p', { class: 'status' }, s);
}

function roundSection(r) {
  const elected = new Set((r.elected || []).map((m) => m.id));
  const tied = new Set(r.tied || []);
  const tally = (r.tally || []).slice().sort((a, b) => b.votes - a.votes);
  return el('section', { class: 'round', data: { round: r.round } },
    el('h2', {}, t('election.round', r.round), ' · ', t('election.kind.' + r.kind)),
    el('p', {}, badge(r.round_valid, t('election.roundValid'), t('election.roundInvalid')),
      ' ', t('election.seats'), ' ', num(r.seats), ' · ', t('turnout.registered'), ' ', num(r.registered), ' · ', t('turnout.voted'), ' ', num(r.voted)),
    el('div', { class: 'cards small' },
      card(t('election.cast'), num(r.cast)), card(t('election.validBallots'), num(r.valid)),
      card(t('election.blank'), num(r.blank)), card(t('election.invalidBallots'), num(r.invalid))),
    table([
      [t('election.candidate'), (v) => [v.name || v.id, v.write_in ? el('small', { class: 'muted' }, ' (' + t('election.writeIn') + ')') : ''], 'name'],
      [t('election.votes'), (v) => num(v.votes), 'n'],
      [t('election.share'), (v) => pct(r.cast ? (100 * v.votes) / r.cast : 0), 'n'],
      [t('election.elected'), (v) => (elected.has(v.id) ? el('span', { class: 'badge ok' }, t('election.elected')) : tied.has(v.id) ? el('span', { class: 'badge warn' }, t('election.tied')) : ''), ''],
    ], tally, (v) => ({ class: elected.has(v.id) ? 'elected' : '', data: { testid: 'tally-row' } })),
    r.remaining > 0 ? el('p', { class: 'warn-text', data: { testid: 'second-round' } }, t('election.remaining', r.remaining)) : null,
    r.invalid_boxes && r.invalid_boxes.length ? el('p', { class: 'warn-text' }, t('election.invalidBoxes'), ': ', r.invalid_boxes.join(', ')) : null);
}

function membersSection(members) {
  return el('section', {}, el('h2', {}, t('election.members')), members.length ? table([
    [t('election.candidate'), (m) => m.name || m.id, 'name'],
    [t('election.round', ''), (m) => t('election.round', m.round), ''],
    [t('election.votes'), (m) => num(m.votes), 'n'],
  ], members, () => ({ data: { testid: 'member-row' } })) : el('p', { class: 'muted' }, t('election.noMembers')));
}

function stationsSection(stations) {
  return el('section', {}, el('h2', {}, t('election.stations')), table([
    [t('election.station'), (s) => [el('span', { class: 'code' }, s.station_id), s.mobile ? el('small', { class: 'muted' }, ' · ' + t('election.mobileBox')) : ''], ''],
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
        [t('election.spoiled'), (b) => num(b.spoiled), 'n'],
        [t('election.closed'), (b) => (b.count_closed ? t('yes') : t('no')), ''],
        [t('election.flags'), (b) => (b.flags || []).join(', '), ''],
      ], rc.boxes || [], (b) => ({ class: flagged.has(b.station_id) || (b.flags || []).length ? 'under' : '', data: { testid: 'box-row' } })));
    }
  } catch (e) {
    if (!ctx.signal.aborted) sec.append(errorBox(e));
  }
}

// announcement is the official notice, always in Chinese: it is what is
// posted on the notice board (村务公开栏).
function announcement(r, turnout) {
  const kind = { villagers: '村民委员会', residents: '居民委员会', supervision: '监督委员会' }[r.committee] || '委员会';
  const place = regionName(r.region);
  const last = (r.rounds || [])[r.rounds.length - 1];
  const members = r.members || [];
  const today = new Date().toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });
  return el('section', { id: 'announcement', class: 'announcement', lang: 'zh-CN' },
    el('h2', { class: 'no-screen-title' }, t('election.announcement')),
    el('div', { class: 'paper' },
      el('h3', {}, `${place}${kind}选举结果公告`),
      el('p', {}, `本届${kind}选举依法进行。本村（社区）登记选民 ${turnout.registered} 人，参加投票 ${turnout.voted} 人，` +
        `${turnout.validity_met ? '超过登记选民半数，选举有效' : '未超过登记选民半数，选举无效'}。`),
      last ? el('p', {}, `第${last.round}轮投票共收回选票 ${last.cast} 张，其中有效票 ${last.valid} 张，空白票 ${last.blank} 张，无效票 ${last.invalid} 张。`) : null,
      el('p', {}, members.length ? `依照《中华人民共和国村民委员会组织法》第十五条，获得参加投票的村民（居民）过半数选票者当选。当选名单如下（按得票多少排列）：` : '尚无当选人员。'),
      members.length ? el('ol', {}, members.slice().sort((a, b) => b.votes - a.votes).map((m) => el('li', {}, `${m.name || m.id}（第${m.round}轮，得票 ${m.votes} 张）`))) : null,
      r.seats_left > 0 ? el('p', {}, `尚有 ${r.seats_left} 个名额未选足，将另行选举。`) : null,
      el('p', {}, '特此公告。'),
      el('p', { class: 'sign' }, `${place}选举委员会`), el('p', { class: 'sign' }, today),
      el('p', { class: 'small muted' }, `选举编号 ${r.election_id}`)));
}
