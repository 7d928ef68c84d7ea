// Supervision of a region: inspections, their findings and rectification
// orders; overdue rectifications are highlighted.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { card, el, fill, num, table } from '../dom.js';
import { defaultRegion, isRegion, loadRegions, regionName } from '../regions.js';

export async function render(main, [code], ctx) {
  const region = code || defaultRegion();
  if (!isRegion(region)) throw new Error(region);
  const r = await get('/api/v1/supervision/regions/' + region, { signal: ctx.signal });
  const list = r.inspections || [];
  await loadRegions([region, ...list.map((i) => i.region)]);
  fill(main,
    el('h1', {}, t('sup.title'), ' ', el('small', { class: 'muted' }, regionName(region))),
    regionForm('/supervision/', region, ctx),
    el('div', { class: 'cards' },
      card(t('sup.open'), num(r.open)), card(t('sup.closed'), num(r.closed)), card(t('sup.findings'), num(r.findings)),
      card(t('sup.due'), num(r.rectifications_due)), card(t('sup.overdue'), num(r.overdue), { class: r.overdue ? 'card under' : 'card', data: { k: 'overdue' } })),
    list.length ? list.map(inspection) : el('p', { class: 'muted' }, t('none')));
  main.dataset.ready = 'supervision';
}

function inspection(i) {
  const findings = new Map((i.findings || []).map((f) => [f.id, f]));
  const late = (i.orders || []).some((o) => o.overdue);
  return el('article', { class: late ? 'item under' : 'item', data: { testid: 'inspection' } },
    el('h3', {}, i.title || i.id, ' ', el('small', { class: 'muted' }, regionName(i.region), ' · ', i.open ? t('sup.open') : t('sup.closed'))),
    el('p', { class: 'muted' }, t('sup.inspectors'), ': ', (i.inspectors || []).join('、')),
    (i.findings || []).length ? el('ul', {}, i.findings.map((f) => el('li', {}, el('span', { class: 'code' }, f.kind), ' ', f.summary,
      f.election_id ? [' · ', el('a', { href: '/elections/' + f.election_id }, t('election.title'))] : null))) : null,
    (i.orders || []).length ? table([
      [t('sup.finding'), (o) => (findings.get(o.finding_id) || {}).summary || o.finding_id, 'name'],
      [t('sup.responsible'), (o) => o.responsible, ''],
      [t('sup.deadline'), (o) => o.deadline, ''],
      [t('sup.reported'), (o) => (o.reported ? t('yes') : t('no')), ''],
      [t('sup.accepted'), (o) => (o.accepted ? t('yes') : t('no')), ''],
      ['', (o) => (o.overdue ? el('span', { class: 'badge warn' }, t('sup.overdue')) : ''), ''],
    ], i.orders, (o) => ({ class: o.overdue ? 'under' : '', data: { testid: o.overdue ? 'overdue-order' : 'order' } })) : null);
}

// regionForm is a small "go to region" form shared by the list pages.
export function regionForm(base, region, ctx) {
  const input = el('input', { name: 'region', value: region, size: 12, pattern: '[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}', 'aria-label': t('turnout.code') });
  const f = el('form', { class: 'inline no-print' }, el('label', {}, t('turnout.code'), ' ', input), el('button', { type: 'submit' }, t('turnout.go')));
  f.addEventListener('submit', (e) => { e.preventDefault(); ctx.navigate(base + input.value.trim()); });
  return f;
}
