// Region codes (GB/T 2260 style: 2, 4, 6, 9 or 12 digits for province,
// city, county, township, community or village) and their names, where
// the dashboard knows them (regions.json, built into the binary).

import { t } from './i18n.js';

const lengths = [2, 4, 6, 9, 12];
let names = {};

export async function loadNames() {
  try {
    const res = await fetch(new URL('../regions.json', import.meta.url));
    if (res.ok) names = await res.json();
  } catch { /* names are a convenience */ }
}

export function levelOf(code) { return lengths.indexOf(code.length) + 1; }

export function isRegion(code) { return /^\d+$/.test(code) && levelOf(code) > 0; }

// levelName names the level of code; at level 5, codes 001-199 are
// residents' committees (communities), 200-399 villagers' committees.
export function levelName(code) {
  const l = levelOf(code);
  if (l === 5) return Number(code.slice(9)) < 200 ? t('level.5c') : t('level.5v');
  return t('level.' + l);
}

export function regionName(code) {
  if (names[code]) return names[code];
  return levelName(code) + ' ' + code;
}

// ancestors returns the codes from the province down to code itself.
export function ancestors(code) {
  return lengths.filter((n) => n <= code.length).map((n) => code.slice(0, n));
}

// defaultRegion is the province the dashboard opens on.
export function defaultRegion() { return Object.keys(names).find((k) => k.length === 2) || '22'; }
