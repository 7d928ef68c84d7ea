// The public view, without a token: a region's turnout and its
// subdivisions, an election by ID (its declared results and notice), the
// latest signed checkpoint, and a receipt checked in the browser. It reads
// /api/v1/public/..., which gives only what the law makes public.

import { t } from '../i18n.js';
import { get, text } from '../api.js';
import { card, el, fill, errorBox, num, pct, table } from '../dom.js';
import { regionName, defaultRegion, loadRegion } from '../regions.js';
import { parseCheckpoint, verifyInclusion } from './audit.js';

export async function render(main, [region = defaultRegion()], ctx) {
  const [sum, kids] = await Promise.all([
    get('/api/v1/public/turnout/regions/' + region, { signal: ctx.signal }),
    get('/api/v1/public/turnout/regions/' + region + '/children', { signal: ctx.signal }).catch(() => []),
    loadRegion(region),
  ]);
  const eid = el('input', { id: 'public-election', placeholder: t('turnout.electionId'), size: 30 });
  const rid = el('input', { id: 'public-event', placeholder: t('audit.eventId'), size: 30 });
  const out = el('div', { id: 'public-receipt' });
  const cpBox = el('pre', { id: 'public-checkpoint', class: 'small' });
  fill(main,
    el('h1', {}, t('public.title'), ' · ', regionName(region)),
    el('p', { class: 'muted' }, t('public.note')),
    el('div', { class: 'cards', id: 'summary' },
      card(t('turnout.registered'), num(sum.registered), { data: { k: 'registered' } }),
      card(t('turnout.voted'), num(sum.voted), { data: { k: 'voted' } }),
      card(t('turnout.percent'), pct(sum.turnout_percent), { data: { k: 'turnout' } })),
    kids.length ? el('div', { class: 'scroll-x' }, table([
      [t('turnout.region'), (k) => el('a', { href: (k.region.length < 12 ? '/public/' : '/public/') + k.region }, regionName(k.region)), ''],
      [t('turnout.registered'), (k) => num(k.registered), 'n'],
      [t('turnout.voted'), (k) => num(k.voted), 'n'],
      [t('turnout.percent'), (k) => pct(k.turnout_percent), 'n'],
    ], kids, (k) => ({ data: { region: k.region } }), { id: 'children' })) : null,
    el('h2', {}, t('public.election')),
    el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); if (eid.value.trim()) ctx.navigate('/public/elections/' + eid.value.trim()); } },
      eid, el('button', { type: 'submit' }, t('turnout.open'))),
    el('h2', {}, t('audit.receipt')),
    el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); check(rid.value.trim(), out); } },
      rid, el('button', { type: 'submit', id: 'public-check' }, t('audit.lookup'))),
    out,
    el('h2', {}, t('audit.checkpoint')), cpBox);
  text('/api/v1/public/checkpoint', { signal: ctx.signal }).then((n) => { cpBox.textContent = n; }, () => { cpBox.textContent = t('audit.noCheckpoint'); });
  main.dataset.ready = 'public';
}

async function check(id, out) {
  if (!id) return;
  try {
    const r = await get('/api/v1/public/receipts/' + encodeURIComponent(id));
    let ok = true, why = '';
    try { await verifyInclusion(r, parseCheckpoint(r.checkpoint)); } catch (e) { ok = false; why = e.message; }
    fill(out, el('p', { class: ok ? 'ok-text' : 'warn-text', id: 'public-verdict', data: { ok: ok ? '1' : '0' } },
      ok ? t('audit.verified') : t('audit.notVerified', why)), el('p', {}, r.event.type, ' · ', r.event.event_id));
  } catch (e) {
    fill(out, errorBox(e));
  }
}
