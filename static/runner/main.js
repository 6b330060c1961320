// The participant's runner for a McCollough study (DESIGN.md §5), the
// entry module. The server renders every screen; the runner runs the clock
// (clock.js), reads the input (input.js), keeps the send queue (queue.js)
// and walks the plan's steps (flow.js), fetching each step's fragment (HTML
// with its schedule as JSON). Plain ES modules: no framework, no build
// step, no inline script; the server rewrites the imports to content-hashed
// URLs (static/static.go).

import { $, clicked, message, round1, setState, show, sleep, store } from './dom.js';
import { clock, measureRefresh } from './clock.js';
import { input } from './input.js';
import { reliably } from './net.js';
import { logEvent, sessionGone } from './queue.js';
import { ImageRefused, enterFullscreen } from './stage.js';
import { endAll, preview } from './trial.js';
import { sight, watchPage } from './sight.js';
import { afterCheck, resume, runFrom } from './flow.js';
import {
  API, boot, fatal, params, recordKey, run, saveRecord, sessionEnded, showEnded, startQueue,
} from './session.js';
import { learn, t } from './texts.js';

async function consent() {
  show('consent');
  setState('consent');
  $('#consent-no').addEventListener('click', declined);
  await clicked($('#consent-yes'));
}

// declined: not taking part, before a session exists. The thanks take the
// consent text's place at the top of the page, where they are seen.
function declined() {
  show('consent');
  for (const el of document.querySelectorAll('#consent [data-consent-body]')) el.hidden = true;
  const thanks = $('#consent-declined');
  thanks.hidden = false;
  scrollTo(0, 0);
  thanks.focus();
  setState('declined');
}

// screenCheck: full screen, refresh rate, pixel ratio, window (the study's
// rule) and pointer; it returns the experiments.ScreenInfo.
async function screenCheck() {
  show('screen-check');
  setState('screen-check');
  const button = $('#check-start');
  const status = $('#check-status');
  for (;;) {
    await clicked(button);
    setState('screen-measuring');
    button.disabled = true;
    status.textContent = t('runner.measuring');
    const fullscreen = await enterFullscreen();
    await sleep(400); // the switch to full screen resizes the page
    const m = await measureRefresh();
    const dpr = devicePixelRatio || 1;
    const viewport = { width: Math.round(innerWidth), height: Math.round(innerHeight) };
    const pointer = ['fine', 'coarse'].find((p) => matchMedia(`(pointer: ${p})`).matches) || 'none';
    const rule = boot.screen;
    let problem = '', state = 'screen-fail';
    // In full screen the window cannot grow: only another screen helps.
    const inFull = fullscreen ? '_fullscreen' : '';
    if (rule && (viewport.width < rule.min_width || viewport.height < rule.min_height)) {
      problem = t(`runner.check_small${inFull}`, { min_width: rule.min_width, min_height: rule.min_height, ...viewport });
      state = 'screen-small';
    } else if (rule?.desktop_only && pointer === 'coarse') {
      problem = t('runner.check_touch');
      state = 'screen-small';
    } else if (m.hz < 50) {
      problem = t('runner.check_slow', { hz: Math.round(m.hz) });
    } else if (!m.stable) {
      problem = t('runner.check_irregular');
    } else if (boot.size_px / dpr > Math.min(viewport.width, viewport.height)) {
      problem = t(`runner.check_too_small${inFull}`);
      state = 'screen-small';
    }
    logEvent('screen_check', { hz: round1(m.hz), sd_ms: round1(m.sd), dpr, viewport, pointer, fullscreen, ok: !problem });
    button.disabled = false;
    if (!problem) {
      clock.period = m.period;
      status.textContent = t('runner.check_ok');
      return {
        refresh_hz: Math.round(m.hz * 100) / 100, refresh_sd_ms: Math.round(m.sd * 100) / 100,
        device_pixel_ratio: dpr, viewport, pointer, screen_size: { width: screen.width, height: screen.height },
      };
    }
    status.textContent = problem;
    button.textContent = t('runner.try_again');
    setState(state);
  }
}

async function createSession(screen) {
  message(t('runner.starting'));
  setState('creating');
  const r = await reliably('POST', `${API}/studies/${encodeURIComponent(boot.slug)}/sessions`, { body: { params, screen } });
  if (r.status === 404) return fatal(t('runner.study_closed'));
  if (!r.ok) {
    const detail = r.data?.fields?.map((f) => `${f.field}: ${f.error}`).join('; ') || r.data?.error || `error ${r.status}`;
    return fatal(t('runner.start_failed', { detail }));
  }
  const { session_id: id, token } = r.data;
  learn(r.data.texts);
  run.session = {
    id, token, plan: r.data.plan, stored: new Set(r.data.stored),
    rec: { id, token, hz: screen.refresh_hz, inductions: {}, started: {} },
  };
  saveRecord();
  startQueue();
  // The server checks the screen too.
  return r.data.status === 'screened_out' ? showEnded() : true;
}

// withdraw (confirmed; offered once a session exists): the server deletes
// the session's answers and events, this device its unsent ones; the
// reload shows the confirmation.
async function withdraw() {
  $('#withdraw-dialog').close();
  endAll();
  message(t('session.withdrawing'));
  setState('withdrawing');
  run.queue.clear();
  const { id, token } = run.session;
  const r = await reliably('POST', `${API}/sessions/${id}/withdraw`, { token });
  if (!r.ok && !sessionGone(r.status)) return fatal(t('session.withdraw_failed', { status: r.status }));
  location.reload();
}

function initButtons() {
  const d = $('#withdraw-dialog');
  // The dialog holds what plays: the participant is still here.
  $('#withdraw').addEventListener('click', () => {
    sight.hold('withdraw_dialog');
    if (d.showModal) return d.showModal();
    if (confirm($('#wd-title').textContent)) withdraw();
    sight.release(); // confirm() blocks: no close event follows
  });
  $('#withdraw-no').addEventListener('click', () => d.close());
  $('#withdraw-yes').addEventListener('click', withdraw);
  d.addEventListener('close', () => sight.release());
  $('#skip')?.addEventListener('click', () => {
    preview.skip();
    logEvent('preview_skip', { state: document.body.dataset.state });
  });
  $('#fatal-reload').addEventListener('click', () => location.reload());
  $('#gone-restart').addEventListener('click', () => {
    store.del(recordKey());
    location.reload();
  });
}

function supported() {
  try {
    localStorage.setItem('mccollough:probe', '1');
    localStorage.removeItem('mccollough:probe');
  } catch {
    return false;
  }
  return typeof requestAnimationFrame === 'function' && typeof fetch === 'function' &&
    typeof HTMLImageElement.prototype.decode === 'function' && typeof DOMParser === 'function' &&
    typeof ResizeObserver === 'function' &&
    !!document.createElement('canvas').getContext;
}

async function main() {
  if (!supported()) {
    location.replace(`/s/${encodeURIComponent(boot.slug)}/unsupported${location.search}`);
    return;
  }
  input.init();
  watchPage();
  initButtons();
  // A preview's session, or a return link's, comes in the fragment: keep it
  // out of the address bar.
  const hash = /(preview|resume)=([^.]+)\.(.+)/.exec(location.hash);
  if (hash && (hash[1] === 'resume') !== !!boot.preview) {
    store.set(recordKey(), { id: hash[2], token: hash[3], fresh: !!boot.preview });
    history.replaceState(null, '', location.pathname + location.search);
  }
  const rec = store.get(recordKey());
  if (rec?.id) {
    const r = await reliably('GET', `${API}/sessions/${rec.id}`, { token: rec.token });
    if (r.ok) {
      return resume(rec, r.data, async () => {
        await consent();
        return screenCheck();
      });
    }
    store.del(recordKey()); // unknown or not ours any more: start afresh
  }
  if (boot.preview) return fatal(t('runner.preview_gone'));
  await consent();
  const screen = await screenCheck();
  if (!(await createSession(screen))) return;
  return runFrom(afterCheck());
}

main().catch((err) => {
  console.error(err);
  if (err instanceof ImageRefused && sessionGone(err.status)) sessionEnded(err.status);
  else fatal(t('runner.unexpected', { detail: err?.message || err }));
});
