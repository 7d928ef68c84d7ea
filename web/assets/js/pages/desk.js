// The check-in desk (发票处) of one station: type or scan a roll number,
// see at once whether that voter may receive a ballot, confirm with Enter.
// Works with the keyboard alone. Check-ins wait in a queue that survives a
// dropped connection and are sent in order as check_ins batches, each item
// with the time its ballot was issued.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { el, fill, num } from '../dom.js';
import { Queue } from '../queue.js';

export async function render(main, [eid, sid], ctx) {
  const d = await get(`/api/v1/desk/elections/${eid}/stations/${sid}`, { signal: ctx.signal });
  const voters = new Set(d.voters);
  const done = new Set(d.checked_in); // confirmed by the server this round
  const elsewhere = new Map();
  for (const [st, ns] of Object.entries(d.elsewhere || {})) for (const n of ns) elsewhere.set(n, st);
  const holderOf = new Map(d.proxies.map((p) => [p.principal_roll_no, p.holder_roll_no]));
  const principalsOf = new Map();
  for (const p of d.proxies) principalsOf.set(p.holder_roll_no, [...(principalsOf.get(p.holder_roll_no) || []), p.principal_roll_no]);
  const mode = d.mobile ? 'mobile_box' : 'in_person';
  const refused = [];

  const stateBox = el('div', { class: 'queue', id: 'queue', role: 'status', 'aria-live': 'polite' });
  const counter = el('div', { class: 'card big' }, el('div', { class: 'label' }, t('desk.issued')), el('div', { class: 'value', id: 'issued' }, '0'));
  const verdict = el('div', { id: 'verdict', class: 'verdict', 'aria-live': 'assertive' }, t('desk.prompt'));
  const input = el('input', { id: 'roll', type: 'text', inputmode: 'numeric', autocomplete: 'off', 'aria-label': t('desk.roll'), class: 'roll' });
  const refusedList = el('ol', { id: 'refused', class: 'small' });

  const queued = () => new Set(q.items.map((it) => it.roll_no));
  const q = new Queue(`ledger.desk.${sid}.r${d.round}`, 'check_ins',
    (items) => ({ election_id: eid, station_id: sid, region: d.region, check_ins: items }),
    {
      onSent: (items) => { for (const it of items) done.add(it.roll_no); },
      onRefused: (it, p) => { refused.push(it); refusedList.append(el('li', {}, `${it.roll_no}：${p.zh || p.title || ''}`)); },
      onState: () => show(),
    });

  function show() {
    const waiting = q.items.length;
    counter.querySelector('.value').textContent = num(done.size + waiting);
    stateBox.dataset.waiting = waiting;
    stateBox.dataset.online = q.online ? '1' : '0';
    stateBox.className = 'queue ' + (q.online ? (waiting ? 'busy' : 'ok') : 'offline');
    fill(stateBox, q.online ? (waiting ? t('desk.sending', waiting) : t('desk.allSent')) : t('desk.offline', waiting));
  }

  // judge says whether roll number n may receive a ballot now, and how.
  function judge(n) {
    if (d.phase !== 'open') return { ok: false, code: 'polls_not_open', msg: t('desk.notOpen') };
    if (!voters.has(n)) {
      if (elsewhere.has(n)) return { ok: false, code: 'wrong_station', msg: t('desk.wrongStation', n, elsewhere.get(n)) };
      return { ok: false, code: 'not_on_roll', msg: t('desk.notOnRoll', n) };
    }
    const principals = (principalsOf.get(n) || []).filter((p) => !done.has(p) && !queued().has(p));
    const self = !done.has(n) && !queued().has(n);
    if (!self && !principals.length) return { ok: false, code: 'already_checked_in', msg: t('desk.already', n) };
    return { ok: true, n, self, principals, holder: holderOf.get(n) };
  }

  let pending = null; // the verdict awaiting Enter
  function lookup() {
    const n = Number(input.value.trim());
    if (!Number.isInteger(n) || n <= 0) { pending = null; fill(verdict, t('desk.prompt')); verdict.className = 'verdict'; return; }
    const v = judge(n);
    pending = v.ok ? v : null;
    verdict.className = 'verdict ' + (v.ok ? 'yes' : 'no');
    verdict.dataset.code = v.ok ? 'ok' : v.code;
    if (!v.ok) { fill(verdict, el('strong', {}, '✗ '), v.msg); return; }
    fill(verdict, el('strong', {}, '✓ '), v.self ? t('desk.mayIssue', n) : t('desk.selfDone', n),
      v.holder && v.self ? el('p', {}, t('desk.hasProxy', v.holder)) : null,
      v.principals.length ? el('p', {}, t('desk.holds', v.principals.join('、'))) : null,
      el('p', { class: 'muted small' }, t('desk.confirmKey')));
  }

  function confirm() {
    if (!pending) return false;
    const at = new Date().toISOString();
    if (pending.self) q.push({ roll_no: pending.n, mode, at });
    for (const p of pending.principals) q.push({ roll_no: p, mode: 'proxy', proxy_holder_roll_no: pending.n, at });
    fill(verdict, t('desk.recorded', pending.n));
    verdict.className = 'verdict done';
    verdict.dataset.code = 'queued';
    pending = null;
    input.value = '';
    return true;
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const n = Number(input.value.trim());
      if (pending && pending.n === n) confirm(); else lookup();
    } else if (e.key === 'Escape') {
      input.value = ''; pending = null; fill(verdict, t('desk.prompt')); verdict.className = 'verdict';
    }
  });
  input.addEventListener('input', () => { pending = null; });

  main.className = 'desk';
  fill(main,
    el('h1', {}, t('desk.title'), ' ', el('small', { class: 'muted' }, d.place || '', ' · ', t('election.round', d.round || d.round_open))),
    el('p', { class: 'crumbs' }, el('a', { href: '/elections/' + eid }, t('election.title')), ' · ', el('span', { class: 'code' }, sid)),
    el('div', { class: 'desk-grid' },
      el('div', {}, el('label', { for: 'roll' }, t('desk.roll')), input, verdict),
      el('div', {}, counter, el('div', { class: 'card' }, el('div', { class: 'label' }, t('desk.onList')), el('div', { class: 'value' }, num(voters.size))), stateBox)),
    el('h2', {}, t('desk.refusedTitle')), refusedList);
  show();
  input.focus();
  main.dataset.ready = 'desk';
  ctx.signal.addEventListener('abort', () => q.stop());
  if (q.items.length) q.kick(0);
}
