// Small DOM helpers: elements are built with el(), never from HTML
// strings, so that no recorded text is ever parsed as markup.

import { locale, t } from './i18n.js';

// el(tag, attrs, ...children): attrs keys starting with "on" are listeners,
// "class" sets className, "data" an object of data-* attributes.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function num(n) { return Number(n || 0).toLocaleString(locale()); }
export function pct(p) { return Number(p || 0).toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + '%'; }

const tz = { timeZone: 'Asia/Shanghai' };
export function when(s) {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2) return '';
  return d.toLocaleString(locale(), { ...tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

// table builds a table: cols are [label, fn(row) -> cell content, class?];
// rowAttrs(row) gives each row's attributes.
export function table(cols, rows, rowAttrs = () => ({}), attrs = {}) {
  return el('table', attrs,
    el('thead', {}, el('tr', {}, cols.map(([label, , cls]) => el('th', { class: cls }, label)))),
    el('tbody', {}, rows.map((r) => el('tr', rowAttrs(r), cols.map(([, fn, cls]) => el('td', { class: cls }, fn(r)))))));
}

export function card(label, value, attrs = {}) {
  return el('div', { class: 'card', ...attrs }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
}

export function badge(ok, yes, no) { return el('span', { class: ok ? 'badge ok' : 'badge warn' }, ok ? yes : no); }

export function errorBox(e) {
  if (e && e.status === 403) {
    return el('section', { class: 'refused', data: { testid: 'refused' } },
      el('h2', {}, t('refused.title')), el('p', {}, t('refused.text')), el('p', { class: 'muted' }, t('refused.api', e.message)));
  }
  return el('p', { class: 'error', role: 'alert' }, t('error.load', e && e.message ? e.message : String(e)));
}

export function link(href, ...children) { return el('a', { href }, ...children); }

// fill replaces the children of e (arrays are flattened; null, undefined
// and false are skipped, unlike Element.replaceChildren).
export function fill(e, ...children) {
  e.replaceChildren();
  append(e, children);
  return e;
}

// tableCSV returns a table's text as CSV (RFC 4180, CRLF) with a UTF-8
// byte order mark, so that Excel opens the Chinese text as it is.
export function tableCSV(tbl) {
  const q = (s) => (/[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
  const rows = [...tbl.rows].map((r) => [...r.cells].map((c) => q(c.innerText.trim())).join(','));
  return '\uFEFF' + rows.join('\r\n') + '\r\n';
}

// addCSVButtons puts an "export CSV" button before every table under root
// (except printed sheets); the file is named after the page and table.
export function addCSVButtons(root, name) {
  [...root.querySelectorAll('table')].filter((tb) => !tb.closest('.sheet, .paper')).forEach((tb, i) => {
    const b = el('button', { type: 'button', class: 'csv no-print', data: { testid: 'csv' }, onclick: () => {
      const url = URL.createObjectURL(new Blob([tableCSV(tb)], { type: 'text/csv;charset=utf-8' }));
      const a = el('a', { href: url, download: `${name}-${tb.id || i + 1}.csv` });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } }, t('csv.export'));
    tb.before(b);
  });
}
