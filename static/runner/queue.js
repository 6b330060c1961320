// The send queue: every answer and event is kept in localStorage until the
// server acknowledges it, and sent one at a time, trials in index order
// (staircases need it).

import { round1, store } from './dom.js';
import { backoff, net, request, retryable } from './net.js';

const API = '/api/v1';

// sessionGone: the server no longer serves the session: it was deleted
// (404; 401 once its token is gone with it) or withdrawn (410).
export const sessionGone = (status) => status === 401 || status === 404 || status === 410;

export class SendQueue {
  // onGone(status) is called once when the server says the session is gone.
  constructor(session, onGone) {
    this.session = session;
    this.onGone = onGone;
    this.key = `mccollough:queue:${session.id}`;
    const saved = store.get(this.key) || {};
    this.trials = saved.trials || {}; // index -> PUT body
    this.events = saved.events || [];
    this.seq = saved.seq || 0; // events are idempotent by seq, across reloads
    this.waiters = [];
    this.running = false;
    this.dead = false; // the server no longer knows the session
    this.wakeup = null;
    addEventListener('online', () => this.wake());
  }

  save() {
    if (!this.dead) store.set(this.key, { trials: this.trials, events: this.events, seq: this.seq });
  }

  clear() {
    this.dead = true;
    this.trials = {};
    this.events = [];
    store.del(this.key);
  }

  trial(index, body) {
    this.trials[index] = body;
    this.save();
    this.kick();
  }

  event(kind, data = {}) {
    this.events.push({ seq: this.seq++, kind, t_ms: round1(performance.now()), data });
    this.save();
    this.kick();
  }

  has(index) {
    return index in this.trials;
  }

  get empty() {
    return Object.keys(this.trials).length === 0 && this.events.length === 0;
  }

  // drain: everything queued is acknowledged (retrying at once).
  drain() {
    if (this.empty) return Promise.resolve();
    const done = new Promise((resolve) => this.waiters.push(resolve));
    this.kick();
    this.wake();
    return done;
  }

  kick() {
    if (!this.running) this.run();
  }

  wake() {
    this.wakeup?.();
  }

  async run() {
    this.running = true;
    for (let attempt = 0; !this.empty && !this.dead;) {
      if (await this.sendOne()) {
        attempt = 0;
        net.report('queue', true);
        continue;
      }
      net.report('queue', false);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, backoff(attempt++));
        this.wakeup = () => { clearTimeout(timer); resolve(); };
      });
      this.wakeup = null;
    }
    this.running = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  // sendOne: true when the server took the item (or refused it for good).
  async sendOne() {
    const { id, token } = this.session;
    const index = Object.keys(this.trials).map(Number).sort((a, b) => a - b)[0];
    const batch = this.events.slice(0, 100); // more may be added while it is sent
    let r;
    try {
      if (index !== undefined) {
        r = await request('PUT', `${API}/sessions/${id}/trials/${index}`, { body: this.trials[index], token });
      } else {
        r = await request('POST', `${API}/sessions/${id}/events`, { body: { events: batch }, token });
      }
    } catch {
      return false;
    }
    if (retryable(r.status)) return false;
    if (sessionGone(r.status)) {
      this.dead = true;
      this.onGone(r.status);
      return false;
    }
    if (index !== undefined) {
      if (!r.ok) {
        this.events.push({ seq: this.seq++, kind: 'trial_rejected', t_ms: round1(performance.now()),
          data: { index, status: r.status, error: String(r.data?.error || '').slice(0, 300) } });
      }
      delete this.trials[index];
    } else {
      if (!r.ok) console.warn('events refused', r.status, r.text);
      this.events.splice(0, batch.length);
    }
    this.save();
    return true;
  }
}

let current = null; // the session's queue, once there is a session
const early = []; // events from before the session exists

// useQueue makes q the queue of logEvent, with the events logged so far.
export function useQueue(q) {
  current = q;
  for (const [kind, data] of early.splice(0)) q.event(kind, data);
  q.kick();
}

export function logEvent(kind, data = {}) {
  if (current) current.event(kind, data);
  else early.push([kind, data]);
}
