// A queue of commands that survives a dropped connection and a reload: the
// items wait in localStorage and are sent in order, in batches, each batch
// with a command ID made when the batch is formed and kept until the
// server answers, so that a retry never records anything twice.

import { headers } from './api.js';
import { ulid } from './ulid.js';

// Queue sends items of one kind (check_ins or record_ballots) for one
// station. build(items) returns the command body of a batch; onSent(items,
// response) and onRefused(item, problem) report the outcome; onState() is
// called whenever the queue's state changes.
export class Queue {
  // A batch goes at once when batchAt items wait, else delay ms after the
  // last push (so that the last ballots may be corrected before they go).
  constructor(key, commandType, build, { max = 100, batchAt = 1, delay = 0, onSent = () => {}, onRefused = () => {}, onState = () => {} } = {}) {
    Object.assign(this, { key, commandType, build, max, batchAt, delay, onSent, onRefused, onState });
    const saved = JSON.parse(localStorage.getItem(key) || 'null') || { items: [], batch: null };
    this.items = saved.items; // waiting, in order
    this.batch = saved.batch; // { id, n }: the first n items, in flight under command ID id
    this.online = true;
    this.sending = false;
    this.lastError = '';
    this.timer = null;
  }

  save() { localStorage.setItem(this.key, JSON.stringify({ items: this.items, batch: this.batch })); }

  push(item) {
    this.items.push(item);
    this.save();
    this.onState();
    if (!this.sending) this.kick(this.unsent().length >= this.batchAt ? 0 : this.delay);
  }

  // flush sends whatever waits now.
  flush() { if (!this.sending) this.kick(0); }

  // unsent returns the items not yet in a batch (they may still be changed).
  unsent() { return this.items.slice(this.batch ? this.batch.n : 0); }

  // drop removes the last item if it is not yet in a batch.
  dropLast() {
    if (this.items.length <= (this.batch ? this.batch.n : 0)) return null;
    const it = this.items.pop();
    this.save();
    this.onState();
    return it;
  }

  kick(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), delay);
  }

  stop() { clearTimeout(this.timer); this.stopped = true; }

  async send() {
    if (this.sending || this.stopped || !this.items.length) return;
    this.sending = true;
    if (!this.batch) { this.batch = { id: ulid(), n: Math.min(this.max, this.items.length) }; this.save(); }
    const items = this.items.slice(0, this.batch.n);
    let res;
    try {
      res = await fetch('/api/v1/commands/' + this.commandType, {
        method: 'POST', body: JSON.stringify(this.build(items)),
        headers: headers({ 'Content-Type': 'application/json', 'Idempotency-Key': this.batch.id, 'Occurred-At': new Date().toISOString() }),
      });
    } catch (e) {
      return this.retry(String(e));
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) return this.retry('HTTP ' + res.status);
    const body = await res.json().catch(() => ({}));
    if (body.code === 'command_in_progress') return this.retry(body.code);
    this.sending = false;
    this.online = true;
    this.lastError = '';
    if (res.ok) {
      this.items.splice(0, items.length);
      this.batch = null;
      this.save();
      this.onSent(items, body);
    } else {
      // The batch is atomic: the item the server names is refused, the
      // others go again in a new batch.
      const m = /^(?:check-in|ballot) (\d+):/.exec(body.en || '');
      const i = m ? Number(m[1]) - 1 : 0;
      const [bad] = this.items.splice(i, 1);
      this.batch = null;
      this.save();
      this.onRefused(bad, body);
      if (res.status === 401 || res.status === 403) { this.stop(); this.onState(); return; }
    }
    this.onState();
    if (this.items.length) this.kick(this.unsent().length >= this.batchAt ? 0 : this.delay);
  }

  retry(why) {
    this.sending = false;
    this.online = false;
    this.lastError = why;
    this.onState();
    this.kick(1000);
  }
}
