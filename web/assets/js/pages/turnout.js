// Turnout: a region's totals, its subdivisions as bars (drill down from
// the province to a community or village), a live chart of check-ins on
// election day fed by the server's turnout stream, and the elections of a
// community or village.

import { t } from '../i18n.js';
import { get, stream } from '../api.js';
import { badge, card, el, fill, errorBox, num, pct, table } from '../dom.js';
import { ancestors, defaultRegion, isRegion, known, levelName, levelOf, loadRegion, regionName } from '../regions.js';

export async function render(main, [code], ctx) {
  const region = code || defaultRegion();
  if (!isRegion(region)) throw new Error(region);
  const level = levelOf(region);
  const base = '/api/v1/turnout/regions/' + region;
  const [sum, children, series, view] = await Promise.all([
    get(base),
    level < 5 ? get(base + '/children') : Promise.resolve(null),
    get(base + '/series').catch(() => []),
    loadRegion(region),
  ]);
  if (view && !view.known && !sum.registered && !(children && children.length)) {
    fill(main, breadcrumb(region), el('h1', {}, t('region.unknown')),
      el('p', { class: 'error', role: 'alert', data: { testid: 'unknown-region' } }, t('region.unknownText', region)));
    main.dataset.ready = 'turnout';
    return;
  }
  const charts = [];
  ctx.signal.addEventListener('abort', () => charts.forEach((c) => c.dispose()));
  const cards = el('div', { class: 'cards', id: 'summary' });
  fillCards(cards, sum);
  const liveState = el('p', { class: 'live muted', id: 'live', data: { testid: 'live' } });
  const liveBox = el('div', { class: 'chart', id: 'series-chart' });
  fill(main,
    breadcrumb(region),
    el('h1', {}, regionName(region), ' ', el('small', { class: 'muted' }, (known(region) ? levelName(region) + ' · ' : '') + region)),
    cards,
    level < 5 ? childrenSection(children, charts) : electionsSection(region, ctx),
    el('section', {}, el('h2', {}, t('turnout.live')), liveState, liveBox),
  );
  const live = seriesChart(liveBox, series);
  if (live) charts.push(live);
  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize, { signal: ctx.signal });
  follow(region, ctx.signal, cards, liveState, live);
  main.dataset.ready = 'turnout';
  performance.mark('ledger:turnout-ready');
}

function breadcrumb(region) {
  return el('nav', { class: 'crumbs', 'aria-label': 'breadcrumb' },
    ancestors(region).map((c, i, all) => [i ? ' › ' : '',
      i === all.length - 1 ? el('span', {}, regionName(c)) : el('a', { href: '/turnout/' + c, data: { crumb: c } }, regionName(c))]));
}

function fillCards(cards, s) {
  fill(cards,
    card(t('turnout.registered'), num(s.registered), { data: { k: 'registered' } }),
    card(t('turnout.voted'), num(s.voted), { data: { k: 'voted' } }),
    card(t('turnout.percent'), pct(s.turnout_percent), { data: { k: 'turnout' }, class: s.validity_met ? 'card' : 'card under' }),
    card(t('turnout.inPerson'), num(s.in_person), { data: { k: 'in_person' } }),
    card(t('turnout.proxy'), num(s.proxy), { data: { k: 'proxy' } }),
    card(t('turnout.mobile'), num(s.mobile_box), { data: { k: 'mobile_box' } }),
    card(t('turnout.validity'), badge(s.validity_met, t('turnout.valid'), t('turnout.invalid')), { data: { k: 'validity' } }));
}

function childrenSection(children, charts) {
  const rows = children || [];
  if (!rows.length) return el('section', {}, el('h2', {}, t('turnout.children')), el('p', { class: 'muted' }, t('turnout.noChildren')));
  const under = rows.filter((r) => !r.validity_met).length;
  const box = el('div', { class: 'chart bars', id: 'children-chart', style: `height:${Math.max(220, rows.length * 28 + 60)}px` });
  const tbl = table([
    [t('turnout.region'), (r) => el('a', { href: '/turnout/' + r.region, data: { testid: 'child-link' } }, regionName(r.region)), 'name'],
    [t('turnout.code'), (r) => r.region, 'code'],
    [t('turnout.registered'), (r) => num(r.registered), 'n'],
    [t('turnout.voted'), (r) => num(r.voted), 'n'],
    [t('turnout.percent'), (r) => pct(r.turnout_percent), 'n'],
    [t('turnout.validity'), (r) => badge(r.validity_met, t('turnout.valid'), t('turnout.invalid')), ''],
  ], rows, (r) => ({ class: r.validity_met ? '' : 'under', data: { testid: 'child-row', region: r.region } }), { id: 'children' });
  const sec = el('section', {}, el('h2', {}, t('turnout.children')),
    under ? el('p', { class: 'warn-text', id: 'under-count' }, t('turnout.under', under)) : null,
    el('div', { class: 'split' }, box, el('div', { class: 'scroll' }, tbl)));
  queueMicrotask(() => { const c = barsChart(box, rows); if (c) charts.push(c); });
  return sec;
}

function barsChart(box, rows) {
  if (!window.echarts) return null;
  const chart = window.echarts.init(box, null, { renderer: 'canvas' });
  const data = rows.slice().reverse();
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 40, top: 36, bottom: 24, containLabel: true },
    title: { text: t('turnout.chart'), textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', data: data.map((r) => regionName(r.region)) },
    series: [{
      type: 'bar', name: t('turnout.percent'),
      data: data.map((r) => ({ value: Number(r.turnout_percent.toFixed(1)), itemStyle: { color: r.validity_met ? '#2f6f4f' : '#c0392b' } })),
      label: { show: true, position: 'right', formatter: '{c}%' },
      markLine: { silent: true, symbol: 'none', label: { show: false }, data: [{ xAxis: 50 }], lineStyle: { color: '#c0392b', type: 'dashed' } },
    }],
  });
  chart.on('click', (p) => { const r = data[p.dataIndex]; if (r) document.querySelector(`a[href="/turnout/${r.region}"]`)?.click(); });
  return chart;
}

function seriesOption(points) {
  let total = 0;
  const per = points.map((p) => [p.start, p.check_ins]);
  const cum = points.map((p) => [p.start, (total += p.check_ins)]);
  return {
    animation: false,
    grid: { left: 8, right: 8, top: 36, bottom: 24, containLabel: true },
    legend: { data: [t('turnout.checkins'), t('turnout.cumulative')] },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: [{ type: 'value', name: t('turnout.checkins') }, { type: 'value', name: t('turnout.cumulative') }],
    series: [
      { type: 'bar', name: t('turnout.checkins'), data: per, itemStyle: { color: '#5b7fa6' } },
      { type: 'line', name: t('turnout.cumulative'), yAxisIndex: 1, data: cum, showSymbol: false, itemStyle: { color: '#b5651d' } },
    ],
  };
}

function seriesChart(box, points) {
  if (!window.echarts) return null;
  const chart = window.echarts.init(box, null, { renderer: 'canvas' });
  chart.setOption(seriesOption(points || []));
  return chart;
}

// follow keeps the totals and the check-in chart current from the
// region's turnout stream: each event carries the new totals; the series
// is fetched again at most every 2 seconds.
function follow(region, signal, cards, state, chart) {
  let pending = null;
  const refresh = () => {
    if (pending || !chart) return;
    pending = setTimeout(async () => {
      pending = null;
      try { chart.setOption(seriesOption(await get(`/api/v1/turnout/regions/${region}/series`, { signal }))); } catch { /* next event retries */ }
    }, 2000);
  };
  signal.addEventListener('abort', () => clearTimeout(pending));
  let first = true;
  stream(`/api/v1/streams/turnout/regions/${region}`, signal, (ev) => {
    if (ev.event !== 'turnout') return;
    state.textContent = t('turnout.liveOn', ev.id);
    state.dataset.id = ev.id;
    try { fillCards(cards, JSON.parse(ev.data)); } catch { /* keep the last */ }
    if (!first) refresh();
    first = false;
  }, (on) => { if (!on) { state.textContent = t('turnout.liveOff'); delete state.dataset.id; } });
}

function electionsSection(region, ctx) {
  const sec = el('section', { id: 'elections' }, el('h2', {}, t('turnout.elections')));
  const input = el('input', { name: 'election', placeholder: t('turnout.electionId'), size: 30, pattern: '[0-9A-Za-z]{26}' });
  const form = el('form', { class: 'inline' }, input, el('button', { type: 'submit' }, t('turnout.open')));
  form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) ctx.navigate('/elections/' + input.value.trim()); });
  if (!ctx.caps || !ctx.caps.audit) {
    sec.append(el('p', { class: 'muted' }, t('turnout.noList')), form);
    return sec;
  }
  const list = el('div', {}, el('p', { class: 'muted' }, t('loading')));
  sec.append(list, form);
  listElections(region, ctx.signal).then((rows) => {
    fill(list, rows.length ? table([
      [t('turnout.electionId'), (r) => el('a', { href: '/elections/' + r.election_id, data: { testid: 'election-link' } }, r.election_id), 'code'],
      [t('turnout.registered'), (r) => num(r.registered), 'n'],
      [t('turnout.voted'), (r) => num(r.voted), 'n'],
      [t('turnout.percent'), (r) => pct(r.turnout_percent), 'n'],
      [t('turnout.validity'), (r) => badge(r.validity_met, t('turnout.valid'), t('turnout.invalid')), ''],
    ], rows, (r) => ({ class: r.validity_met ? '' : 'under', data: { testid: 'election-row' } })) : el('p', { class: 'muted' }, t('none')));
  }, (e) => fill(list, errorBox(e)));
  return sec;
}

// listElections finds the elections of a community or village from its
// audit trail (the API has no list of a region's elections).
async function listElections(region, signal) {
  const page = await get(`/api/v1/audit/events?region=${region}&limit=1000`, { signal });
  const ids = [...new Set((page.entries || []).filter((e) => e.aggregate_kind === 'election').map((e) => e.aggregate_id))];
  return Promise.all(ids.map((id) => get('/api/v1/turnout/elections/' + id, { signal })));
}
