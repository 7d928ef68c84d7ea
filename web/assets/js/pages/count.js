// The counting board (唱票/计票) of one station's box: each ballot's marks
// entered as read aloud, with one key or button per candidate, write-in,
// blank and invalid; a running tally the public can watch on a second,
// read-only view (/count/<election>/<station>/public, for a projector); a
// ballot can be corrected until it is sent, never after; ballots sent in
// batches; the count closed with issued, returned and spoiled reconciled.

import { t } from '../i18n.js';
import { get, raw } from '../api.js';
import { el, fill, num } from '../dom.js';
import { Queue } from '../queue.js';
import { ulid } from '../ulid.js';

const KEYS = '123456789';

export async function render(main, [eid, sid, view], ctx) {
  if (view === 'public') return projector(main, eid, sid, ctx);
  const d = await get(`/api/v1/desk/elections/${eid}/stations/${sid}`, { signal: ctx.signal });
  const round = d.round;
  const chan = new BroadcastChannel('ledger.count.' + sid);
  const sent = { votes: {}, blank: 0, invalid: 0, cast: 0 };
  let marks = new Set();
  let writeIns = [];

  const q = new Queue(`ledger.count.${sid}.r${round}`, 'record_ballots',
    (items) => ({ election_id: eid, station_id: sid, region: d.region, round, ballots: items }),
    { max: 50, batchAt: 20, delay: 4000, onSent: (items) => { for (const b of items) add(sent, b, 1); show(); }, onRefused: (b, p) => errors.append(el('li', {}, p.zh || p.title || '')), onState: () => show() });

  const names = new Map(d.candidates.map((c) => [c.id, c.name || c.id]));
  const buttons = d.candidates.map((c, i) => el('button', { type: 'button', class: 'cand', data: { id: c.id }, onclick: () => toggle(c.id) },
    el('kbd', {}, KEYS[i] || ''), ' ', c.name || c.id));
  const wiInput = el('input', { id: 'writein', type: 'text', placeholder: t('count.writeInName'), 'aria-label': t('count.writeInName'), class: 'writein' });
  const current = el('div', { id: 'current', class: 'current', 'aria-live': 'polite' });
  const tallyBox = el('div', { id: 'tally' });
  const stateBox = el('div', { id: 'queue', class: 'queue', role: 'status' });
  const errors = el('ol', { id: 'count-errors', class: 'error' });
  const closeBox = el('section', { id: 'close' });

  function add(t0, b, k) {
    t0.cast += k;
    if (b.unreadable || (b.candidates || []).length + (b.write_ins || []).length > d.seats) t0.invalid += k;
    else if (b.blank) t0.blank += k;
    else {
      for (const c of b.candidates || []) t0.votes[c] = (t0.votes[c] || 0) + k;
      for (const w of b.write_ins || []) t0.votes['write-in:' + w] = (t0.votes['write-in:' + w] || 0) + k;
    }
  }
  function totals() {
    const all = { votes: { ...sent.votes }, blank: sent.blank, invalid: sent.invalid, cast: sent.cast };
    for (const b of q.items) add(all, b, 1);
    return all;
  }
  function toggle(id) {
    marks.has(id) ? marks.delete(id) : marks.add(id);
    show();
  }
  function finish(kind) {
    let b;
    if (kind === 'blank') b = { blank: true };
    else if (kind === 'invalid') b = { unreadable: true };
    else {
      if (!marks.size && !writeIns.length) return;
      b = { candidates: [...marks], write_ins: writeIns }; // more marks than seats: the domain records it invalid
    }
    marks = new Set(); writeIns = [];
    q.push(b);
  }
  function show() {
    for (const bt of buttons) bt.classList.toggle('on', marks.has(bt.dataset.id));
    fill(current, t('count.current'), ' ', [...marks].map((id) => names.get(id)).concat(writeIns.map((w) => w + '（' + t('election.writeIn') + '）')).join('、') || '—');
    const all = totals();
    const unsent = q.unsent().length;
    fill(tallyBox, tallyTable(all, names, d.candidates));
    stateBox.dataset.waiting = q.items.length;
    stateBox.className = 'queue ' + (q.online ? (q.items.length ? 'busy' : 'ok') : 'offline');
    fill(stateBox, q.online ? t('count.state', num(sent.cast), num(q.items.length)) : t('desk.offline', q.items.length),
      unsent ? el('span', { class: 'muted' }, ' · ', t('count.correctable', unsent)) : null);
    main.dataset.sent = sent.cast;
    main.dataset.waiting = q.items.length;
    chan.postMessage({ all, candidates: d.candidates, round, place: d.place });
  }

  function onKey(e) {
    if (e.target === wiInput) {
      if (e.key === 'Enter') { e.preventDefault(); if (wiInput.value.trim()) writeIns.push(wiInput.value.trim()); wiInput.value = ''; main.focus(); show(); }
      else if (e.key === 'Escape') { wiInput.value = ''; main.focus(); }
      return;
    }
    if (e.target.tagName === 'INPUT') return;
    const i = KEYS.indexOf(e.key);
    if (i >= 0 && i < d.candidates.length) { e.preventDefault(); toggle(d.candidates[i].id); }
    else if (e.key === 'Enter') { e.preventDefault(); finish('marks'); }
    else if (e.key === 'b' || e.key === 'B') { e.preventDefault(); finish('blank'); }
    else if (e.key === 'x' || e.key === 'X') { e.preventDefault(); finish('invalid'); }
    else if (e.key === 'w' || e.key === 'W') { e.preventDefault(); swallow = true; wiInput.focus(); }
    else if (e.key === 'Backspace') { e.preventDefault(); if (marks.size || writeIns.length) { marks = new Set(); writeIns = []; show(); } else q.dropLast(); }
  }
  // The W that moved the focus must not be typed into the write-in field.
  let swallow = false;
  wiInput.addEventListener('beforeinput', (e) => {
    if (swallow && /^[wW]$/.test(e.data || '')) e.preventDefault();
    swallow = false;
  });
  document.addEventListener('keydown', onKey);
  ctx.signal.addEventListener('abort', () => { document.removeEventListener('keydown', onKey); q.stop(); chan.close(); });

  main.className = 'board';
  main.tabIndex = -1;
  fill(main,
    el('h1', {}, t('count.title'), ' ', el('small', { class: 'muted' }, d.place || '', ' · ', t('election.round', round))),
    el('p', { class: 'crumbs' }, el('a', { href: '/elections/' + eid }, t('election.title')), ' · ',
      el('a', { href: `/count/${eid}/${sid}/public`, target: '_blank' }, t('count.projector'))),
    d.phase === 'closed' || d.phase === 'sealed' ? null : el('p', { class: 'warn-text' }, t('count.notClosed')),
    el('div', { class: 'board-grid' },
      el('div', {},
        el('div', { class: 'cands' }, buttons,
          el('button', { type: 'button', class: 'cand', onclick: () => wiInput.focus() }, el('kbd', {}, 'W'), ' ', t('election.writeIn')),
          el('button', { type: 'button', class: 'cand', id: 'blank', onclick: () => finish('blank') }, el('kbd', {}, 'B'), ' ', t('election.blank')),
          el('button', { type: 'button', class: 'cand', id: 'invalid', onclick: () => finish('invalid') }, el('kbd', {}, 'X'), ' ', t('election.invalidBallots'))),
        wiInput, current,
        el('div', { class: 'actions' },
          el('button', { type: 'button', id: 'next', onclick: () => finish('marks') }, el('kbd', {}, 'Enter'), ' ', t('count.next')),
          el('button', { type: 'button', id: 'undo', onclick: () => q.dropLast() }, el('kbd', {}, '⌫'), ' ', t('count.undo'))),
        el('p', { class: 'muted small' }, t('count.help'))),
      el('div', {}, stateBox, tallyBox)),
    errors, closeBox);
  closePanel(closeBox, d, eid, sid, round, q, sent, ctx.signal);
  show();
  main.focus();
  main.dataset.ready = 'count';
}

function tallyTable(all, names, candidates) {
  const rows = candidates.map((c) => [names.get(c.id), all.votes[c.id] || 0, c.id]);
  for (const [k, v] of Object.entries(all.votes)) if (k.startsWith('write-in:')) rows.push([k.slice(9) + '（' + t('election.writeIn') + '）', v, k]);
  return el('table', { class: 'tally' },
    el('tbody', {}, rows.map(([n, v, id]) => el('tr', { data: { id } }, el('td', {}, n), el('td', { class: 'n big' }, num(v)))),
      el('tr', { data: { id: 'blank' } }, el('td', {}, t('election.blank')), el('td', { class: 'n' }, num(all.blank))),
      el('tr', { data: { id: 'invalid' } }, el('td', {}, t('election.invalidBallots')), el('td', { class: 'n' }, num(all.invalid))),
      el('tr', { data: { id: 'cast' } }, el('th', {}, t('election.cast')), el('th', { class: 'n' }, num(all.cast)))));
}

// closePanel reconciles issued, returned and spoiled on screen and closes
// the count once every ballot is sent.
function closePanel(box, d, eid, sid, round, q, sent, signal) {
  const spoiled = el('input', { id: 'spoiled', type: 'number', min: '0', value: '0', 'aria-label': t('election.spoiled') });
  const recon = el('div', { id: 'recon-live' });
  const result = el('div', { id: 'close-result' });
  const check = () => {
    const issued = d.checked_in.length;
    const returned = sent.cast + q.items.length;
    const diff = returned - issued;
    fill(recon, el('table', {}, el('tbody', {},
      el('tr', {}, el('td', {}, t('election.issued')), el('td', { class: 'n', data: { k: 'issued' } }, num(issued))),
      el('tr', {}, el('td', {}, t('election.returned')), el('td', { class: 'n', data: { k: 'returned' } }, num(returned))),
      el('tr', { class: diff > 0 ? 'under' : '' }, el('td', {}, t('count.difference')), el('td', { class: 'n', data: { k: 'difference' } }, num(diff))))),
    diff > 0 ? el('p', { class: 'warn-text' }, t('count.moreReturned')) : null);
  };
  const button = el('button', { type: 'button', id: 'close-count', onclick: () => close() }, t('count.close'));
  async function close() {
    if (q.items.length) { q.flush(); fill(result, el('p', { class: 'warn-text' }, t('count.waitQueue'))); return; }
    button.disabled = true;
    try {
      const n = Number(spoiled.value || 0);
      const post = (ct, body) => raw('/api/v1/commands/' + ct, { method: 'POST', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': ulid() } });
      const addr = { election_id: eid, station_id: sid, region: d.region, round };
      if (n > 0) await post('record_spoiled_ballots', { ...addr, count: n });
      await post('close_count', addr);
      const rc = await get(`/api/v1/reconciliation/elections/${eid}?round=${round}`);
      const b = (rc.boxes || []).find((x) => x.station_id === sid) || {};
      fill(result, el('p', { class: b.flags && b.flags.length ? 'warn-text' : 'ok-text', data: { testid: 'closed' } },
        t('count.closed', num(b.issued), num(b.returned), num(b.spoiled)), (b.flags || []).length ? ' · ' + b.flags.join(', ') : ''));
    } catch (e) {
      fill(result, el('p', { class: 'error' }, e.message));
      button.disabled = false;
    }
  }
  box.append(el('h2', {}, t('count.reconcile')), recon,
    el('label', {}, t('election.spoiled'), ' ', spoiled),
    button, result);
  check();
  const tick = setInterval(check, 500);
  signal.addEventListener('abort', () => clearInterval(tick));
}

// projector is the read-only public view: big figures, updated from the
// board in the same browser at once (BroadcastChannel) and from the API.
async function projector(main, eid, sid, ctx) {
  main.className = 'projector';
  const box = el('div', { id: 'projector' });
  fill(main, box);
  main.dataset.ready = 'projector';
  const chan = new BroadcastChannel('ledger.count.' + sid);
  chan.onmessage = (m) => {
    const { all, candidates, round, place } = m.data;
    const names = new Map(candidates.map((c) => [c.id, c.name || c.id]));
    fill(box, el('h1', {}, t('count.publicTitle'), ' · ', place || '', ' · ', t('election.round', round)), tallyTable(all, names, candidates));
    main.dataset.cast = all.cast;
  };
  ctx.signal.addEventListener('abort', () => chan.close());
  try {
    const r = await get('/api/v1/results/elections/' + eid, { signal: ctx.signal });
    const last = (r.rounds || [])[r.rounds.length - 1];
    if (last && !box.childElementCount) {
      const names = new Map((last.tally || []).map((v) => [v.id, v.name || v.id]));
      const all = { votes: Object.fromEntries((last.tally || []).map((v) => [v.id, v.votes])), blank: last.blank, invalid: last.invalid, cast: last.cast };
      fill(box, el('h1', {}, t('count.publicTitle'), ' · ', t('election.round', last.round)),
        tallyTable(all, names, (last.tally || []).filter((v) => !v.write_in).map((v) => ({ id: v.id, name: v.name }))));
    }
  } catch { /* the board's messages still fill the view */ }
}
