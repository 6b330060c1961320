// The steps of a plan that the participant works through: instructions,
// test blocks, the colour check, the debrief (the induction is in
// induction.js). Each fetches its fragment from the server.

import { $, clicked, message, never, round1, setState } from './dom.js';
import { clock } from './clock.js';
import { logEvent } from './queue.js';
import { autoStart, rest, restDue } from './pacing.js';
import { authorizeImages, begin, clearImages, exitFullscreen, loadImage, makeStage } from './stage.js';
import { inScope, preview, runTrial } from './trial.js';
import { adjustment, pick, tintURL, twoAFC } from './trials.js';
import { API, call, fatal, isDone, loadStep, run, saveRecord, showEnded, stepTrials } from './session.js';
import { t } from './texts.js';

export async function instructions(step) {
  const { root } = await loadStep(step);
  setState('instructions');
  await clicked($('[data-next]', root));
}

// runTest: a test block, the planned trials not yet done; a staircase asks
// the server for each next trial. A block with start_delay_ms (the post
// test) starts by itself; the others wait for the Start click.
export async function runTest(step) {
  const staircase = step.method === 'staircase';
  let next = null;
  if (staircase) {
    next = await nextStaircase(step);
    if (next.done) return;
  } else if (stepTrials(step).every(isDone)) {
    return;
  }
  const { root, data } = await loadStep(step);
  authorizeImages(run.session.token);
  const todo = data.trials.filter((trial) => !isDone(trial.index));
  const position = (trial) => trial.index - data.first_trial; // in the block, so a resumed block counts on
  const done = staircase ? position(next.trial) : data.trial_count - todo.length;
  const doneText = $('[data-done]', root);
  if (done > 0 && doneText) doneText.textContent = t('step.already_done', { n: done });
  await inScope(async (scope) => {
    const ui = {
      stage: makeStage($('canvas.stage', root), data.size_px, scope),
      prompt: $('[data-prompt]', root),
      progress: $('[data-progress]', root),
      slider: $('[data-slider]', root),
      rest: $('[data-rest]', root),
    };
    const ready = staircase ? loadImage(next.trial.stimulus_url)
      : Promise.all(todo.map((trial) => loadImage(trial.method === 'adjustment' ? tintURL(data, trial.pattern, trial.start_tint) : trial.stimulus_url)));
    const { rec } = run.session;
    if (data.start_delay_ms != null) {
      const startAt = (rec.inductionEnd ?? Date.now()) + data.start_delay_ms;
      await autoStart(root, ui.stage, startAt, ready, { step: step.index }, scope);
    } else {
      setState('loading');
      await scope.wait(ready);
      await begin(root, 'block-start', ui.stage);
    }
    const env = {
      ui, data, phaseStart: await scope.frame(), fixationMS: data.fixation_ms, feedbackMS: data.feedback_ms,
      itiMS: data.iti_ms, inductionEnd: rec.inductionEnd,
    };
    logEvent('test_start', { step: step.index, phase: step.phase, block: step.block, trials: todo.length });
    const timing = { n: 0, within: 0, dropped: 0 };
    const tally = (body) => {
      timing.n++;
      timing.dropped += body.dropped_frames;
      if (Math.abs(body.measured_ms - body.intended_ms) <= clock.period + 0.5) timing.within++;
    };
    const rested = async (trial) => {
      if (restDue(position(trial), data) && !preview.skipping) {
        await rest(ui, data.break_ms, { step: step.index, block: step.block, after: position(trial) + 1 }, scope);
      }
    };
    if (staircase) {
      while (!next.done) {
        const trial = next.trial;
        ui.progress.textContent = t('step.pattern_n', { n: position(trial) + 1 });
        const body = await runTrial(twoAFC, trial, env);
        tally(body);
        run.queue.trial(trial.index, body);
        await rested(trial);
        next = await nextStaircase(step); // the next tint depends on this answer
      }
    } else {
      for (const trial of todo) {
        ui.progress.textContent = t('step.progress', { k: position(trial) + 1, n: data.trial_count });
        const type = trial.method === 'adjustment' ? adjustment : twoAFC; // catch trials are red/green
        const body = await runTrial(type, trial, env);
        if (type === twoAFC) tally(body);
        run.queue.trial(trial.index, body);
        await rested(trial);
      }
    }
    logEvent('test_end', { step: step.index, block: step.block, ...timing, period_ms: round1(clock.period) });
  });
  clearImages();
}

async function nextStaircase(step) {
  await run.queue.drain();
  const r = await call('GET', `${API}/sessions/${run.session.id}/next?block=${step.block}`);
  if (!r.ok) {
    fatal(t('session.next_failed', { status: r.status }));
    return never();
  }
  return r.data;
}

// runScreening: the colour check; the server then scores the stored
// answers: passed goes on, failed ends the session kindly.
export async function runScreening(step) {
  const { session, queue } = run;
  if (!stepTrials(step).every(isDone)) {
    const { root, data } = await loadStep(step);
    setState('loading');
    const todo = data.trials.filter((t) => !isDone(t.index));
    await Promise.all(todo.flatMap((t) => t.patch_urls.map((url) => loadImage(url))));
    $('[data-loading]', root).hidden = true;
    $('[data-run]', root).hidden = false;
    await inScope(async (scope) => {
      const env = { root, phaseStart: await scope.frame() };
      for (const [k, trial] of todo.entries()) {
        $('[data-progress]', root).textContent = t('step.progress', { k: k + 1, n: todo.length });
        queue.trial(trial.index, await runTrial(pick, trial, env));
        await scope.sleep(300);
      }
    });
  }
  message(t('session.checking_answers'));
  setState('loading');
  await queue.drain();
  const r = await call('POST', `${API}/sessions/${session.id}/screening`);
  if (r.status === 409 && r.data?.details?.missing) {
    const st = await call('GET', `${API}/sessions/${session.id}`);
    if (st.ok) session.stored = new Set(st.data.stored);
    return runScreening(step);
  }
  if (!r.ok) return fatal(t('session.screening_failed', { status: r.status }));
  if (!r.data.passed) return showEnded();
  logEvent('screening_end', r.data);
}

// debrief resolves true when the participant chooses the reversal.
export async function debrief(step) {
  const { root } = await loadStep(step);
  exitFullscreen();
  const offer = $('[data-reversal-offer]', root);
  if (offer && run.session.rec.reversal) offer.hidden = true;
  setState('debrief');
  const choice = await Promise.race([
    clicked($('[data-finish]', root)).then(() => false),
    offer ? clicked($('[data-reversal]', offer)).then(() => true) : never(),
  ]);
  logEvent(choice ? 'reversal_chosen' : 'finish_chosen');
  if (choice) {
    run.session.rec.reversal = true;
    saveRecord();
  }
  return choice;
}
