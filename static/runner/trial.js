// The life of a trial (and of a step that draws): a Scope holds what it set
// up — its input handler, timers, observers — and end() undoes all of it, so
// nothing is reset by hand. A preview can skip: each trial type knows how to
// simulate its own answer (jsPsych's model), and runTrial uses that instead.

import { $, never } from './dom.js';
import { clock } from './clock.js';
import { input } from './input.js';

const open = new Set(); // the scopes not yet ended

// preview: in a researcher's preview, "Skip ahead" ends what runs and
// simulates the rest of the step.
export const preview = {
  skipping: false,
  // armStep: each step starts unskipped; the button shows on long steps.
  armStep(long) {
    this.skipping = false;
    const b = $('#skip');
    if (b) b.hidden = !long;
  },
  skip() {
    this.skipping = true;
    for (const s of open) s.onSkip();
  },
};

export class Scope {
  ended = false;
  #cleanups = [];
  #skipped;

  constructor() {
    this.skipped = new Promise((resolve) => { this.#skipped = resolve; });
    if (preview.skipping) this.#skipped();
    open.add(this);
  }

  onSkip() {
    this.#skipped();
  }

  // defer runs fn when the scope ends (last deferred, first run).
  defer(fn) {
    this.#cleanups.push(fn);
  }

  // onInput: the scope's reading of the participant's actions.
  onInput(handler) {
    input.handler = handler;
    this.defer(() => { if (input.handler === handler) input.handler = null; });
  }

  listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.defer(() => target.removeEventListener(type, fn));
  }

  // wait: the promise's value while the scope is open; an ended scope's
  // code stops at its next wait.
  wait(promise) {
    return promise.then((v) => (this.ended ? never() : v));
  }

  frame() {
    return this.wait(clock.frame());
  }

  // waitFrames lets n refreshes pass from timestamp since; it returns the last.
  async waitFrames(n, since) {
    let ts = since;
    while (clock.elapsed(ts, since) < n) ts = await this.frame();
    return ts;
  }

  sleep(ms) {
    let timer;
    const p = new Promise((resolve) => { timer = setTimeout(resolve, ms); });
    this.defer(() => clearTimeout(timer));
    return this.wait(p);
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    open.delete(this);
    for (const fn of this.#cleanups.splice(0).reverse()) fn();
  }
}

// endAll: an error screen stops whatever runs.
export function endAll() {
  for (const s of [...open]) s.end();
}

const skipped = Symbol('skipped');

// runTrial runs one trial of a type { run(trial, env, scope), simulate(trial, env) }
// and ends its scope (endTrial) however it finishes.
export async function runTrial(type, trial, env) {
  if (preview.skipping) return type.simulate(trial, env);
  const scope = new Scope();
  try {
    const result = await Promise.race([type.run(trial, env, scope), scope.skipped.then(() => skipped)]);
    return result === skipped ? type.simulate(trial, env) : result;
  } finally {
    scope.end();
  }
}

// inScope runs fn(scope) for a whole step (its stage and observers).
export async function inScope(fn) {
  const scope = new Scope();
  try {
    return await fn(scope);
  } finally {
    scope.end();
  }
}
