// Sight: can the participant see the stage right now? The page is out of
// sight while its tab is hidden, its window has lost the focus, or it has
// left full screen. The platform's own dialogs (the withdraw confirmation)
// only hold what plays: the participant is still here, so that time is not
// time away. Every change is an event (experiments/events.go).

import { logEvent } from './queue.js';

const away = new Set(); // 'hidden' | 'blur' | 'fullscreen_exit'
let held = ''; // the dialog holding the page, or ''
const listeners = new Set();

const changed = () => { for (const fn of listeners) fn(); };
const state = () => document.body.dataset.state;

function mark(reason, on) {
  if (on === away.has(reason)) return;
  if (on) away.add(reason);
  else away.delete(reason);
  changed();
}

export const sight = {
  // away: the stage cannot be seen; reasons: why, first cause first.
  get away() { return away.size > 0; },
  get reasons() { return [...away]; },
  get held() { return held; },
  // watch calls fn on every change until the returned function is called.
  watch(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  hold(reason) {
    held = reason;
    changed();
  },
  release() {
    held = '';
    changed();
  },
  // settle: after a click on the page (which focuses its window, and may
  // have asked for full screen again) only a hidden tab still keeps the
  // stage out of sight; a browser that refused full screen shows it in
  // the window.
  settle() {
    away.clear();
    if (document.hidden) away.add('hidden');
    changed();
  },
};

// watchPage records every change of sight, all session long.
export function watchPage() {
  document.addEventListener('visibilitychange', () => {
    logEvent(document.hidden ? 'hidden' : 'visible', { state: state() });
    mark('hidden', document.hidden);
  });
  addEventListener('blur', () => {
    logEvent('blur', { state: state() });
    mark('blur', true);
  });
  addEventListener('focus', () => {
    logEvent('focus', { state: state() });
    mark('blur', false);
  });
  document.addEventListener('fullscreenchange', () => {
    const on = !!document.fullscreenElement;
    logEvent(on ? 'fullscreen_enter' : 'fullscreen_exit', { state: state() });
    mark('fullscreen_exit', !on);
  });
}

// dialogHolds makes a <dialog> hold the page while it is open.
export function dialogHolds(dialog, reason) {
  new MutationObserver(() => {
    if (dialog.open) sight.hold(reason);
    else if (sight.held === reason) sight.release();
  }).observe(dialog, { attributes: true, attributeFilter: ['open'] });
}
