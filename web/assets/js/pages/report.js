// The result report (选举结果报告单), ready to print on A4: per election,
// one sheet per counted round with the figures the law requires (seats,
// registered, voted, ballots issued, returned, valid, blank, invalid,
// spoiled, whether more than half voted, each candidate's votes, who was
// elected) and lines for the signatures of the scrutineers (监票人), the
// counters (计票人) and the election committee; per station, the station's
// ballot account (发出、收回、差额、废票) with its scrutineers' names. A
// station's sheet gives no candidate's votes: ballots are tallied per
// counting unit, never per box. The sheets are always in Chinese, as
// filed; the page around them follows the page's language.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { el, fill } from '../dom.js';
import { loadRegion, regionName } from '../regions.js';
import { labelled, law } from './election.js';

const committeeZh = { villagers: '村民委员会', residents: '居民委员会' };
const roundZh = { first: '正式选举', runoff: '另行选举', rerun: '重新选举', by_election: '补选' };

export async function render(main, [eid, sid], ctx) {
  const [turnout, results] = await Promise.all([
    get('/api/v1/turnout/elections/' + eid, { signal: ctx.signal }),
    get('/api/v1/results/elections/' + eid, { signal: ctx.signal }),
  ]);
  await loadRegion(results.region);
  const rounds = labelled(results.rounds || []).filter((r) => r.phase !== 'voting');
  const recons = await Promise.all(rounds.map((r) => get(`/api/v1/reconciliation/elections/${eid}?round=${r.round}`, { signal: ctx.signal })));
  const station = sid ? await get(`/api/v1/desk/elections/${eid}/stations/${sid}`, { signal: ctx.signal }) : null;
  main.className = 'print-report';
  const sheets = sid
    ? rounds.map((r, i) => stationSheet(results, r, recons[i], station, turnout))
    : rounds.map((r, i) => electionSheet(results, r, recons[i], turnout));
  fill(main,
    el('div', { class: 'no-print' },
      el('nav', { class: 'crumbs' }, el('a', { href: '/elections/' + eid }, regionName(results.region))),
      el('h1', {}, t(sid ? 'report.stationTitle' : 'report.title')),
      el('p', { class: 'muted' }, t('report.note')),
      el('div', { class: 'actions' }, el('button', { type: 'button', id: 'print-report', onclick: () => window.print() }, t('report.print')))),
    sheets.length ? sheets : el('p', { class: 'muted', data: { testid: 'no-report' } }, t('report.none')));
  main.dataset.ready = 'report';
}

function title(r) {
  return `${regionName(r.region)}${committeeZh[r.committee] || '委员会'}选举`;
}

function day(s) {
  if (!s) return '____年__月__日';
  return new Date(s).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric' });
}

function pct(n, d) { return d ? (Math.round((1000 * n) / d) / 10).toFixed(1) + '%' : '0.0%'; }

// row is one line of a figures table: label, value (data-k names it).
function row(k, label, value) {
  return el('tr', { data: { k } }, el('th', {}, label), el('td', { class: 'n' }, String(value)));
}

function sum(rc, f) { return (rc.boxes || []).reduce((a, b) => a + b[f], 0); }

function electionSheet(res, r, rc, turnout) {
  const declared = r.phase === 'declared';
  const elected = new Set((r.elected || []).map((m) => m.id));
  const tally = (r.tally || []).slice().sort((a, b) => b.votes - a.votes);
  const first = r.round === 1;
  return el('section', { class: 'sheet', data: { testid: 'report-sheet', round: r.round } },
    el('h2', {}, '选举结果报告单'),
    el('p', { class: 'sub' }, `${title(res)} · 第${r.round}轮（${roundZh[r.label] || r.label}）`, declared ? '' : el('strong', {}, '（计票中，尚未宣布）')),
    el('table', { class: 'figures' }, el('tbody', {},
      row('seats', '应选名额', r.seats),
      row('registered', '登记选民数', r.registered),
      row('voted', '参加投票人数', r.voted),
      first ? row('proxy', '其中：委托投票', turnout.proxy) : null,
      first ? row('mobile', '其中：流动票箱投票', turnout.mobile_box) : null,
      row('turnout', '参加投票人数占登记选民比例', pct(r.voted, r.registered)),
      row('issued', '发出选票', rc.issued),
      row('returned', '收回选票', r.cast),
      row('valid', '有效票', r.valid),
      row('blank', '空白票', r.blank),
      row('invalid', '无效票', r.invalid),
      row('spoiled', '作废（损坏）选票', rc.spoiled),
      row('valid_round', '本轮选举是否有效', declared ? (r.round_valid ? '有效（参加投票的选民超过登记选民半数）' : '无效（参加投票的选民未超过登记选民半数）') : '尚未宣布'))),
    el('h3', {}, '候选人及另选他人得票'),
    el('table', { class: 'tally' },
      el('thead', {}, el('tr', {}, el('th', {}, '序号'), el('th', {}, '姓名'), el('th', { class: 'n' }, '得票数'), el('th', { class: 'n' }, '占收回选票'), el('th', {}, '是否当选'))),
      el('tbody', {}, tally.map((v, i) => el('tr', { data: { testid: 'report-tally' } },
        el('td', {}, i + 1), el('td', {}, v.name || v.id, v.write_in ? '（另选他人）' : ''),
        el('td', { class: 'n' }, v.votes), el('td', { class: 'n' }, pct(v.votes, r.cast)),
        el('td', {}, declared ? (elected.has(v.id) ? '当选' : '') : ''))))),
    el('p', { class: 'basis' }, `依照${law(res.committee)}第十五条：选举实行无记名投票、公开计票的方法，选举结果应当当场公布。` +
      '参加投票的选民超过登记选民半数，选举有效；候选人获得参加投票的选民过半数的选票，始得当选。'),
    signatures(['总监票人', '监票人', '计票人', '唱票人']),
    el('p', { class: 'sign' }, '选举委员会（盖章）　　主任（签名）＿＿＿＿＿＿'),
    el('p', { class: 'sign', data: { testid: 'report-date' } }, declared ? day(r.declared_at) : day('')),
    el('p', { class: 'small muted' }, `选举编号 ${res.election_id}`));
}

function stationSheet(res, r, rc, st, turnout) {
  const box = (rc.boxes || []).find((b) => b.station_id === st.station_id) || { issued: 0, returned: 0, spoiled: 0, count_closed: false, flags: [] };
  const ts = (turnout.stations || []).find((s) => s.station_id === st.station_id) || {};
  const diff = box.returned - box.issued;
  return el('section', { class: 'sheet', data: { testid: 'report-sheet', round: r.round } },
    el('h2', {}, st.mobile ? '流动票箱选票清点报告单' : '投票站选票清点报告单'),
    el('p', { class: 'sub' }, `${title(res)} · 第${r.round}轮（${roundZh[r.label] || r.label}）`),
    el('table', { class: 'figures' }, el('tbody', {},
      row('place', st.mobile ? '流动票箱' : '投票站', st.place || st.station_id),
      r.round === 1 ? row('registered', '本站登记选民数', ts.registered || 0) : null,
      r.round === 1 ? row('voted', '本站领取选票人数', ts.voted || 0) : null,
      row('issued', '发出选票', box.issued),
      row('returned', '收回选票', box.returned),
      row('difference', '收回与发出之差', (diff > 0 ? '+' : '') + diff),
      row('spoiled', '作废（损坏）选票', box.spoiled),
      row('closed', '开箱计票是否结束', box.count_closed ? '已结束' : '未结束'),
      row('check', '核对结果', diff > 0 ? '收回选票多于发出选票，本次选举无效，须报告选举委员会' : '收回选票不多于发出选票'))),
    el('p', { class: 'basis' }, '依照法律规定，每次选举所投的票数多于投票人数的无效。各候选人得票按计票单位合并统计，见选举结果报告单；本单不列候选人得票。'),
    signatures((st.scrutineers || []).length ? st.scrutineers.map((n) => '监票人 ' + n) : ['监票人', '监票人', '监票人']),
    signatures(['计票人', '唱票人']),
    el('p', { class: 'sign' }, '选举委员会（盖章）'),
    el('p', { class: 'sign' }, day(r.declared_at)),
    el('p', { class: 'small muted' }, `选举编号 ${res.election_id} · 投票站 ${st.station_id}`));
}

function signatures(roles) {
  return el('div', { class: 'signatures' }, roles.map((x) => el('p', { class: 'sig', data: { testid: 'sig' } }, `${x}（签名）`, el('span', { class: 'line' }))));
}
