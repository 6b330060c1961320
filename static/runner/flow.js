// The flow through a session's plan: from a step to the end, resuming
// after a reload, and finishing (the completion code, once the server has
// every answer).

import { $, clicked, message, round1, setDark, setState, show } from './dom.js';
import { clock, measureRefresh } from './clock.js';
import { logEvent } from './queue.js';
import { exitFullscreen } from './stage.js';
import { preview } from './trial.js';
import { runInduction } from './induction.js';
import { debrief, instructions, runScreening, runTest } from './steps.js';
import {
  API, boot, call, fatal, isDone, loadFragment, run, saveRecord, showEnded, startQueue, stepTrials,
} from './session.js';
import { learn, t } from './texts.js';

export const afterCheck = () => run.session.plan.steps.findIndex((s) => s.kind === 'screen_check') + 1;

// adapting: the steps from the start of the induction to the end of the
// post test, whose every screen is dark (setDark).
const adapting = (step) => (step.kind === 'induction' && step.phase === 'induction') ||
  (step.kind === 'test' && step.phase === 'post');

export async function runFrom(index) {
  const steps = run.session.plan.steps;
  for (const step of steps.slice(index)) {
    setDark(adapting(step));
    preview.armStep(step.kind !== 'instructions' && step.kind !== 'debrief');
    switch (step.kind) {
      case 'screening':
        await runScreening(step);
        break;
      case 'instructions':
        await instructions(step);
        break;
      case 'test':
        // An optional test (a follow-up retest) belongs to a later visit.
        if (!step.optional) await runTest(step);
        break;
      case 'induction':
        // The reversal is offered from the debrief.
        if (step.phase !== 'reversal') await runInduction(step);
        break;
      case 'debrief':
        if (await debrief(step)) {
          preview.armStep(true);
          await runInduction(steps.find((s) => s.kind === 'induction' && s.phase === 'reversal'));
        }
        return finish();
    }
  }
  return finish();
}

// resume continues a session after a reload or a reopened link, at the
// first step whose answers are not all stored (or queued). checkAgain runs
// the consent and screen check of a fresh preview.
export async function resume(rec, state, checkAgain) {
  learn(state.texts);
  run.session = { id: rec.id, token: rec.token, plan: state.plan, stored: new Set(state.stored), rec };
  rec.inductions ||= {};
  rec.started ||= {};
  if (state.status === 'complete') return showFinished(false);
  if (/withdrawn|screened_out/.test(state.status)) return showEnded();
  if (state.status !== 'started') return fatal(t('session.ended'));
  startQueue();
  if (rec.fresh) {
    // A preview begins with the consent, as participants do.
    delete rec.fresh;
    rec.hz = (await checkAgain()).refresh_hz;
    saveRecord();
    return runFrom(afterCheck());
  }
  const from = resumePoint();
  const first = run.session.plan.steps[from];
  setDark(adapting(first));
  message(t('session.checking_screen'));
  setState('loading');
  const m = await measureRefresh(60);
  clock.period = m.stable ? m.period : 1000 / (rec.hz || 60);
  logEvent('resume', { step: from, stored: state.stored.length, hz: round1(1000 / clock.period) });
  if (first.kind !== 'instructions') {
    $('#welcome-induction').hidden = !(first.kind === 'induction' && rec.started[from]);
    show('welcome-back');
    setState('welcome-back');
    await clicked($('#welcome-continue'));
  }
  return runFrom(from);
}

function resumePoint() {
  const { steps } = run.session.plan;
  const { inductions } = run.session.rec;
  const progress = (i) => steps.some((s) => s.index >= i && (stepTrials(s).some(isDone) || inductions[s.index]));
  for (const s of steps) {
    if (s.kind === 'screening' && !progress(s.index + 1)) return s.index;
    if (s.kind === 'instructions' && !progress(s.index)) return s.index;
    if (s.kind === 'test' && !s.optional && !progress(s.index + 1)) {
      // A staircase block reserves more slots than it may use: runTest asks
      // the server whether it is finished.
      if (s.method === 'staircase' || !stepTrials(s).every(isDone)) return s.index;
    }
    if (s.kind === 'induction' && s.phase !== 'reversal' && !inductions[s.index] && !progress(s.index + 1)) return s.index;
    if (s.kind === 'debrief') return s.index;
  }
  return steps.length - 1;
}

// finish: the completion code (and redirect) once the server has every answer.
async function finish() {
  const { session, queue } = run;
  setDark(false);
  message(t('session.saving'));
  setState('finishing');
  await queue.drain();
  const r = await call('POST', `${API}/sessions/${session.id}/complete`);
  if (r.ok) return showFinished(!boot.preview);
  const missing = r.status === 409 && r.data?.details?.missing;
  if (missing?.length) {
    // Back to the first step that still needs answers.
    logEvent('complete_missing', { missing: missing.slice(0, 50) });
    const st = await call('GET', `${API}/sessions/${session.id}`);
    if (st.ok) session.stored = new Set(st.data.stored);
    const step = session.plan.steps.find((s) => stepTrials(s).includes(missing[0]));
    if (step) return runFrom(step.index);
  }
  return fatal(t('session.complete_failed', { detail: r.data?.error || `HTTP ${r.status}` }));
}

async function showFinished(redirect) {
  const { session } = run;
  const { root } = await loadFragment(`/s/${boot.slug}/sessions/${session.id}/finished`);
  exitFullscreen();
  setState('finished');
  const code = $('#completion-code', root).textContent;
  $('[data-copy]', root).addEventListener('click', () => {
    navigator.clipboard?.writeText(code).then(
      () => { $('[data-copied]', root).textContent = t('session.copied'); },
      () => { $('[data-copied]', root).textContent = t('session.copy_by_hand'); });
  });
  const ret = $('[data-return]', root);
  if (ret) ret.textContent = `${location.origin}${location.pathname}${location.search}#resume=${session.id}.${session.token}`;
  const followup = $('[data-followup]', root);
  if (followup) {
    // The later visit: the follow-up retest, then this page again.
    await clicked(followup);
    if (!run.queue) startQueue();
    logEvent('followup_start');
    await runTest(session.plan.steps.find((s) => s.phase === 'followup' && s.kind === 'test'));
    await run.queue.drain();
    return showFinished(false);
  }
  const link = $('[data-redirect]', root);
  if (redirect && link) {
    link.insertAdjacentText('afterend', ' (this happens by itself in a few seconds)');
    setTimeout(() => location.assign(link.href), 3000);
  }
}
