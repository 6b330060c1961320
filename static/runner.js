// The participant's runner for a McCollough study (DESIGN.md §5).
//
// The server renders every screen (templ). This module only
//   - runs the clock: ONE requestAnimationFrame loop drives all drawing, and
//     durations become frame counts at the refresh rate measured here;
//   - reads the input: keys, buttons (mouse, touch, keyboard);
//   - keeps the send queue: every answer goes to localStorage first and is
//     PUT until the server acknowledges it;
//   - walks the steps of the session's plan, fetching each step's fragment
//     (HTML carrying its schedule as JSON data) when the step begins.
// No framework and no build step; the CSP allows no inline script or eval.
//
// For tests and assistive styling, <body> carries data-state (the screen or
// trial state) and data-trial (the trial index being shown).

const API = '/api/v1';
const boot = JSON.parse(document.getElementById('boot').textContent);
const params = Object.fromEntries(new URLSearchParams(location.search));
// The participant's id, as the server picks it (experiments.ParticipantRef).
const pid = params.PROLIFIC_PID || params.pid || params.PID || params.participant || params.participant_id || '';

// ---------------------------------------------------------------- helpers

const $ = (sel, root = document) => root.querySelector(sel);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (x) => Math.round(x * 10) / 10;
const clicked = (el) => new Promise((resolve) => el.addEventListener('click', resolve, { once: true }));

function setState(state, trial = '') {
  document.body.dataset.state = state;
  document.body.dataset.trial = trial;
}

// show makes one screen (a <section data-screen>) visible. While a pattern
// phase runs the page turns into a dark stage (body.running).
function show(id, running = false) {
  for (const s of document.querySelectorAll('#app > [data-screen]')) s.hidden = s.id !== id;
  document.body.classList.toggle('running', running);
  if (!running) {
    scrollTo(0, 0);
    // Move focus to the new heading so screen readers announce the screen.
    $(`#${id} h1`)?.focus();
  }
}

function message(text) {
  $('#loading-message').textContent = text;
  show('loading');
}

const store = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch { return null; }
  },
  set(key, value) {
    // A full or disabled storage only costs durability across reloads.
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* keep going */ }
  },
  del(key) {
    try { localStorage.removeItem(key); } catch { /* keep going */ }
  },
};

// ---------------------------------------------------------------- network

// The banner tells the participant when the server cannot be reached; the
// answers wait on the device meanwhile. It stays up while any sender (the
// queue, a page request, an image) is failing.
const net = {
  failing: new Set(),
  report(sender, ok) {
    if (ok) this.failing.delete(sender);
    else this.failing.add(sender);
    const b = $('#net-banner');
    b.textContent = 'The connection to the server is lost; trying again. Your answers so far are kept on this device.';
    b.hidden = this.failing.size === 0;
  },
};

// backoff is the wait before retry number attempt: exponential, capped at
// about 10 s, jittered so that many participants don't retry in lockstep.
const backoff = (attempt) => Math.min(10000, 400 * 2 ** attempt) * (0.75 + Math.random() / 2);
const retryable = (status) => status >= 500 || status === 408 || status === 429;

// request sends one HTTP request. It rejects only when the network fails.
async function request(method, path, { body, token, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    keepalive: method !== 'GET', // an answer sent as the page closes still arrives
  });
  const text = await res.text();
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { data = JSON.parse(text); } catch { /* leave null */ }
  }
  return { status: res.status, ok: res.ok, data, text };
}

// reliably retries network failures and server errors for ever (with the
// banner up) and returns any other answer for the caller to judge.
async function reliably(method, path, opts) {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await request(method, path, opts);
      if (!retryable(r.status)) {
        net.report('request', true);
        return r;
      }
    } catch { /* offline: retry */ }
    net.report('request', false);
    await sleep(backoff(attempt));
  }
}

// ---------------------------------------------------------------- clock

// The clock is the page's one requestAnimationFrame loop. Code that draws
// awaits clock.frame(): the promise resolves inside the frame's callback, so
// the code after the await (a microtask) draws into that very frame, and
// the frame's timestamp is the onset of what it draws. The loop idles when
// a frame passes with nobody waiting (text screens, a pending answer).
const clock = {
  period: 1000 / 60, // ms per refresh; set from the screen check
  waiters: [],
  running: false,
  tick(ts) {
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length === 0) {
      this.running = false;
      return;
    }
    // Ask for the next frame before resolving: the awaiting code runs after
    // this callback returns and will want it.
    requestAnimationFrame((t) => this.tick(t));
    for (const resolve of waiters) resolve(ts);
  },
  frame() {
    if (!this.running) {
      this.running = true;
      requestAnimationFrame((t) => this.tick(t));
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  },
  // frames converts a duration to a whole number of refreshes (at least 1).
  frames(ms) {
    return Math.max(1, Math.round(ms / this.period));
  },
  // elapsed counts refreshes between two frame timestamps. Counting from
  // timestamps rather than callbacks keeps durations right when the browser
  // skips a callback (a dropped frame).
  elapsed(ts, since) {
    return Math.round((ts - since) / this.period);
  },
};

// measureRefresh times n frame intervals. Those near the median are the
// regular ones and give the rate; how many are irregular, and the spread,
// say whether the display's timing can be trusted.
async function measureRefresh(n = 90) {
  let prev = await clock.frame();
  for (let i = 0; i < 5; i++) prev = await clock.frame(); // let the page settle
  const iv = [];
  while (iv.length < n) {
    const ts = await clock.frame();
    iv.push(ts - prev);
    prev = ts;
  }
  const median = [...iv].sort((a, b) => a - b)[n >> 1];
  const mean = iv.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(iv.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  // The period is the mean of the regular intervals (timestamps are coarse,
  // 0.1 ms or worse, so one median interval is not precise enough).
  const regular = iv.filter((x) => Math.abs(x - median) <= 0.25 * median);
  const period = regular.reduce((a, b) => a + b, 0) / regular.length;
  return {
    period, hz: 1000 / period, sd,
    stable: regular.length >= 0.9 * n && sd <= 0.5 * median,
  };
}

// ---------------------------------------------------------------- input

// input.handler receives the participant's actions while a trial runs:
// (kind, value, time) with kind answer|left|right|confirm and time on the
// same clock as the frame timestamps. It returns false for an action it
// ignores, leaving the key to the browser.
const input = {
  handler: null,
  init() {
    addEventListener('keydown', (e) => {
      if (!this.handler || e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
      const action = keyAction(e.key);
      if (!action) return;
      // The slider moves itself with the arrow keys; don't move it twice.
      if ((action[0] === 'left' || action[0] === 'right') && e.target.type === 'range') return;
      if (this.handler(action[0], action[1], eventTime(e)) !== false) e.preventDefault();
    });
    // A button's answer counts from the moment it was pressed (pointerdown),
    // not from its release (click), which may come much later on a touch screen.
    document.addEventListener('pointerdown', (e) => {
      const b = e.target.closest('button');
      if (b) b.downAt = eventTime(e);
    }, true);
    document.addEventListener('click', (e) => {
      const b = e.target.closest('[data-response], [data-confirm]');
      if (!b || !this.handler) return;
      const t = b.downAt && eventTime(e) - b.downAt < 5000 ? b.downAt : eventTime(e);
      b.downAt = 0;
      this.handler(b.dataset.response ? 'answer' : 'confirm', b.dataset.response, t);
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
  return null;
}

// eventTime: an event's timeStamp is on the performance.now() clock, as the
// frame timestamps are, and closer to the key press than now().
const eventTime = (e) => (e.timeStamp > 0 ? e.timeStamp : performance.now());

// ---------------------------------------------------------------- queue

// SendQueue keeps unacknowledged trials and events in localStorage and
// sends them one at a time (trials in index order: a staircase needs its
// answers in order) until the server acknowledges each.
class SendQueue {
  constructor(session) {
    this.session = session;
    this.key = `mccollough:queue:${session.id}`;
    const saved = store.get(this.key) || {};
    this.trials = saved.trials || {}; // index -> PUT body
    this.events = saved.events || [];
    this.seq = saved.seq || 0; // events are idempotent by seq, across reloads
    this.waiters = [];
    this.running = false;
    this.dead = false; // the server no longer knows the session
    this.wakeup = null;
    addEventListener('online', () => this.wake());
  }

  save() {
    store.set(this.key, { trials: this.trials, events: this.events, seq: this.seq });
  }

  trial(index, body) {
    this.trials[index] = body;
    this.save();
    this.kick();
  }

  event(kind, data = {}) {
    this.events.push({ seq: this.seq++, kind, t_ms: round1(performance.now()), data });
    this.save();
    this.kick();
  }

  has(index) {
    return index in this.trials;
  }

  get empty() {
    return Object.keys(this.trials).length === 0 && this.events.length === 0;
  }

  // drain resolves once everything queued so far is acknowledged. It retries
  // at once: the participant is waiting.
  drain() {
    if (this.empty) return Promise.resolve();
    const done = new Promise((resolve) => this.waiters.push(resolve));
    this.kick();
    this.wake();
    return done;
  }

  kick() {
    if (!this.running) this.run();
  }

  wake() {
    this.wakeup?.();
  }

  async run() {
    this.running = true;
    for (let attempt = 0; !this.empty && !this.dead;) {
      if (await this.sendOne()) {
        attempt = 0;
        net.report('queue', true);
        continue;
      }
      net.report('queue', false);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, backoff(attempt++));
        this.wakeup = () => { clearTimeout(timer); resolve(); };
      });
      this.wakeup = null;
    }
    this.running = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  // sendOne sends the lowest trial, else a batch of events. It returns true
  // when the server took the item (or refused it for good), false to retry.
  async sendOne() {
    const { id, token } = this.session;
    const index = Object.keys(this.trials).map(Number).sort((a, b) => a - b)[0];
    const batch = this.events.slice(0, 100); // more may be added while it is sent
    let r;
    try {
      if (index !== undefined) {
        r = await request('PUT', `${API}/sessions/${id}/trials/${index}`, { body: this.trials[index], token });
      } else {
        r = await request('POST', `${API}/sessions/${id}/events`, { body: { events: batch }, token });
      }
    } catch {
      return false;
    }
    if (retryable(r.status)) return false;
    if (r.status === 401 || r.status === 404) {
      this.dead = true;
      sessionLost();
      return false;
    }
    if (index !== undefined) {
      if (!r.ok) {
        // Invalid or conflicting: resending cannot help. Keep a trace.
        this.events.push({ seq: this.seq++, kind: 'trial_rejected', t_ms: round1(performance.now()),
          data: { index, status: r.status, error: String(r.data?.error || '').slice(0, 300) } });
      }
      delete this.trials[index];
    } else {
      if (!r.ok) console.warn('events refused', r.status, r.text);
      this.events.splice(0, batch.length);
    }
    this.save();
    return true;
  }
}

let queue = null;
const early = []; // events from before the session exists

function logEvent(kind, data = {}) {
  if (queue) queue.event(kind, data);
  else early.push([kind, data]);
}

// ---------------------------------------------------------------- stage

// makeStage draws on a canvas whose backing store is size_px square and
// whose CSS size is size_px / devicePixelRatio: one image pixel is one
// device pixel.
function makeStage(canvas, size) {
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d', { alpha: false });
  const bg = '#141416';
  // fit sets the CSS size (it never touches the backing store, which would
  // clear the canvas): on start, and whenever the window changes.
  const fit = () => {
    const dpr = devicePixelRatio || 1;
    const css = size / dpr;
    canvas.style.width = canvas.style.height = `${css}px`;
    // On a short screen the answers go beside the pattern, not below it.
    canvas.parentElement.classList.toggle('side', css + 170 > innerHeight && innerWidth > css + 200);
    canvas.style.transform = '';
    // Centring can put the canvas on a fractional device pixel, which would
    // resample the pattern; shift it onto the pixel grid.
    const r = canvas.getBoundingClientRect();
    const dx = Math.round(r.left * dpr) / dpr - r.left;
    const dy = Math.round(r.top * dpr) / dpr - r.top;
    canvas.style.transform = `translate(${dx}px, ${dy}px)`;
    ctx.imageSmoothingEnabled = false;
  };
  currentStage = { fit };
  // Text next to the canvas (prompt, progress, countdown) can change height
  // and move it off the pixel grid again: snap whenever it does.
  const ro = new ResizeObserver(() => fit());
  for (const el of canvas.parentElement.children) if (el !== canvas) ro.observe(el);
  return {
    fit,
    blank() {
      ctx.fillStyle = bg;
      ctx.fillRect(0, 0, size, size);
    },
    image(img) {
      ctx.drawImage(img, 0, 0, size, size);
    },
    // fixation draws a cross at (x, y) px from the centre, dark-edged so it
    // shows on light and dark stripes alike.
    fixation(x = 0, y = 0) {
      const dpr = devicePixelRatio || 1;
      const arm = Math.round(7 * dpr), w = Math.max(2, Math.round(2 * dpr));
      const cx = Math.round(size / 2 + x), cy = Math.round(size / 2 + y);
      for (const [color, pad] of [['#000', Math.round(dpr)], ['#fff', 0]]) {
        ctx.fillStyle = color;
        ctx.fillRect(cx - arm - pad, cy - w / 2 - pad, 2 * (arm + pad), w + 2 * pad);
        ctx.fillRect(cx - w / 2 - pad, cy - arm - pad, w + 2 * pad, 2 * (arm + pad));
      }
    },
  };
}

let currentStage = null;
addEventListener('resize', () => currentStage?.fit());

// Images are preloaded AND decoded before a phase starts, so drawing one
// never waits for the network or the decoder.
const images = new Map();

function loadImage(url, { retry = true } = {}) {
  let p = images.get(url);
  if (!p) {
    p = (async () => {
      for (let attempt = 0; ; attempt++) {
        const img = new Image();
        img.src = url;
        try {
          await img.decode();
          if (attempt > 0) net.report('images', true);
          return img;
        } catch (err) {
          if (!retry) {
            images.delete(url);
            throw err;
          }
          if (attempt >= 1) net.report('images', false);
          await sleep(backoff(attempt));
        }
      }
    })();
    images.set(url, p);
    // Keep the decoded image itself too, for synchronous use in a frame.
    p.then((img) => { p.img = img; }, () => {});
  }
  return p;
}

// ---------------------------------------------------------------- page events

let activeInduction = null; // set while an induction plays: { pause(reason), back() }

function watchPage() {
  document.addEventListener('visibilitychange', () => {
    logEvent(document.hidden ? 'hidden' : 'visible', { state: document.body.dataset.state });
    if (document.hidden) activeInduction?.pause('hidden');
    else activeInduction?.back();
  });
  document.addEventListener('fullscreenchange', () => {
    const on = !!document.fullscreenElement;
    logEvent(on ? 'fullscreen_enter' : 'fullscreen_exit', { state: document.body.dataset.state });
    if (!on) activeInduction?.pause('fullscreen_exit');
  });
}

// enterFullscreen asks for full screen (it must run soon after a click).
// A refusal (headless browsers, iPhones, a participant saying no) is
// recorded and the study goes on.
async function enterFullscreen() {
  if (document.fullscreenElement) return true;
  const el = document.documentElement;
  const req = el.requestFullscreen || el.webkitRequestFullscreen;
  if (!req) {
    logEvent('fullscreen_refused', { reason: 'unavailable' });
    return false;
  }
  try {
    await req.call(el, { navigationUI: 'hide' });
    return true;
  } catch (err) {
    logEvent('fullscreen_refused', { reason: String(err?.name || err) });
    return false;
  }
}

function exitFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

// ---------------------------------------------------------------- session

let session = null; // { id, token, plan, stored: Set, rec }

function recordKey() {
  return `mccollough:${boot.slug}:${pid}`;
}

function saveRecord() {
  store.set(recordKey(), session.rec);
}

const isDone = (index) => session.stored.has(index) || queue.has(index);

// sessionLost: the server no longer knows this session (or its token).
// Starting again is the only way on.
function sessionLost() {
  store.del(recordKey());
  fatal('This session could not be found on the server. Please reload the page to start again.');
}

function fatal(text) {
  input.handler = null;
  activeInduction = null;
  exitFullscreen();
  $('#fatal-message').textContent = text;
  show('fatal');
  setState('error');
}

// loadStep fetches a step's fragment, puts it in place of #step and returns
// it with its JSON data.
async function loadFragment(path) {
  const r = await reliably('GET', path, { token: session.token, accept: 'text/html' });
  if (r.status === 401 || r.status === 404) {
    sessionLost();
    return new Promise(() => {}); // the page stops here
  }
  if (!r.ok) {
    fatal(`The server could not prepare the next screen (error ${r.status}).`);
    return new Promise(() => {});
  }
  const doc = new DOMParser().parseFromString(r.text, 'text/html');
  const section = document.adoptNode(doc.getElementById('step'));
  document.getElementById('step').replaceWith(section);
  const json = $('#step-data', section);
  show('step');
  return { root: section, data: json ? JSON.parse(json.textContent) : null };
}

const loadStep = (step) => loadFragment(`/s/${boot.slug}/sessions/${session.id}/steps/${step.index}`);

// ---------------------------------------------------------------- screens before the session

async function consent() {
  show('consent');
  setState('consent');
  $('#consent-no').addEventListener('click', () => {
    $('#consent-declined').hidden = false;
    for (const b of document.querySelectorAll('#consent button')) b.disabled = true;
    setState('declined');
  });
  await clicked($('#consent-yes'));
}

// screenCheck: full screen, refresh rate, pixel ratio, window size. It
// returns the experiments.ScreenInfo for the session.
async function screenCheck() {
  show('screen-check');
  setState('screen-check');
  const button = $('#check-start');
  const status = $('#check-status');
  for (;;) {
    await clicked(button);
    button.disabled = true;
    status.textContent = 'Measuring…';
    const fullscreen = await enterFullscreen();
    await sleep(400); // the switch to full screen resizes the page
    const m = await measureRefresh();
    const dpr = devicePixelRatio || 1;
    const viewport = { width: Math.round(innerWidth), height: Math.round(innerHeight) };
    let problem = '';
    if (m.hz < 50) {
      problem = `Your screen refreshes ${Math.round(m.hz)} times a second, but this study needs at least 50. ` +
        'If your device has a power-saving mode, please turn it off (or plug in a laptop), or use another device, and try again.';
    } else if (!m.stable) {
      problem = 'The timing of your screen was irregular during the check. Please close other tabs and programs, ' +
        'keep this tab in front, and try again.';
    } else if (boot.size_px / dpr > Math.min(viewport.width, viewport.height)) {
      problem = 'The browser window is too small to show the patterns at their exact size. ' +
        'Please make the window larger (or allow full screen), and try again.';
    }
    logEvent('screen_check', { hz: round1(m.hz), sd_ms: round1(m.sd), dpr, viewport, fullscreen, ok: !problem });
    button.disabled = false;
    if (!problem) {
      clock.period = m.period;
      status.textContent = 'All set.';
      return {
        refresh_hz: Math.round(m.hz * 100) / 100, refresh_sd_ms: Math.round(m.sd * 100) / 100,
        device_pixel_ratio: dpr, viewport,
      };
    }
    status.textContent = problem;
    button.textContent = 'Try again';
    setState('screen-fail');
  }
}

async function createSession(screen) {
  message('Starting your session…');
  setState('creating');
  const r = await reliably('POST', `${API}/studies/${encodeURIComponent(boot.slug)}/sessions`, { body: { params, screen } });
  if (r.status === 404) return fatal('This study has just closed, so a new session cannot start. Thank you for your interest.');
  if (!r.ok) {
    const detail = r.data?.fields?.map((f) => `${f.field}: ${f.error}`).join('; ') || r.data?.error || `error ${r.status}`;
    return fatal(`The session could not start (${detail}). Please check the study link.`);
  }
  session = {
    id: r.data.session_id, token: r.data.token, plan: r.data.plan, stored: new Set(r.data.stored),
    rec: { id: r.data.session_id, token: r.data.token, hz: screen.refresh_hz, inductions: {}, started: {} },
  };
  saveRecord();
  startQueue();
  return true;
}

function startQueue() {
  queue = new SendQueue(session);
  for (const [kind, data] of early.splice(0)) queue.event(kind, data);
  queue.kick();
}

// ---------------------------------------------------------------- resuming

// resume continues a stored session after a reload or a reopened link, at
// the first step whose answers are not all stored (or queued here).
async function resume(rec, state) {
  session = { id: rec.id, token: rec.token, plan: state.plan, stored: new Set(state.stored), rec };
  rec.inductions ||= {};
  rec.started ||= {};
  startQueue();
  if (state.status === 'complete') return showFinished(false);
  if (state.status !== 'started') return fatal('This session has ended. Thank you for taking part.');
  message('Checking your screen…');
  setState('loading');
  const m = await measureRefresh(60);
  clock.period = m.stable ? m.period : 1000 / (rec.hz || 60);
  const from = resumePoint();
  const first = session.plan.steps[from];
  logEvent('resume', { step: from, stored: state.stored.length, hz: round1(1000 / clock.period) });
  if (first.kind !== 'instructions') {
    $('#welcome-induction').hidden = !(first.kind === 'induction' && rec.started[from]);
    show('welcome-back');
    setState('welcome-back');
    await clicked($('#welcome-continue'));
  }
  return runFrom(from);
}

function resumePoint() {
  const steps = session.plan.steps;
  const progress = (i) => steps.some((s) => s.index >= i && (stepTrials(s).some(isDone) || session.rec.inductions[s.index]));
  for (const s of steps) {
    if (s.kind === 'instructions' && !progress(s.index)) return s.index;
    if (s.kind === 'test' && !s.optional && !progress(s.index + 1)) {
      // A staircase block reserves more slots than it may use: runTest asks
      // the server whether it is finished.
      if (s.method === 'staircase' || !stepTrials(s).every(isDone)) return s.index;
    }
    if (s.kind === 'induction' && s.phase !== 'reversal' && !session.rec.inductions[s.index] && !progress(s.index + 1)) return s.index;
    if (s.kind === 'debrief') return s.index;
  }
  return steps.length - 1;
}

function stepTrials(step) {
  if (step.kind !== 'test') return [];
  return Array.from({ length: step.trial_count }, (_, k) => step.first_trial + k);
}

// ---------------------------------------------------------------- the steps

async function runFrom(index) {
  for (const step of session.plan.steps.slice(index)) {
    switch (step.kind) {
      case 'instructions':
        await instructions(step);
        break;
      case 'test':
        // An optional test (a follow-up retest) belongs to a later visit.
        if (!step.optional) await runTest(step);
        break;
      case 'induction':
        // The reversal is offered from the debrief.
        if (step.phase !== 'reversal') await runInduction(step);
        break;
      case 'debrief':
        if (await debrief(step)) {
          await runInduction(session.plan.steps.find((s) => s.kind === 'induction' && s.phase === 'reversal'));
        }
        return finish();
    }
  }
  return finish();
}

async function instructions(step) {
  const { root } = await loadStep(step);
  setState('instructions');
  await clicked($('[data-next]', root));
}

// begin waits for the participant to start a phase; the click also lets
// the page (re-)enter full screen.
async function begin(root, state, stage) {
  const start = $('[data-next]', root);
  $('[data-loading]', root).textContent = '';
  start.disabled = false;
  start.focus();
  setState(state);
  await clicked(start);
  await enterFullscreen();
  $('[data-intro]', root).hidden = true;
  $('[data-run]', root).hidden = false;
  show('step', true);
  stage.fit();
  stage.blank();
}

// A test block: constant stimuli and adjustment run the planned trials not
// yet done; a staircase asks the server for each next trial.
async function runTest(step) {
  const staircase = step.method === 'staircase';
  let next = null;
  if (staircase) {
    next = await nextStaircase(step);
    if (next.done) return;
  } else if (stepTrials(step).every(isDone)) {
    return;
  }
  const { root, data } = await loadStep(step);
  const ui = {
    root,
    stage: makeStage($('canvas.stage', root), data.size_px),
    prompt: $('[data-prompt]', root),
    progress: $('[data-progress]', root),
    slider: $('[data-slider]', root),
  };
  setState('loading');
  const todo = data.trials.filter((t) => !isDone(t.index));
  if (step.method === 'adjustment') {
    await Promise.all(todo.map((t) => loadImage(tintURL(data, t.pattern, t.start_tint))));
  } else if (staircase) {
    await loadImage(next.trial.stimulus_url);
  } else {
    await Promise.all(todo.map((t) => loadImage(t.stimulus_url)));
  }
  await begin(root, 'block-start', ui.stage);
  const phaseStart = await clock.frame();
  logEvent('test_start', { step: step.index, phase: step.phase, block: step.block, trials: todo.length });
  const timing = { n: 0, within: 0, dropped: 0 };
  const tally = (body) => {
    timing.n++;
    timing.dropped += body.dropped_frames;
    if (Math.abs(body.measured_ms - body.intended_ms) <= clock.period + 0.5) timing.within++;
  };
  if (staircase) {
    for (let k = 1; !next.done; k++) {
      ui.progress.textContent = `Pattern ${k}`;
      const t = next.trial;
      const body = await twoAFC(ui, t, await loadImage(t.stimulus_url), phaseStart, data.fixation_ms);
      tally(body);
      queue.trial(t.index, body);
      // The next tint depends on this answer: it must be stored first.
      await queue.drain();
      next = await nextStaircase(step);
    }
  } else {
    for (const [k, t] of todo.entries()) {
      ui.progress.textContent = `${k + 1} of ${todo.length}`;
      let body;
      if (step.method === 'adjustment') {
        body = await adjust(ui, t, data, phaseStart);
      } else {
        body = await twoAFC(ui, t, await loadImage(t.stimulus_url), phaseStart, data.fixation_ms);
        tally(body);
      }
      queue.trial(t.index, body);
    }
  }
  input.handler = null;
  logEvent('test_end', { step: step.index, block: step.block, ...timing, period_ms: round1(clock.period) });
  images.clear();
}

async function nextStaircase(step) {
  await queue.drain();
  const r = await reliably('GET', `${API}/sessions/${session.id}/next?block=${step.block}`, { token: session.token });
  if (r.status === 401 || r.status === 404) {
    sessionLost();
    return new Promise(() => {});
  }
  if (!r.ok) {
    fatal(`The next pattern could not be prepared (error ${r.status}).`);
    return new Promise(() => {});
  }
  return r.data;
}

// waitFrames lets n refreshes pass from frame timestamp since and returns
// the timestamp of the frame that ends them.
async function waitFrames(n, since) {
  let ts = since;
  while (clock.elapsed(ts, since) < n) ts = await clock.frame();
  return ts;
}

// twoAFC runs one forced-choice trial, all of it frame-locked: fixation,
// the pattern for duration_ms, then a blank screen and the question. The
// answer may come from the pattern's onset; RT counts from the onset frame.
async function twoAFC(ui, trial, img, phaseStart, fixationMS) {
  let answered;
  const answer = new Promise((resolve) => { answered = resolve; });
  let onset = Infinity;
  input.handler = (kind, value, t) => {
    if (kind === 'left') value = 'red';
    else if (kind === 'right') value = 'green';
    else if (kind !== 'answer') return false;
    if (t < onset) return false; // too early (or before the pattern was shown)
    answered({ value, t });
    input.handler = null;
    return true;
  };
  setState('trial', trial.index);
  ui.prompt.textContent = '';
  const fixOn = await clock.frame();
  ui.stage.blank();
  ui.stage.fixation();
  onset = await waitFrames(clock.frames(fixationMS), fixOn);
  ui.stage.image(img);
  const n = clock.frames(trial.duration_ms);
  let shown = 0; // frame callbacks while the pattern was up
  let ts = onset;
  do {
    shown++;
    ts = await clock.frame();
  } while (clock.elapsed(ts, onset) < n);
  ui.stage.blank();
  const offset = ts;
  setState('respond', trial.index);
  ui.prompt.textContent = 'Did the light stripes look reddish or greenish?';
  const a = await answer;
  ui.prompt.textContent = '';
  const measured = offset - onset;
  const frames = Math.round(measured / clock.period);
  // A short blank before the next fixation cross.
  await waitFrames(clock.frames(250), await clock.frame());
  return {
    response: a.value, tint: trial.tint, rt_ms: round1(a.t - onset), onset_ms: round1(onset - phaseStart),
    intended_ms: trial.duration_ms, measured_ms: round1(measured), frames, dropped_frames: Math.max(0, frames - shown),
  };
}

// The tint is a number on the step grid; the server renders any tint.
const tintText = (x) => String(Math.round(x * 1e6) / 1e6);
const tintURL = (data, pattern, tint) =>
  `${data.stimulus_url}?pattern=${encodeURIComponent(pattern)}&tint=${tintText(tint)}`;

// adjust runs one nulling trial: the pattern stays up while the participant
// moves its tint in steps (keys or slider) and confirms. The answer is the
// tint on the screen when they confirm.
async function adjust(ui, trial, data, phaseStart) {
  const { min_tint: lo, max_tint: hi, step } = trial;
  const clamp = (x) => Math.round(Math.min(hi, Math.max(lo, x)) * 1e6) / 1e6;
  let tint = clamp(trial.start_tint);
  let confirmed = 0;
  let onset = Infinity;
  // The slider's middle must not mean "neutral", or dragging to the middle
  // would be an answer: its ends reach a random number of steps past the
  // tint range (where the tint stays at the bound), so its middle is a
  // different tint on every trial.
  const slider = ui.slider;
  const spare = Math.round((hi - lo) / 2 / step);
  const below = Math.floor(Math.random() * (spare + 1));
  Object.assign(slider, { min: lo - below * step, max: hi + (spare - below) * step, step });
  slider.value = tint;
  // From the keys, the slider follows the tint; from the slider itself, it
  // stays where it was put (snapping back would show where the range ends).
  const set = (x, fromSlider = false) => {
    tint = clamp(x);
    if (!fromSlider) slider.value = tint;
    // Neighbours first, so the next key press finds its image decoded.
    for (const d of [1, -1, 2, -2]) loadImage(tintURL(data, trial.pattern, clamp(tint + d * step)), { retry: false }).catch(() => {});
    loadImage(tintURL(data, trial.pattern, tint), { retry: false }).catch(() => {});
  };
  slider.oninput = () => set(Number(slider.value), true);
  input.handler = (kind, value, t) => {
    if (kind === 'left') set(tint - step);
    else if (kind === 'right') set(tint + step);
    else if (kind === 'confirm' && t >= onset) confirmed = t;
    else return false;
    return true;
  };
  set(tint);
  const first = await loadImage(tintURL(data, trial.pattern, tint));
  onset = await clock.frame();
  ui.stage.image(first);
  let shownTint = tint;
  document.body.dataset.tint = tintText(shownTint);
  setState('adjust', trial.index);
  ui.prompt.textContent = 'Change the colour until the light stripes look neither reddish nor greenish.';
  let shown = 0;
  let ts = onset;
  while (!confirmed) {
    shown++;
    ts = await clock.frame();
    // Draw the wanted tint as soon as its image is decoded; until then the
    // previous one stays up (and is what a confirmation refers to).
    const url = tintURL(data, trial.pattern, tint);
    if (tint !== shownTint && !images.has(url) && shown % 30 === 0) {
      loadImage(url, { retry: false }).catch(() => {}); // its last load failed: try again, gently
    }
    const img = tint !== shownTint && images.get(url)?.img;
    if (img) {
      ui.stage.image(img);
      shownTint = tint;
      document.body.dataset.tint = tintText(shownTint);
    }
  }
  input.handler = null;
  slider.oninput = null;
  ui.stage.blank();
  const measured = ts - onset;
  const frames = Math.round(measured / clock.period);
  await waitFrames(clock.frames(400), await clock.frame());
  return {
    response: shownTint, tint: shownTint, rt_ms: round1(confirmed - onset), onset_ms: round1(onset - phaseStart),
    intended_ms: 0, measured_ms: round1(measured), frames, dropped_frames: Math.max(0, frames - shown),
  };
}

const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

// runInduction plays an induction step to its end. An interruption longer
// than restart_after_ms (or a reload) starts it again from the beginning.
async function runInduction(step) {
  const { root, data } = await loadStep(step);
  const ui = {
    stage: makeStage($('canvas.stage', root), data.size_px),
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
    const r = await playInduction(ui, data);
    if (r.done) {
      logEvent('induction_end', { step: step.index, attempt, frames: r.frames, dropped_frames: r.dropped,
        measured_ms: round1(r.measured), intended_ms: data.schedule.duration_ms });
      break;
    }
    logEvent('induction_restart', { step: step.index, reason: r.reason, away_ms: Math.round(r.away) });
  }
  session.rec.inductions[step.index] = true;
  saveRecord();
  images.clear();
}

async function pauseScreen(ui, title, text) {
  setState('induction-paused');
  $('h2', ui.overlay).textContent = title;
  ui.overlayText.textContent = text;
  ui.overlay.hidden = false;
  ui.resume.focus();
  await clicked(ui.resume);
  ui.overlay.hidden = true;
  await enterFullscreen();
  setState('induction');
}

// playInduction shows the schedule's frames at their planned times (as
// frame counts), moves the fixation mark with each frame, and pauses when
// the page is hidden or leaves full screen.
async function playInduction(ui, data) {
  const { frames: plan, duration_ms: total } = data.schedule;
  const starts = plan.map((f) => Math.round(f.start_ms / clock.period));
  const end = clock.frames(total);
  ui.bar.max = end;
  let pausedAt = 0, backAt = 0, reason = '';
  activeInduction = {
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
    let t0 = await clock.frame();
    let ts = t0, k = -1, callbacks = 0, left = -1;
    for (;;) {
      if (pausedAt) {
        const at = ts;
        ui.stage.blank();
        k = -1;
        // Away: until the page was visible again, or else until Continue.
        const away = () => (backAt || performance.now()) - pausedAt;
        const limit = data.restart_after_ms;
        if (away() > limit) {
          await pauseScreen(ui, 'Starting again',
            `You were away for ${Math.round(away() / 1000)} seconds, so this part starts again from the beginning.`);
        } else {
          await pauseScreen(ui, 'Paused',
            `Press Continue to go on. After more than ${Math.round(limit / 1000)} seconds away, this part starts again from the beginning.`);
        }
        const gone = away();
        pausedAt = backAt = 0;
        if (gone > limit) return { done: false, away: gone, reason };
        logEvent('induction_resume', { away_ms: Math.round(gone) });
        ts = await clock.frame();
        t0 += ts - at; // the pause does not count towards the induction
      }
      const e = clock.elapsed(ts, t0);
      if (e >= end) {
        ui.stage.blank();
        return { done: true, frames: e, dropped: Math.max(0, e - callbacks), measured: ts - t0 };
      }
      let nk = Math.max(k, 0);
      while (nk + 1 < starts.length && starts[nk + 1] <= e) nk++;
      if (nk !== k) {
        k = nk;
        const f = plan[k];
        ui.stage.image(frameImage(data, f));
        ui.stage.fixation(f.fixation_x, f.fixation_y);
      }
      callbacks++;
      const secs = Math.ceil(((end - e) * clock.period) / 1000);
      if (secs !== left) { // text changes once a second, not every frame
        left = secs;
        ui.countdown.textContent = mmss(secs);
        ui.bar.value = e;
      }
      ts = await clock.frame();
    }
  } finally {
    activeInduction = null;
  }
}

function frameImage(data, frame) {
  return images.get(data.stimulus_urls[`${frame.pattern}/${frame.color}`]).img;
}

// debrief resolves true when the participant chooses the reversal.
async function debrief(step) {
  const { root } = await loadStep(step);
  exitFullscreen();
  const offer = $('[data-reversal-offer]', root);
  if (offer && session.rec.reversal) offer.hidden = true;
  setState('debrief');
  const choice = await Promise.race([
    clicked($('[data-finish]', root)).then(() => false),
    offer ? clicked($('[data-reversal]', offer)).then(() => true) : new Promise(() => {}),
  ]);
  logEvent(choice ? 'reversal_chosen' : 'finish_chosen');
  if (choice) {
    session.rec.reversal = true;
    saveRecord();
  }
  return choice;
}

// finish completes the session once every answer is acknowledged; the
// completion code (and the redirect) only come after the server confirms.
async function finish() {
  message('Saving your answers…');
  setState('finishing');
  await queue.drain();
  const r = await reliably('POST', `${API}/sessions/${session.id}/complete`, { token: session.token });
  if (r.ok) return showFinished(true);
  const missing = r.status === 409 && r.data?.details?.missing;
  if (missing?.length) {
    // Some answers never reached the server (this device lost its queue?):
    // go back to the first step that still needs them.
    logEvent('complete_missing', { missing: missing.slice(0, 50) });
    const st = await reliably('GET', `${API}/sessions/${session.id}`, { token: session.token });
    if (st.ok) session.stored = new Set(st.data.stored);
    const step = session.plan.steps.find((s) => stepTrials(s).includes(missing[0]));
    if (step) return runFrom(step.index);
  }
  if (r.status === 401 || r.status === 404) return sessionLost();
  return fatal(`The session could not be completed (${r.data?.error || `error ${r.status}`}).`);
}

async function showFinished(redirect) {
  const { root } = await loadFragment(`/s/${boot.slug}/sessions/${session.id}/finished`);
  exitFullscreen();
  setState('finished');
  const code = $('#completion-code', root).textContent;
  $('[data-copy]', root).addEventListener('click', () => {
    navigator.clipboard?.writeText(code).then(
      () => { $('[data-copied]', root).textContent = 'Copied.'; },
      () => { $('[data-copied]', root).textContent = 'Please copy the code by hand.'; });
  });
  const link = $('[data-redirect]', root);
  // Leave a moment to see the code; the link is there if the redirect fails.
  if (redirect && link) {
    link.insertAdjacentText('afterend', ' (this happens by itself in a few seconds)');
    setTimeout(() => location.assign(link.href), 3000);
  }
}

// ---------------------------------------------------------------- start

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
  $('#fatal-reload').addEventListener('click', () => location.reload());
  const rec = store.get(recordKey());
  if (rec?.id) {
    const r = await reliably('GET', `${API}/sessions/${rec.id}`, { token: rec.token });
    if (r.ok) return resume(rec, r.data);
    store.del(recordKey()); // unknown or not ours any more: start afresh
  }
  await consent();
  const screen = await screenCheck();
  if (!(await createSession(screen))) return;
  const first = session.plan.steps.find((s) => s.kind === 'instructions');
  return runFrom(first.index);
}

main().catch((err) => {
  console.error(err);
  fatal(`An unexpected error stopped the study: ${err?.message || err}`);
});
