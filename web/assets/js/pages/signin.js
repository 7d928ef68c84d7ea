// Sign-in with a bearer token.

import { t } from '../i18n.js';
import { el, fill } from '../dom.js';

export async function render(main, _params, ctx) {
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const msg = el('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const form = el('form', { class: 'signin', id: 'signin', method: 'post' },
    el('h1', {}, t('signin.title')),
    el('label', { for: 'token' }, t('signin.token')), input,
    el('p', { class: 'muted' }, t('signin.help')),
    el('button', { type: 'submit', id: 'signin-submit' }, t('signin.submit')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    const next = new URLSearchParams(location.search).get('next');
    try {
      if (!(await ctx.signedIn(input.value.trim(), next))) msg.textContent = t('signin.bad');
    } catch (err) {
      msg.textContent = t('signin.fail', err.message);
    }
  });
  fill(main, form);
  input.focus();
  main.dataset.ready = 'signin';
}
