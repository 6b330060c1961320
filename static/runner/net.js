// The network: one request helper, the retry rule and the banner that is up
// while anything fails to reach the server.

import { $, sleep } from './dom.js';
import { t } from './texts.js';

// The banner is up while any sender (queue, page request, image) fails.
export const net = {
  failing: new Set(),
  report(sender, ok) {
    if (ok) this.failing.delete(sender);
    else this.failing.add(sender);
    const b = $('#net-banner');
    b.textContent = t('runner.offline');
    b.hidden = this.failing.size === 0;
  },
};

// backoff: exponential, capped at ~10 s, jittered (no retrying in lockstep).
export const backoff = (attempt) => Math.min(10000, 400 * 2 ** attempt) * (0.75 + Math.random() / 2);

// Only a server in trouble (or a busy one) is asked again; any other 4xx
// is an answer.
export const retryable = (status) => status >= 500 || status === 408 || status === 429;

// request sends one HTTP request. It rejects only when the network fails.
export async function request(method, path, { body, token, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    keepalive: method !== 'GET', // an answer sent as the page closes still arrives
  });
  const text = await res.text();
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { data = JSON.parse(text); } catch { /* leave null */ }
  }
  return { status: res.status, ok: res.ok, data, text };
}

// reliably retries network failures and retryable statuses for ever and
// returns any other answer.
export async function reliably(method, path, opts) {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await request(method, path, opts);
      if (!retryable(r.status)) {
        net.report('request', true);
        return r;
      }
    } catch { /* offline: retry */ }
    net.report('request', false);
    await sleep(backoff(attempt));
  }
}
