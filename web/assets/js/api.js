// The HTTP API client: the bearer token lives in sessionStorage (this tab
// only) and goes with every request as Authorization: Bearer.

import { lang } from './i18n.js';

const KEY = 'ledger.token';

export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(s) { s ? sessionStorage.setItem(KEY, s) : sessionStorage.removeItem(KEY); }

// ApiError is a refused or failed request, with the problem+json body.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (lang() === 'en' ? problem.en : problem.zh)) || (problem && problem.title) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get forbidden() { return this.status === 403; }
}

export function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const tok = token();
  if (tok) h.Authorization = 'Bearer ' + tok;
  return h;
}

// raw fetches path with the token and returns the Response, throwing
// ApiError for any status other than 2xx.
export async function raw(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: headers(opts.headers) });
  if (!res.ok) {
    let p = null;
    try { p = await res.json(); } catch { /* not JSON */ }
    if (res.status === 401) window.dispatchEvent(new CustomEvent('ledger:unauthorized'));
    throw new ApiError(res.status, p);
  }
  return res;
}

export async function get(path, opts) { return (await raw(path, opts)).json(); }
export async function text(path, opts) { return (await raw(path, opts)).text(); }

// stream reads the server-sent events of path (EventSource cannot send
// the bearer token, so this is fetch with a streamed body) and calls
// onEvent({id, event, data}) for each. It reconnects after a drop, with
// Last-Event-ID, until signal aborts; onState(true|false) tells whether
// it is connected.
export async function stream(path, signal, onEvent, onState = () => {}) {
  let last = '';
  while (!signal.aborted) {
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (last) h['Last-Event-ID'] = last;
      const res = await fetch(path, { headers: h, signal, cache: 'no-store' });
      if (!res.ok) throw new ApiError(res.status, null);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = parseEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (ev) { if (ev.id) last = ev.id; onEvent(ev); }
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) { onState(false); return; }
    }
    onState(false);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function parseEvent(block) {
  const ev = { id: '', event: 'message', data: '' };
  let any = false;
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const c = line.indexOf(':');
    const k = c < 0 ? line : line.slice(0, c);
    const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
    if (k === 'data') { ev.data += (ev.data ? '\n' : '') + v; any = true; }
    else if (k === 'id') ev.id = v;
    else if (k === 'event') ev.event = v;
  }
  return any ? ev : null;
}
