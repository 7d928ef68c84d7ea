// Region codes (GB/T 2260 style: 2, 4, 6, 9 or 12 digits for province,
// city, county, township, community or village) and their names as the
// ledger's region register records them (GET /api/v1/regions/{code}, or
// its public twin without a token). Names are fetched per page: a region
// with its ancestors and children in one request, kept for the session.

import { t } from './i18n.js';
import { headers, token } from './api.js';

const lengths = [2, 4, 6, 9, 12];
const names = new Map();     // code -> name
const committees = new Map(); // code -> villagers | residents
const views = new Map();     // code -> Promise of the API's region view

// loadRegion fetches the names of code, its ancestors and its children
// (once per code) and resolves to the region view, or null when the names
// cannot be had (they are a convenience: pages show codes then).
export function loadRegion(code) {
  if (!isRegion(code)) return Promise.resolve(null);
  if (!views.has(code)) views.set(code, fetchRegion(code));
  return views.get(code);
}

async function fetchRegion(code) {
  const path = (token() ? '/api/v1/regions/' : '/api/v1/public/regions/') + code;
  try {
    const res = await fetch(path, { headers: headers() });
    if (!res.ok) { views.delete(code); return null; }
    const v = await res.json();
    for (const r of [v, ...(v.ancestors || []), ...(v.children || [])]) {
      if (r.name) names.set(r.code, r.name);
      if (r.committee) committees.set(r.code, r.committee);
    }
    return v;
  } catch {
    views.delete(code);
    return null;
  }
}

// loadRegions fetches the names of several codes (each with its
// ancestors), a few requests at a time.
export async function loadRegions(codes) {
  const todo = [...new Set(codes)].filter((c) => isRegion(c) && !names.has(c));
  for (let i = 0; i < todo.length; i += 8) await Promise.all(todo.slice(i, i + 8).map(loadRegion));
}

export function levelOf(code) { return lengths.indexOf(code.length) + 1; }

export function isRegion(code) { return /^\d+$/.test(code) && levelOf(code) > 0; }

// levelName names the level of code; at level 5 the register's committee
// kind, else the statistical code's rule: 001-199 residents' committees
// (communities), 200-399 villagers' committees.
export function levelName(code) {
  const l = levelOf(code);
  if (l !== 5) return t('level.' + l);
  const k = committees.get(code);
  if (k) return k === 'residents' ? t('level.5c') : t('level.5v');
  return Number(code.slice(9)) < 200 ? t('level.5c') : t('level.5v');
}

// known reports whether the register has a name for code.
export function known(code) { return names.has(code); }

export function regionName(code) {
  return names.get(code) || levelName(code) + ' ' + code;
}

// ancestors returns the codes from the province down to code itself.
export function ancestors(code) {
  return lengths.filter((n) => n <= code.length).map((n) => code.slice(0, n));
}

// defaultRegion is the province the dashboard opens on: Jilin (22), the
// province whose register ships with the ledger.
export function defaultRegion() { return '22'; }
