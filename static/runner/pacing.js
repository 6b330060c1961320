// Pacing between trials: the dark rest screen every break_every trials,
// and the countdown of a block that starts by itself (the post test, a
// fixed time after the induction). Both go on by themselves: nothing to
// click, so every participant rests and waits the same time.

import { $, setState } from './dom.js';
import { logEvent } from './queue.js';
import { reveal } from './stage.js';
import { t } from './texts.js';

const secondsLeft = (until) => Math.max(0, Math.ceil((until - Date.now()) / 1000));

// countdown writes the seconds left until the wall-clock time until into
// el, four times a second, until that time; the scope ends it early.
async function countdown(el, until, scope) {
  const tick = () => { el.textContent = t('step.seconds_left', { n: secondsLeft(until) }); };
  tick();
  const timer = setInterval(tick, 250);
  scope.defer(() => clearInterval(timer));
  await scope.sleep(Math.max(0, until - Date.now()));
  clearInterval(timer);
}

// rest: the block's rest screen for ms, over the blank stage.
export async function rest(ui, ms, info, scope) {
  logEvent('break', { ...info, ms });
  setState('break');
  ui.rest.hidden = false;
  await countdown($('[data-rest-countdown]', ui.rest), Date.now() + ms, scope);
  ui.rest.hidden = true;
}

// restDue: a rest comes after every breakEvery-th trial of the block
// (by position, so a reload keeps the rhythm), never after the last.
export const restDue = (position, { break_every: every, trial_count: count }) =>
  every > 0 && (position + 1) % every === 0 && position + 1 < count;

// autoStart: the block's intro counts down to startAt (wall clock) while
// ready (its images) loads, then its stage appears: no click.
export async function autoStart(root, stage, startAt, ready, info, scope) {
  logEvent('post_countdown', { ...info, ms: Math.max(0, Math.round(startAt - Date.now())) });
  setState('post-countdown');
  const left = $('[data-autostart]', root);
  await Promise.all([countdown(left, startAt, scope), scope.wait(ready)]);
  reveal(root, stage);
}
