// Consultations of a region: per community, and each consultation with
// its follow-up tasks; overdue follow-ups are highlighted. A role that may
// not read the details sees the published outcomes only.

import { t } from '../i18n.js';
import { get } from '../api.js';
import { badge, el, fill, errorBox, num, pct, table, when } from '../dom.js';
import { defaultRegion, isRegion, loadRegions, regionName } from '../regions.js';
import { regionForm } from './supervision.js';

export async function render(main, [code], ctx) {
  const region = code || defaultRegion();
  if (!isRegion(region)) throw new Error(region);
  let report;
  let published = false;
  try {
    report = await get('/api/v1/consultations/regions/' + region, { signal: ctx.signal });
  } catch (e) {
    if (e.status !== 403) throw e;
    report = { communities: await get('/api/v1/resolutions/regions/' + region, { signal: ctx.signal }), consultations: [] };
    published = true;
  }
  const comms = report.communities || [];
  const list = report.consultations || [];
  await loadRegions([region, ...comms.map((c) => c.region), ...list.map((c) => c.region)]);
  const overdue = list.reduce((a, c) => a + (c.overdue_tasks || []).length, 0);
  fill(main,
    el('h1', {}, t('consult.title'), ' ', el('small', { class: 'muted' }, regionName(region))),
    regionForm('/consultations/', region, ctx),
    published ? el('p', { class: 'muted', id: 'published-only' }, t('consult.published')) : null,
    overdue ? el('p', { class: 'warn-text', id: 'overdue-count' }, t('consult.overdueCount', overdue)) : null,
    el('section', {}, el('h2', {}, t('consult.communities')), table([
      [t('turnout.region'), (c) => regionName(c.region), 'name'],
      [t('consult.count'), (c) => num(c.consultations), 'n'],
      [t('consult.meetings'), (c) => num(c.meetings), 'n'],
      [t('consult.resolutions'), (c) => num(c.resolutions), 'n'],
      [t('consult.adopted'), (c) => num(c.adopted), 'n'],
      [t('consult.openTasks'), (c) => num(c.open_tasks), 'n'],
      [t('consult.overdueTasks'), (c) => num(c.overdue_tasks), 'n'],
    ], comms, (c) => ({ class: c.overdue_tasks > 0 ? 'under' : '', data: { testid: 'community-row' } }))),
    published ? null : el('section', {}, el('h2', {}, t('consult.list')), list.length ? list.map(consultation) : el('p', { class: 'muted' }, t('none'))),
  );
  main.dataset.ready = 'consultations';
}

function consultation(c) {
  const overdue = new Set((c.overdue_tasks || []).map((x) => x.task_id));
  const outcome = !c.held ? t('consult.notHeld') : c.voted ? (c.adopted ? t('consult.adopted') : t('consult.rejected')) : (c.quorate ? t('consult.quorate') : '');
  return el('article', { class: overdue.size ? 'item under' : 'item', data: { testid: 'consultation' } },
    el('h3', {}, c.topic || c.id, ' ', el('small', { class: 'muted' }, regionName(c.region))),
    el('p', {}, t('consult.meetingAt'), ' ', when(c.meeting_at) || '—', ' · ', t('consult.participation'), ' ', pct(c.participation_percent),
      ' · ', t('consult.outcome'), ' ', outcome, ' · ', t('consult.feedback'), ' ', badge(c.feedback_published, t('yes'), t('no'))),
    (c.tasks || []).length ? table([
      [t('consult.tasks'), (x) => x.title, 'name'],
      [t('consult.owner'), (x) => x.owner, ''],
      [t('consult.deadline'), (x) => x.deadline, ''],
      ['', (x) => (x.done ? el('span', { class: 'badge ok' }, t('consult.done')) : overdue.has(x.task_id) ? el('span', { class: 'badge warn' }, t('consult.overdue')) : ''), ''],
    ], c.tasks, (x) => ({ class: overdue.has(x.task_id) ? 'under' : '', data: { testid: overdue.has(x.task_id) ? 'overdue-task' : 'task' } })) : null);
}
