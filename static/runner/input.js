// Input: the keys and buttons a participant answers with, turned into
// actions (answer|left|right|confirm|pick) timed on the frames' clock.
// Only the running trial listens (Scope.onInput in trial.js).

import { $ } from './dom.js';

// input.handler(kind, value, time, how) gets the actions while a trial
// runs; how is the answer's modality: 'key', 'click' (mouse, trackpad,
// pen) or 'touch'. false leaves the key to the browser.
export const input = {
  handler: null,
  init() {
    addEventListener('keydown', (e) => {
      if (!this.handler || e.repeat || e.altKey || e.ctrlKey || e.metaKey || $('#withdraw-dialog').open) return;
      const action = keyAction(e.key);
      if (!action) return;
      if ((action[0] === 'left' || action[0] === 'right') && e.target.type === 'range') return;
      if (this.handler(action[0], action[1], eventTime(e), 'key') !== false) e.preventDefault();
    });
    // A button's answer counts from pointerdown, not the (later) click.
    document.addEventListener('pointerdown', (e) => {
      const b = e.target.closest('button');
      if (b) Object.assign(b, { downAt: eventTime(e), downBy: e.pointerType === 'touch' ? 'touch' : 'click' });
    }, true);
    document.addEventListener('click', (e) => {
      const b = e.target.closest('[data-response], [data-confirm], [name=pick]');
      if (!b || !this.handler) return;
      const pressed = b.downAt && eventTime(e) - b.downAt < 5000;
      const t = pressed ? b.downAt : eventTime(e);
      // A click with no pointer before it is a button pressed with a key.
      const how = pressed ? b.downBy : 'key';
      b.downAt = 0;
      const r = b.dataset.response;
      this.handler(r ? 'answer' : b.name === 'pick' ? 'pick' : 'confirm', r || +b.value, t, how);
    });
  },
};

function keyAction(key) {
  switch (key) {
    case 'r': case 'R': return ['answer', 'red'];
    case 'g': case 'G': return ['answer', 'green'];
    case 'ArrowLeft': return ['left'];
    case 'ArrowRight': return ['right'];
    case 'Enter': return ['confirm'];
  }
  return /^[1-9]$/.test(key) ? ['pick', key - 1] : null;
}

const eventTime = (e) => (e.timeStamp > 0 ? e.timeStamp : performance.now());
