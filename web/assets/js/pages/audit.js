// Audit: verification status with the latest signed checkpoint, the
// timeline of an aggregate's (or the log's) events with actor and both
// times, and receipts (inclusion proofs) checked in the browser.

import { t } from '../i18n.js';
import { get, text, ApiError } from '../api.js';
import { el, fill, errorBox, num, table, when } from '../dom.js';
import { eventLabel } from '../eventnames.js';

export async function render(main, _params, ctx) {
  if (!ctx.caps || !ctx.caps.audit) {
    // Not shown to this role; ask the API anyway so the refusal is its own.
    let err = new ApiError(403, null);
    try { await text('/api/v1/audit/checkpoint'); err = null; } catch (e) { err = e; }
    if (err) { fill(main, errorBox(err.status === 403 ? err : new ApiError(403, err.problem))); main.dataset.ready = 'refused'; return; }
  }
  const q = new URLSearchParams(location.search);
  const statusSec = el('section', { id: 'status' }, el('h2', {}, t('audit.status')), el('p', { class: 'muted' }, t('loading')));
  const timeline = el('section', { id: 'timeline' });
  const receipt = el('section', { id: 'receipt' });
  fill(main, el('h1', {}, t('audit.title')), statusSec, timeline, receipt);
  receiptForm(receipt, q.get('event') || '');
  await Promise.all([status(statusSec), showTimeline(timeline, q, ctx)]);
  main.dataset.ready = 'audit';
}

// parseCheckpoint reads a C2SP tlog-checkpoint signed note.
export function parseCheckpoint(note) {
  const [body, sigs = ''] = note.split('\n\n');
  const [origin, size, root] = body.split('\n');
  const signatures = sigs.split('\n').filter((l) => l.startsWith('— ')).map((l) => l.slice(2).split(' ')[0]);
  return { origin, size: Number(size), root, signatures };
}

async function status(sec) {
  const [cp, ready, lag, wit] = await Promise.all([
    text('/api/v1/audit/checkpoint').catch((e) => e),
    fetch('/readyz').then((r) => r.json()).catch(() => ({})),
    get('/api/v1/lag').catch(() => null),
    get('/api/v1/audit/witnesses').catch(() => null),
  ]);
  const parts = [el('h2', {}, t('audit.status'))];
  if (cp instanceof Error) {
    parts.push(cp.status === 404 ? el('p', { class: 'warn-text' }, t('audit.noCheckpoint')) : errorBox(cp));
  } else {
    const c = parseCheckpoint(cp);
    const pos = Number(ready.position || 0);
    parts.push(el('p', { id: 'covers', class: c.size >= pos ? 'ok-text' : 'warn-text' }, t('audit.covers', num(c.size), num(pos))),
      el('dl', { class: 'kv' },
        el('dt', {}, t('audit.origin')), el('dd', {}, c.origin),
        el('dt', {}, t('audit.size')), el('dd', { id: 'cp-size' }, String(c.size)),
        el('dt', {}, t('audit.root')), el('dd', { class: 'code' }, c.root),
        el('dt', {}, t('audit.signedBy')), el('dd', {}, c.signatures.join(', '))),
      el('details', {}, el('summary', {}, t('audit.checkpoint')), el('pre', { id: 'checkpoint' }, cp)));
  }
  if (wit && wit.witnesses > 0) parts.push(witnessLine(wit));
  if (Array.isArray(lag)) {
    const behind = lag.filter((l) => (l.behind ?? l.lag ?? 0) > 0);
    parts.push(el('p', { class: behind.length ? 'warn-text' : 'ok-text' },
      behind.length ? behind.map((l) => t('audit.lagBehind', l.name ?? l.projection, l.behind ?? l.lag)).join('; ') : t('audit.lagOk')));
  }
  fill(sec, ...parts);
}

// witnessLine shows the latest checkpoint's witness cosignatures against
// the quorum (GET /api/v1/audit/witnesses).
function witnessLine(w) {
  const msg = w.cannot_obtain_quorum ? t('audit.witnessNoQuorum', w.reason)
    : t('audit.witnessQuorum', w.cosigned, w.witnesses, num(w.size), w.quorum);
  return el('p', { id: 'witnesses', class: w.quorum_met ? 'ok-text' : 'warn-text', title: t('audit.witnesses') },
    msg, ' ', el('span', { class: 'muted' }, w.per_witness.map((p) => (p.cosigned ? '✓ ' : '✗ ') + p.name).join(', ')));
}

async function showTimeline(sec, q, ctx) {
  const kind = el('select', { name: 'kind' }, ['', 'election', 'station', 'consultation', 'inspection'].map((k) =>
    el('option', { value: k, selected: q.get('kind') === k }, k ? t('kind.' + k) : t('audit.all'))));
  const id = el('input', { name: 'id', value: q.get('id') || '', placeholder: t('audit.id'), size: 28 });
  const actor = el('input', { name: 'actor', value: q.get('actor') || '', placeholder: t('audit.actor'), size: 16 });
  const region = el('input', { name: 'region', value: q.get('region') || '', placeholder: t('audit.regionPrefix'), size: 12 });
  const form = el('form', { class: 'inline', id: 'audit-form' }, kind, id, actor, region, el('button', { type: 'submit' }, t('audit.search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const f of [kind, id, actor, region]) if (f.value.trim()) p.set(f.name, f.value.trim());
    ctx.navigate('/audit?' + p);
  });
  const api = new URLSearchParams();
  for (const k of ['kind', 'id', 'actor', 'region', 'after']) if (q.get(k)) api.set(k, q.get(k));
  api.set('limit', '50');
  let body;
  try {
    const page = await get('/api/v1/audit/events?' + api, { signal: ctx.signal });
    const rows = page.entries || [];
    body = [rows.length ? table([
      [t('audit.position'), (e) => String(e.position), 'n'],
      [t('audit.recordedAt'), (e) => when(e.recorded_at), 'time'],
      [t('audit.occurredAt'), (e) => when(e.occurred_at), 'time'],
      [t('audit.type'), (e) => eventLabel(e.type), ''],
      [t('audit.aggregate'), (e) => el('a', { href: `/audit?kind=${e.aggregate_kind}&id=${e.aggregate_id}` }, t('kind.' + e.aggregate_kind), ' ', el('span', { class: 'code' }, e.aggregate_id.slice(-8)), ' v' + e.version), ''],
      [t('audit.actor'), (e) => e.actor || '', ''],
      [t('audit.eventId'), (e) => el('a', { href: '/audit?' + new URLSearchParams({ ...Object.fromEntries(q), event: e.event_id }), data: { testid: 'receipt-link' } }, e.event_id), 'code'],
    ], rows, () => ({ data: { testid: 'event-row' } }), { id: 'events' }) : el('p', { class: 'muted' }, t('audit.empty')),
    page.next ? el('p', {}, el('a', { href: '/audit?' + new URLSearchParams({ ...Object.fromEntries(q), after: page.next }) }, t('audit.next'))) : null];
  } catch (e) {
    body = [errorBox(e)];
  }
  fill(sec, el('h2', {}, t('audit.timeline')), form, ...body);
}

function receiptForm(sec, initial) {
  const input = el('input', { name: 'event', value: initial, placeholder: t('audit.eventId'), size: 30, id: 'receipt-id' });
  const out = el('div', { id: 'receipt-out' });
  const form = el('form', { class: 'inline' }, input, el('button', { type: 'submit' }, t('audit.lookup')));
  const look = async () => {
    const id = input.value.trim();
    if (!id) return;
    fill(out, el('p', { class: 'muted' }, t('loading')));
    try {
      const r = await get('/api/v1/audit/receipts/' + encodeURIComponent(id));
      fill(out, await receiptView(r));
    } catch (e) {
      fill(out, errorBox(e));
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); look(); });
  fill(sec, el('h2', {}, t('audit.receipt')), form, out, el('p', { class: 'muted small' }, t('audit.sigNote')));
  if (initial) look();
}

async function receiptView(r) {
  const cp = parseCheckpoint(r.checkpoint);
  let verdict;
  try {
    await verifyInclusion(r, cp);
    verdict = el('p', { class: 'ok-text', id: 'receipt-verdict', data: { ok: '1' } }, t('audit.verified'));
  } catch (e) {
    verdict = el('p', { class: 'warn-text', id: 'receipt-verdict', data: { ok: '0' } }, t('audit.notVerified', e.message));
  }
  const e = r.event;
  return el('div', {}, verdict, el('dl', { class: 'kv' },
    el('dt', {}, t('audit.eventId')), el('dd', { class: 'code' }, e.event_id),
    el('dt', {}, t('audit.type')), el('dd', {}, eventLabel(e.type)),
    el('dt', {}, t('audit.actor')), el('dd', {}, e.actor || ''),
    el('dt', {}, t('audit.recordedAt')), el('dd', {}, when(e.recorded_at)),
    el('dt', {}, t('audit.occurredAt')), el('dd', {}, when(e.occurred_at)),
    el('dt', {}, t('audit.leaf')), el('dd', {}, String(r.leaf_index)),
    el('dt', {}, t('audit.size')), el('dd', {}, String(cp.size)),
    el('dt', {}, t('audit.proof')), el('dd', {}, String((r.inclusion_proof || []).length))),
    el('details', {}, el('summary', {}, t('audit.checkpoint')), el('pre', {}, r.checkpoint)));
}

// RFC 6962 hashing (SHA-256 with 0x00 / 0x01 domain separation).
async function sha256(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
// bytes decodes a hash given as hex text (the API's form) or as an array.
const bytes = (h) => (typeof h === 'string' ? Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16)) : Uint8Array.from(h));
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// verifyInclusion recomputes the root from the event's hash, its leaf
// index and the proof (RFC 9162 §2.1.3.2) and compares it with the
// checkpoint's root.
export async function verifyInclusion(r, cp) {
  if (r.event.position !== r.leaf_index + 1) throw new Error('leaf index does not match the position');
  let index = BigInt(r.leaf_index);
  let last = BigInt(cp.size) - 1n;
  if (index > last) throw new Error('leaf outside the tree');
  let h = await sha256(new Uint8Array([0]), bytes(r.event.hash));
  for (const p of (r.inclusion_proof || []).map(b64)) {
    if (last === 0n) throw new Error('proof too long');
    if ((index & 1n) === 1n || index === last) {
      h = await sha256(new Uint8Array([1]), p, h);
      if ((index & 1n) === 0n) while ((index & 1n) === 0n && index !== 0n) { index >>= 1n; last >>= 1n; }
    } else {
      h = await sha256(new Uint8Array([1]), h, p);
    }
    index >>= 1n; last >>= 1n;
  }
  if (last !== 0n) throw new Error('proof too short');
  if (!eq(h, b64(cp.root))) throw new Error('root mismatch');
}
