// The trial types. Each has run(trial, env, scope), which presents the
// trial and returns the body to store, and simulate(trial, env), the
// answer a preview that skips ahead stores instead (see trial.js).

import { $, never, round1, setState } from './dom.js';
import { clock } from './clock.js';
import { images, loadImage } from './stage.js';
import { t } from './texts.js';

const coin = () => (Math.random() < 0.5 ? 'red' : 'green');

const untimed = { rt_ms: 0, onset_ms: 0, measured_ms: 0, frames: 0, dropped_frames: 0 };

// since is a post-test trial's time from the end of the induction to its
// onset (a frame timestamp), on the wall clock so that a reload keeps it;
// undefined (left out of the body) for other trials.
const since = (trial, onset, { inductionEnd }) =>
  (trial.phase === 'post' && inductionEnd ? round1(performance.timeOrigin + onset - inductionEnd) : undefined);

// say shows a message in the prompt for ms (feedback, "too slow"), in
// state (with the trial's index).
async function say(ui, trial, state, text, ms, scope) {
  setState(state, trial.index);
  ui.prompt.textContent = text;
  await scope.sleep(ms);
  ui.prompt.textContent = '';
}

// pause is the dark inter-trial interval after an answer.
async function pause(ms, scope) {
  if (ms > 0) await scope.waitFrames(clock.frames(ms), await scope.frame());
}

const side = (tint) => (tint > 0 ? 'red' : 'green');

// twoAFC: one frame-locked forced-choice trial: fixation, the pattern for
// duration_ms, blank and the question, answered within the trial's
// response window (if any) or stored as a timeout. Answers count from the
// onset frame. Practice trials say whether the answer was right.
// env: { ui, phaseStart, fixationMS, feedbackMS, itiMS, inductionEnd }.
export const twoAFC = {
  simulate: (trial) => ({ ...untimed, response: coin(), intended_ms: trial.duration_ms }),

  async run(trial, env, scope) {
    const { ui, phaseStart, fixationMS } = env;
    const img = await scope.wait(loadImage(trial.stimulus_url));
    let answered;
    const answer = new Promise((resolve) => { answered = resolve; });
    let onset = Infinity;
    scope.onInput((kind, value, t, how) => {
      if (kind === 'left') value = 'red';
      else if (kind === 'right') value = 'green';
      else if (kind !== 'answer') return false;
      if (t < onset) return false; // too early (or before the pattern was shown)
      answered({ value, t, how });
      return true;
    });
    setState('trial', trial.index);
    ui.prompt.textContent = '';
    const fixOn = await scope.frame();
    ui.stage.blank();
    ui.stage.fixation();
    onset = await scope.waitFrames(clock.frames(fixationMS), fixOn);
    ui.stage.image(img);
    const n = clock.frames(trial.duration_ms);
    let shown = 0; // frame callbacks while the pattern was up
    let ts = onset;
    do {
      shown++;
      ts = await scope.frame();
    } while (clock.elapsed(ts, onset) < n);
    ui.stage.blank();
    const offset = ts;
    setState('respond', trial.index);
    ui.prompt.textContent = t('step.prompt_choice');
    const limit = trial.response_window_ms || 0;
    const late = limit ? scope.sleep(Math.max(0, onset + limit - performance.now())).then(() => null) : never();
    let a = await scope.wait(Promise.race([answer, late]));
    if (a && limit && a.t - onset > limit) a = null; // came in after the window closed
    ui.prompt.textContent = '';
    if (!a) {
      await say(ui, trial, 'timeout', t('step.too_slow', { seconds: Math.round(limit / 100) / 10 }), env.feedbackMS, scope);
    } else if (trial.feedback) {
      const right = a.value === side(trial.tint);
      await say(ui, trial, 'feedback', t(`step.${right ? 'right' : 'wrong'}_${side(trial.tint)}`), env.feedbackMS, scope);
    }
    const measured = offset - onset;
    const frames = Math.round(measured / clock.period);
    await pause(env.itiMS, scope);
    return {
      response: a ? a.value : 'timeout', rt_ms: round1(a ? a.t - onset : limit),
      onset_ms: round1(onset - phaseStart), intended_ms: trial.duration_ms, measured_ms: round1(measured), frames,
      dropped_frames: Math.max(0, frames - shown), input: a?.how, since_induction_ms: since(trial, onset, env),
    };
  },
};

// The tint is a number on the step grid: the session's image route renders
// what its adjustment trials can show, with the session's token.
const tintText = (x) => String(Math.round(x * 1e6) / 1e6);
export const tintURL = (data, pattern, tint) =>
  `${data.stimulus_url}?pattern=${encodeURIComponent(pattern)}&tint=${tintText(tint)}`;

// adjustment: one nulling trial; the answer is the tint on the screen when
// the participant confirms. A practice trial then says how far from neutral
// the setting was. env: { ui, data, phaseStart, feedbackMS, itiMS, inductionEnd }.
export const adjustment = {
  simulate: (trial) => ({ ...untimed, response: trial.start_tint, intended_ms: 0 }),

  async run(trial, env, scope) {
    const { ui, data, phaseStart } = env;
    const { min_tint: lo, max_tint: hi, step } = trial;
    const clamp = (x) => Math.round(Math.min(hi, Math.max(lo, x)) * 1e6) / 1e6;
    const url = (tint) => tintURL(data, trial.pattern, tint);
    let tint = clamp(trial.start_tint);
    let confirmed = 0, how = '';
    let onset = Infinity;
    // The slider's ends reach a random number of steps past the tint range,
    // so that its middle is not "neutral".
    const slider = ui.slider;
    const spare = Math.round((hi - lo) / 2 / step);
    const below = Math.floor(Math.random() * (spare + 1));
    Object.assign(slider, { min: lo - below * step, max: hi + (spare - below) * step, step });
    slider.value = tint;
    // The slider follows the keys, not the clamp (which would show the range).
    const set = (x, fromSlider = false) => {
      tint = clamp(x);
      if (!fromSlider) slider.value = tint;
      for (const d of [1, -1, 2, -2]) loadImage(url(clamp(tint + d * step)), { retry: false }).catch(() => {});
      loadImage(url(tint), { retry: false }).catch(() => {});
    };
    scope.listen(slider, 'input', () => set(Number(slider.value), true));
    scope.onInput((kind, value, t, by) => {
      if (kind === 'left') set(tint - step);
      else if (kind === 'right') set(tint + step);
      else if (kind === 'confirm' && t >= onset) [confirmed, how] = [t, by];
      else return false;
      return true;
    });
    set(tint);
    const first = await scope.wait(loadImage(url(tint)));
    onset = await scope.frame();
    ui.stage.image(first);
    let shownTint = tint;
    document.body.dataset.tint = tintText(shownTint);
    setState('adjust', trial.index);
    ui.prompt.textContent = t('step.prompt_adjust');
    let shown = 0;
    let ts = onset;
    while (!confirmed) {
      shown++;
      ts = await scope.frame();
      // The wanted tint once decoded; until then the shown one counts.
      if (tint !== shownTint && !images.has(url(tint)) && shown % 30 === 0) {
        loadImage(url(tint), { retry: false }).catch(() => {}); // retry, gently
      }
      const img = tint !== shownTint && images.get(url(tint))?.img;
      if (img) {
        ui.stage.image(img);
        shownTint = tint;
        document.body.dataset.tint = tintText(shownTint);
      }
    }
    ui.stage.blank();
    ui.prompt.textContent = '';
    if (trial.feedback) {
      const off = Math.abs(shownTint) <= step ? t('step.adjust_neutral') : t(`step.adjust_still_${side(shownTint)}`);
      await say(ui, trial, 'feedback', off, env.feedbackMS, scope);
    }
    const measured = ts - onset;
    const frames = Math.round(measured / clock.period);
    await pause(env.itiMS, scope);
    return {
      response: shownTint, rt_ms: round1(Math.max(0, confirmed - onset)), onset_ms: round1(onset - phaseStart),
      intended_ms: 0, measured_ms: round1(measured), frames, dropped_frames: Math.max(0, frames - shown),
      input: how || undefined, since_induction_ms: since(trial, onset, env),
    };
  },
};

const el = (tag, props, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};

// pick: one colour-check trial: the patches side by side, each from its own
// URL (the page is not told which one is tinted); the answer is the patch
// picked. env: { root, phaseStart }.
export const pick = {
  // A preview passes the check (a researcher's plan has the targets).
  simulate: (trial) => ({ ...untimed, response: trial.target, intended_ms: 0 }),

  async run(trial, { root, phaseStart }, scope) {
    const box = $('[data-patches]', root);
    const loaded = await scope.wait(Promise.all(trial.patch_urls.map((url) => loadImage(url))));
    const imgs = loaded.map((img) => el('img', { alt: '', src: img.src }));
    box.replaceChildren(...imgs.map((img, i) => el('button', { type: 'button', name: 'pick', value: i }, img,
      el('span', { className: 'visually-hidden', textContent: `${t('step.patch')} ` }), el('kbd', { textContent: i + 1 }))));
    await scope.wait(Promise.all(imgs.map((img) => img.decode().catch(() => {}))));
    let answered;
    const answer = new Promise((resolve) => { answered = resolve; });
    scope.onInput((kind, value, time, how) => kind === 'pick' && value < trial.patches && !answered({ value, time, how }));
    box.classList.remove('blank');
    scope.defer(() => box.classList.add('blank'));
    const onset = await scope.frame();
    setState('screening', trial.index);
    const a = await scope.wait(answer);
    return {
      ...untimed, response: a.value, intended_ms: 0, input: a.how,
      rt_ms: round1(Math.max(0, a.time - onset)), onset_ms: round1(onset - phaseStart),
    };
  },
};
