// The session as this page knows it: the boot data, the session (id, token,
// plan, what the server has stored), its record in localStorage (so a
// reload resumes), the screens that end a session, and the step fragments
// the server renders.

import { boot } from './boot.js';
import { $, never, page, setState, show, store } from './dom.js';
import { reliably } from './net.js';
import { SendQueue, sessionGone, useQueue } from './queue.js';
import { exitFullscreen } from './stage.js';
import { endAll } from './trial.js';
import { learn, t } from './texts.js';

export const API = '/api/v1';
export { boot };
export const params = Object.fromEntries(new URLSearchParams(location.search));
// As experiments.ParticipantRef picks it.
const pid = params.PROLIFIC_PID || params.pid || params.PID || params.participant || params.participant_id || '';

// run: session is { id, token, plan, stored: Set, rec }; queue its SendQueue.
export const run = { session: null, queue: null };

export function recordKey() {
  return `mccollough:${boot.slug}:${boot.preview ? '(preview)' : pid}`;
}

export function saveRecord() {
  store.set(recordKey(), run.session.rec);
}

export const isDone = (index) => run.session.stored.has(index) || run.queue.has(index);

export function stepTrials(step) {
  if (step.kind !== 'test' && step.kind !== 'screening') return [];
  return Array.from({ length: step.trial_count }, (_, k) => step.first_trial + k);
}

export function startQueue() {
  run.queue = new SendQueue(run.session, sessionEnded);
  useQueue(run.queue);
  page.withdrawable = true;
}

// fatal stops whatever runs and says why.
export function fatal(text) {
  endAll();
  exitFullscreen();
  $('#fatal-message').textContent = text;
  show('fatal');
  setState('error');
}

// sessionEnded: the server no longer serves this session (sessionGone):
// nothing is retried or sent any more, and the page says why. Reopening
// the link shows a withdrawal's confirmation, or starts afresh.
export function sessionEnded(status) {
  endAll();
  run.queue?.clear();
  exitFullscreen();
  if (status !== 410) store.del(recordKey());
  $('#gone-withdrawn').hidden = status !== 410;
  $('#gone-deleted').hidden = status === 410;
  show('gone');
  setState('gone');
}

// call makes a request of the session's own (its token), retried while the
// server is unreachable or in trouble; a session the server no longer
// serves ends here.
export async function call(method, path, opts = {}) {
  const r = await reliably(method, path, { ...opts, token: run.session.token });
  if (sessionGone(r.status)) {
    sessionEnded(r.status);
    return never();
  }
  return r;
}

// loadFragment puts a fragment in place of #step; it returns it with its JSON data.
export async function loadFragment(path) {
  const r = await call('GET', path, { accept: 'text/html' });
  if (!r.ok) {
    fatal(t('session.step_failed', { status: r.status }));
    return never();
  }
  const doc = new DOMParser().parseFromString(r.text, 'text/html');
  const section = document.adoptNode(doc.getElementById('step'));
  document.getElementById('step').replaceWith(section);
  const json = $('#step-data', section);
  const data = json ? JSON.parse(json.textContent) : null;
  if (data?.texts) learn(data.texts);
  show('step');
  return { root: section, data };
}

export const loadStep = (step) => loadFragment(`/s/${boot.slug}/sessions/${run.session.id}/steps/${step.index}`);

// showEnded: why a withdrawn or screened-out session stopped (also when its
// link is reopened); starting again is the participant's choice.
export async function showEnded() {
  run.queue?.clear();
  const { root } = await loadFragment(`/s/${boot.slug}/sessions/${run.session.id}/ended`);
  exitFullscreen();
  setState('ended');
  $('[data-restart]', root)?.addEventListener('click', () => {
    store.del(recordKey());
    location.reload();
  });
  return never();
}
