// The dashboard's entry point: sign-in, what the token may see, the
// language switch and the client-side router.

import { applyStatic, lang, setLang, t } from './i18n.js';
import { headers, setToken, token } from './api.js';
import { addCSVButtons, el, errorBox, fill } from './dom.js';
import { defaultRegion } from './regions.js';

const main = document.getElementById('main');

// caps is what the signed-in token may see, from the API's "who am I"
// (the API refuses what a role may not use anyway).
let caps = null;
const CAPS_KEY = 'ledger.caps';

async function discover() {
  let res;
  try {
    res = await fetch('/api/v1/whoami', { headers: headers() });
  } catch (e) {
    throw new Error(String(e));
  }
  if (res.status === 401) return null;
  if (!res.ok) throw new Error('whoami: HTTP ' + res.status);
  const me = await res.json();
  const c = {
    audit: me.role === 'admin' || me.role === 'inspector',
    operational: me.role !== 'observer',
    admin: me.role === 'admin',
    // record: may record election-day facts (check-ins, ballots): the
    // election supervisors' role and the administrator.
    record: me.role === 'admin' || me.role === 'supervisor',
  };
  c.role = c.admin ? 'admin' : c.audit ? 'inspector' : c.operational ? 'operator' : 'observer';
  return c;
}

function showChrome() {
  for (const a of document.querySelectorAll('#nav a[data-cap]')) a.hidden = !(caps && caps[a.dataset.cap]);
  document.getElementById('signout').hidden = !caps;
  document.getElementById('who').textContent = caps ? t('role.' + caps.role) : '';
  document.getElementById('lang').textContent = t('lang.switch');
  applyStatic();
}

const routes = [
  [/^\/signin$/, () => import('./pages/signin.js')],
  [/^\/turnout(?:\/(\d+))?$/, () => import('./pages/turnout.js')],
  [/^\/elections\/([0-9A-Za-z]+)$/, () => import('./pages/election.js')],
  [/^\/audit$/, () => import('./pages/audit.js')],
  [/^\/consultations(?:\/(\d+))?$/, () => import('./pages/consultations.js')],
  [/^\/supervision(?:\/(\d+))?$/, () => import('./pages/supervision.js')],
  [/^\/public(?:\/(\d+))?$/, () => import('./pages/public.js')],
  [/^\/public\/elections\/([0-9A-Za-z]+)$/, () => import('./pages/election.js'), { public: true }],
  [/^\/desk\/([0-9A-Za-z]{26})\/([0-9A-Za-z]{26})$/, () => import('./pages/desk.js')],
  [/^\/report\/([0-9A-Za-z]{26})(?:\/([0-9A-Za-z]{26}))?$/, () => import('./pages/report.js')],
  [/^\/count\/([0-9A-Za-z]{26})\/([0-9A-Za-z]{26})(?:\/(public))?$/, () => import('./pages/count.js')],
];

let leave = null; // the current page's cleanup
let seq = 0;

export async function render() {
  const my = ++seq;
  if (leave) { leave(); leave = null; }
  let path = location.pathname;
  if (path === '/' || path === '') { history.replaceState(null, '', '/turnout/' + defaultRegion()); path = location.pathname; }
  if (!token() && path !== '/signin' && !isPublic(path)) {
    history.replaceState(null, '', '/signin?next=' + encodeURIComponent(location.pathname + location.search));
    path = '/signin';
  }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', path.startsWith('/' + a.dataset.nav));
  const route = routes.find(([re]) => re.test(path));
  main.className = '';
  delete main.dataset.ready;
  if (!route) { fill(main, el('p', { class: 'error' }, '404')); return; }
  const params = path.match(route[0]).slice(1);
  fill(main, el('p', { class: 'muted' }, t('loading')));
  try {
    const page = await route[1]();
    if (my !== seq) return;
    const ctrl = new AbortController();
    leave = () => ctrl.abort();
    await page.render(main, params, { caps, signal: ctrl.signal, navigate, signedIn, ...(route[2] || {}) });
    if (my === seq) addCSVButtons(main, path.split('/').filter(Boolean).join('-') || 'ledger');
  } catch (e) {
    if (my === seq) fill(main, errorBox(e));
  }
}

// isPublic reports whether path may be shown without signing in: the
// counting board's projector view and the public view (/public...).
function isPublic(path) { return /^\/count\/[0-9A-Za-z]{26}\/[0-9A-Za-z]{26}\/public$/.test(path) || /^\/public(\/|$)/.test(path); }

export function navigate(url, replace = false) {
  replace ? history.replaceState(null, '', url) : history.pushState(null, '', url);
  render();
}

// signedIn is called by the sign-in page with a token that authenticated.
async function signedIn(secret, next) {
  setToken(secret);
  caps = await discover();
  if (!caps) { setToken(''); return false; }
  sessionStorage.setItem(CAPS_KEY, JSON.stringify(caps));
  showChrome();
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/turnout/' + defaultRegion(), true);
  return true;
}

function signOut() {
  setToken('');
  sessionStorage.removeItem(CAPS_KEY);
  caps = null;
  showChrome();
  navigate('/signin');
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || u.pathname.startsWith('/api/') || u.pathname.startsWith('/assets/')) return;
  e.preventDefault();
  navigate(u.pathname + u.search);
});
window.addEventListener('popstate', render);
window.addEventListener('ledger:unauthorized', () => { if (location.pathname !== '/signin') signOut(); });
document.getElementById('signout').addEventListener('click', signOut);
// The menu button (phones): opens and closes the navigation; following a
// link closes it.
const menu = document.getElementById('menu');
function setMenu(open) {
  document.querySelector('header.top').classList.toggle('open', open);
  menu.setAttribute('aria-expanded', String(open));
}
menu.addEventListener('click', () => setMenu(menu.getAttribute('aria-expanded') !== 'true'));
document.getElementById('nav').addEventListener('click', (e) => { if (e.target.closest('a')) setMenu(false); });
document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  showChrome();
  render();
});

async function start() {
  setLang(lang());
  if (token()) {
    try { caps = JSON.parse(sessionStorage.getItem(CAPS_KEY) || 'null'); } catch { caps = null; }
    if (!caps) { caps = await discover().catch(() => null); if (!caps) setToken(''); }
  }
  showChrome();
  await render();
}

start();
