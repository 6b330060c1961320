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

// watchPage records every change of sight, all session long: each event
// kind, the reason it sets or clears, and whether it is out of sight now.
export function watchPage() {
  for (const [target, type, reason, out, kinds] of [
    [document, 'visibilitychange', 'hidden', () => document.hidden, ['hidden', 'visible']],
    [window, 'blur', 'blur', () => true, ['blur']],
    [window, 'focus', 'blur', () => false, ['focus']],
    [document, 'fullscreenchange', 'fullscreen_exit', () => !document.fullscreenElement, ['fullscreen_exit', 'fullscreen_enter']],
  ]) {
    target.addEventListener(type, () => {
      const away = out();
      logEvent(kinds[away ? 0 : kinds.length - 1], { state: document.body.dataset.state });
      mark(reason, away);
    });
  }
}
