// The induction: the coloured patterns alternate on the schedule's frames.
// Only time the stage was really out of sight (sight.js) counts as away: an
// interruption longer than restart_after_ms (the definition's
// induction.max_gap_s), or a reload, starts it again from the beginning,
// and the overlay says so. A platform dialog only holds it.

import { $, clicked, round1, setState } from './dom.js';
import { clock } from './clock.js';
import { logEvent } from './queue.js';
import { sight } from './sight.js';
import { begin, clearImages, enterFullscreen, images, loadImage, makeStage } from './stage.js';
import { inScope, preview } from './trial.js';
import { loadStep, run, saveRecord } from './session.js';
import { t } from './texts.js';

const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

export async function runInduction(step) {
  const { root, data } = await loadStep(step);
  const { session } = run;
  await inScope(async (scope) => {
    const ui = {
      stage: makeStage($('canvas.stage', root), data.size_px, scope),
      countdown: $('[data-countdown]', root),
      bar: $('[data-progressbar]', root),
      overlay: $('[data-paused]', root),
      title: $('[data-paused] h2', root),
      text: $('[data-paused-message]', root),
      resume: $('[data-resume]', root),
    };
    setState('loading');
    await Promise.all(Object.values(data.stimulus_urls).map((url) => loadImage(url)));
    await begin(root, 'induction-start', ui.stage);
    if (session.rec.started[step.index]) logEvent('induction_restart', { step: step.index, reason: 'reload' });
    session.rec.started[step.index] = true;
    saveRecord();
    for (let attempt = 1; ; attempt++) {
      logEvent('induction_start', { step: step.index, phase: step.phase, attempt });
      sight.settle(); // the Start or Continue click: the participant is here
      setState('induction');
      const r = await play(ui, data, step, scope);
      if (r.done) {
        logEvent('induction_end', { step: step.index, attempt, frames: r.frames, dropped_frames: r.dropped,
          measured_ms: round1(r.measured), intended_ms: data.schedule.duration_ms });
        // The post test's since_induction_ms counts from here (wall clock:
        // a reload in between keeps it).
        session.rec.inductionEnd = performance.timeOrigin + r.end;
        break;
      }
      logEvent('induction_restart', { step: step.index, reason: r.reason, reasons: r.reasons, away_ms: Math.round(r.away) });
    }
  });
  session.rec.inductions[step.index] = true;
  saveRecord();
  clearImages();
}

// interruption tracks one interruption at a time: the time out of sight,
// from the first cause until the stage can be seen again. It also logs
// each hold by a dialog when it ends (even one shorter than a frame).
// stop() ends the tracking.
function interruption(stepIndex) {
  const it = { active: false, causes: new Set(), gap: 0, since: 0 };
  let heldSince = 0, holder = '';
  const update = () => {
    const now = performance.now();
    if (sight.held && !heldSince) {
      [heldSince, holder] = [now, sight.held];
    } else if (!sight.held && heldSince) {
      logEvent('induction_hold', { step: stepIndex, reason: holder, held_ms: Math.round(now - heldSince) });
      heldSince = 0;
    }
    if (sight.away) {
      for (const r of sight.reasons) it.causes.add(r);
    }
    if (sight.away && !it.since) {
      it.since = now;
      if (!it.active) {
        it.active = true;
        logEvent('induction_pause', { step: stepIndex, reason: sight.reasons[0] });
      }
    } else if (!sight.away && it.since) {
      it.gap += now - it.since;
      it.since = 0;
    }
  };
  it.stop = sight.watch(update);
  it.away = () => it.gap + (it.since ? performance.now() - it.since : 0);
  // reason: the gravest cause seen (a minimised window blurs first).
  it.reason = () => ['hidden', 'fullscreen_exit', 'blur'].find((r) => it.causes.has(r));
  it.reset = () => Object.assign(it, { active: false, causes: new Set(), gap: 0, since: 0 });
  update();
  return it;
}

// change resolves at the next change of sight.
const change = (scope) => scope.wait(new Promise((resolve) => {
  const stop = sight.watch(() => { stop(); resolve(); });
}));

// pauseScreen shows the overlay until the participant is back and presses
// Continue; its text follows the time away as it grows.
async function pauseScreen(ui, it, limit, scope) {
  setState('induction-paused');
  ui.overlay.hidden = false;
  const say = () => {
    const restart = it.away() > limit;
    ui.title.textContent = t(restart ? 'step.restart_title' : 'step.paused_title');
    ui.text.textContent = restart ? t('step.restart_text', { n: Math.round(it.away() / 1000) })
      : t('step.paused_text', { n: Math.round(limit / 1000) });
  };
  say();
  const timer = setInterval(say, 250);
  const unwatch = sight.watch(say); // at once when the participant is back
  const done = () => { clearInterval(timer); unwatch(); };
  scope.defer(done);
  ui.resume.focus();
  await scope.wait(clicked(ui.resume));
  await enterFullscreen();
  sight.settle();
  done();
  ui.overlay.hidden = true;
  setState('induction');
}

// play shows the schedule's frames at their planned frame counts. Out of
// sight or held, the induction's clock stops and the stage is blank.
async function play(ui, data, step, scope) {
  const it = interruption(step.index);
  scope.defer(it.stop);
  try {
    return await frames(ui, data, step, scope, it);
  } finally {
    it.stop();
  }
}

async function frames(ui, data, step, scope, it) {
  const { frames: plan, duration_ms: total } = data.schedule;
  const starts = plan.map((f) => Math.round(f.start_ms / clock.period));
  const end = clock.frames(total);
  const limit = data.restart_after_ms;
  ui.bar.max = end;
  let t0 = await scope.frame();
  let ts = t0, k = -1, callbacks = 0, left = -1;
  for (;;) {
    if (it.active || sight.held) {
      const at = ts;
      ui.stage.blank();
      k = -1;
      while (sight.held) await change(scope); // a dialog, then any pause during it
      if (it.active) {
        await pauseScreen(ui, it, limit, scope);
        const away = it.away(), reason = it.reason(), reasons = [...it.causes];
        it.reset();
        if (away > limit) return { done: false, away, reason, reasons };
        logEvent('induction_resume', { step: step.index, away_ms: Math.round(away), reasons });
      }
      ts = await scope.frame();
      t0 += ts - at; // the interruption does not count towards the induction
    }
    const e = clock.elapsed(ts, t0);
    // A preview's skip ends it.
    if (e >= end || preview.skipping) {
      ui.stage.blank();
      return { done: true, frames: e, dropped: Math.max(0, e - callbacks), measured: ts - t0, end: ts };
    }
    let nk = Math.max(k, 0);
    while (nk + 1 < starts.length && starts[nk + 1] <= e) nk++;
    if (nk !== k) {
      k = nk;
      const f = plan[k];
      ui.stage.image(images.get(data.stimulus_urls[`${f.pattern}/${f.color}`]).img);
      ui.stage.fixation(f.fixation_x, f.fixation_y);
    }
    callbacks++;
    const secs = Math.ceil(((end - e) * clock.period) / 1000);
    if (secs !== left) {
      left = secs;
      ui.countdown.textContent = mmss(secs);
      ui.bar.value = e;
    }
    ts = await scope.frame();
  }
}
