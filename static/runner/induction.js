// The induction: the coloured patterns alternate on the schedule's frames.
// Leaving the page or full screen pauses it; an interruption longer than
// restart_after_ms (or a reload) starts it again from the beginning.

import { $, clicked, round1, setState } from './dom.js';
import { clock } from './clock.js';
import { logEvent } from './queue.js';
import { begin, clearImages, enterFullscreen, images, loadImage, makeStage } from './stage.js';
import { inScope, preview } from './trial.js';
import { loadStep, run, saveRecord } from './session.js';
import { t } from './texts.js';

let playing = null; // while an induction plays: { pause(reason), back() }

// pauseInduction / inductionBack: the page was left / is back.
export const pauseInduction = (reason) => playing?.pause(reason);
export const inductionBack = () => playing?.back();

// watchPage records leaving the tab and full screen, which pause an induction.
export function watchPage() {
  document.addEventListener('visibilitychange', () => {
    logEvent(document.hidden ? 'hidden' : 'visible', { state: document.body.dataset.state });
    if (document.hidden) pauseInduction('hidden');
    else inductionBack();
  });
  document.addEventListener('fullscreenchange', () => {
    const on = !!document.fullscreenElement;
    logEvent(on ? 'fullscreen_enter' : 'fullscreen_exit', { state: document.body.dataset.state });
    if (!on) pauseInduction('fullscreen_exit');
  });
}

const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

export async function runInduction(step) {
  const { root, data } = await loadStep(step);
  const { session } = run;
  await inScope(async (scope) => {
    scope.defer(() => { playing = null; });
    const ui = {
      stage: makeStage($('canvas.stage', root), data.size_px, scope),
      countdown: $('[data-countdown]', root),
      bar: $('[data-progressbar]', root),
      overlay: $('[data-paused]', root),
      overlayText: $('[data-paused-message]', root),
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
      setState('induction');
      const r = await play(ui, data, scope);
      if (r.done) {
        logEvent('induction_end', { step: step.index, attempt, frames: r.frames, dropped_frames: r.dropped,
          measured_ms: round1(r.measured), intended_ms: data.schedule.duration_ms });
        break;
      }
      logEvent('induction_restart', { step: step.index, reason: r.reason, away_ms: Math.round(r.away) });
    }
  });
  session.rec.inductions[step.index] = true;
  saveRecord();
  clearImages();
}

async function pauseScreen(ui, scope, title, text) {
  setState('induction-paused');
  $('h2', ui.overlay).textContent = title;
  ui.overlayText.textContent = text;
  ui.overlay.hidden = false;
  ui.resume.focus();
  await scope.wait(clicked(ui.resume));
  ui.overlay.hidden = true;
  await enterFullscreen();
  setState('induction');
}

// play shows the schedule's frames at their planned frame counts and
// pauses when the page is hidden or leaves full screen.
async function play(ui, data, scope) {
  const { frames: plan, duration_ms: total } = data.schedule;
  const starts = plan.map((f) => Math.round(f.start_ms / clock.period));
  const end = clock.frames(total);
  ui.bar.max = end;
  let pausedAt = 0, backAt = 0, reason = '';
  playing = {
    pause(why) {
      if (pausedAt) return;
      pausedAt = performance.now();
      reason = why;
      logEvent('induction_pause', { reason: why });
    },
    back() {
      if (pausedAt && !backAt) backAt = performance.now();
    },
  };
  try {
    let t0 = await scope.frame();
    let ts = t0, k = -1, callbacks = 0, left = -1;
    for (;;) {
      if (pausedAt) {
        const at = ts;
        ui.stage.blank();
        k = -1;
        const away = () => (backAt || performance.now()) - pausedAt;
        const limit = data.restart_after_ms;
        if (away() > limit) {
          await pauseScreen(ui, scope, t('runner.restart_title'), t('runner.restart_text', { n: Math.round(away() / 1000) }));
        } else {
          await pauseScreen(ui, scope, t('runner.paused_title'), t('runner.paused_text', { n: Math.round(limit / 1000) }));
        }
        const ms = away();
        pausedAt = backAt = 0;
        if (ms > limit) return { done: false, away: ms, reason };
        logEvent('induction_resume', { away_ms: Math.round(ms) });
        ts = await scope.frame();
        t0 += ts - at; // the pause does not count towards the induction
      }
      const e = clock.elapsed(ts, t0);
      // A preview's skip ends it.
      if (e >= end || preview.skipping) {
        ui.stage.blank();
        return { done: true, frames: e, dropped: Math.max(0, e - callbacks), measured: ts - t0 };
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
  } finally {
    playing = null;
  }
}
