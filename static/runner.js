// The participant's runner for a McCollough study (DESIGN.md §5). The
// server renders every screen; this module runs the clock (ONE
// requestAnimationFrame loop; durations are frame counts at the measured
// refresh rate), reads the input, keeps the send queue (localStorage first,
// PUT until acknowledged) and walks the plan's steps, fetching each step's
// fragment (HTML with its schedule as JSON). No framework, no build step,
// no inline script. <body> carries data-state and data-trial (tests, styling).

const API = '/api/v1';
const boot = JSON.parse(document.getElementById('boot').textContent);
const params = Object.fromEntries(new URLSearchParams(location.search));
// As experiments.ParticipantRef picks it.
const pid = params.PROLIFIC_PID || params.pid || params.PID || params.participant || params.participant_id || '';

// ---- helpers

const $ = (sel, root = document) => root.querySelector(sel);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise(() => {}); // the page stops here
const round1 = (x) => Math.round(x * 10) / 10;
const clicked = (el) => new Promise((resolve) => el.addEventListener('click', resolve, { once: true }));

function setState(state, trial = '') {
  document.body.dataset.state = state;
  document.body.dataset.trial = trial;
  $('#withdraw').hidden = /^(finish|ended|declined|withdraw)/.test(state);
}

// show makes one <section data-screen> visible; a running phase is a dark stage.
function show(id, running = false) {
  for (const s of document.querySelectorAll('#app > [data-screen]')) s.hidden = s.id !== id;
  document.body.classList.toggle('running', running);
  if (!running) {
    scrollTo(0, 0);
    // Screen readers announce the new screen.
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
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* keep going */ }
  },
  del(key) {
    try { localStorage.removeItem(key); } catch { /* keep going */ }
  },
};

// ---- network

// The banner is up while any sender (queue, page request, image) fails.
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

// backoff: exponential, capped at ~10 s, jittered (no retrying in lockstep).
const backoff = (attempt) => Math.min(10000, 400 * 2 ** attempt) * (0.75 + Math.random() / 2);
const retryable = (status) => status >= 500 || status === 408 || status === 429;
const gone = (r) => r.status === 401 || r.status === 404;

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

// reliably retries network failures and server errors for ever and returns
// any other answer.
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

// ---- clock

// Code that draws awaits clock.frame(): it resolves inside the frame's
// callback, so the code after the await draws into that very frame, whose
// timestamp is its onset. The loop idles when nobody waits.
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
  frames(ms) {
    return Math.max(1, Math.round(ms / this.period));
  },
  // Refreshes between two timestamps (right also across dropped frames).
  elapsed(ts, since) {
    return Math.round((ts - since) / this.period);
  },
};

// measureRefresh: the intervals near the median give the rate; the share
// of irregular ones and the spread say whether the timing can be trusted.
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
  // The mean of the regular intervals (timestamps are coarse).
  const regular = iv.filter((x) => Math.abs(x - median) <= 0.25 * median);
  const period = regular.reduce((a, b) => a + b, 0) / regular.length;
  return {
    period, hz: 1000 / period, sd,
    stable: regular.length >= 0.9 * n && sd <= 0.5 * median,
  };
}

// ---- input

// input.handler(kind, value, time) gets the actions while a trial runs
// (answer|left|right|confirm|pick; time on the frames' clock); false
// leaves the key to the browser.
const input = {
  handler: null,
  init() {
    addEventListener('keydown', (e) => {
      if (!this.handler || e.repeat || e.altKey || e.ctrlKey || e.metaKey || $('#withdraw-dialog').open) return;
      const action = keyAction(e.key);
      if (!action) return;
      if ((action[0] === 'left' || action[0] === 'right') && e.target.type === 'range') return;
      if (this.handler(action[0], action[1], eventTime(e)) !== false) e.preventDefault();
    });
    // A button's answer counts from pointerdown, not the (later) click.
    document.addEventListener('pointerdown', (e) => {
      const b = e.target.closest('button');
      if (b) b.downAt = eventTime(e);
    }, true);
    document.addEventListener('click', (e) => {
      const b = e.target.closest('[data-response], [data-confirm], [name=pick]');
      if (!b || !this.handler) return;
      const t = b.downAt && eventTime(e) - b.downAt < 5000 ? b.downAt : eventTime(e);
      b.downAt = 0;
      const r = b.dataset.response;
      this.handler(r ? 'answer' : b.name === 'pick' ? 'pick' : 'confirm', r || +b.value, t);
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

// ---- queue

// SendQueue keeps unacknowledged trials and events in localStorage and
// sends them one at a time, trials in index order (staircases need it).
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
    if (!this.dead) store.set(this.key, { trials: this.trials, events: this.events, seq: this.seq });
  }

  clear() {
    this.dead = true;
    this.trials = {};
    this.events = [];
    store.del(this.key);
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

  // drain: everything queued is acknowledged (retrying at once).
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

  // sendOne: true when the server took the item (or refused it for good).
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
    if (gone(r)) {
      this.dead = true;
      sessionLost();
      return false;
    }
    if (index !== undefined) {
      if (!r.ok) {
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

// ---- stage

// makeStage: the canvas is size_px square, and size_px / devicePixelRatio
// in CSS: one image pixel per device pixel.
function makeStage(canvas, size) {
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d', { alpha: false });
  const bg = '#141416';
  const fit = () => {
    const dpr = devicePixelRatio || 1;
    const css = size / dpr;
    canvas.style.width = canvas.style.height = `${css}px`;
    // A short screen: the answers go beside the pattern.
    canvas.parentElement.classList.toggle('side', css + 170 > innerHeight && innerWidth > css + 200);
    canvas.style.transform = '';
    // Onto the device pixel grid (no resampling).
    const r = canvas.getBoundingClientRect();
    const dx = Math.round(r.left * dpr) / dpr - r.left;
    const dy = Math.round(r.top * dpr) / dpr - r.top;
    canvas.style.transform = `translate(${dx}px, ${dy}px)`;
    ctx.imageSmoothingEnabled = false;
  };
  currentStage = { fit };
  // Text beside it can move it off the grid again.
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
    // A dark-edged cross at (x, y) px from the centre.
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

// Images are preloaded AND decoded before a phase starts.
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
    // For synchronous use in a frame.
    p.then((img) => { p.img = img; }, () => {});
  }
  return p;
}

// ---- page events

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

// enterFullscreen (soon after a click): a refusal is recorded, the study goes on.
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

// ---- session

let session = null; // { id, token, plan, stored: Set, rec }

function recordKey() {
  return `mccollough:${boot.slug}:${boot.preview ? '(preview)' : pid}`;
}

function saveRecord() {
  store.set(recordKey(), session.rec);
}

const isDone = (index) => session.stored.has(index) || queue.has(index);

// sessionLost: the server no longer knows this session (or its token).
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

// loadFragment puts a fragment in place of #step; it returns it with its JSON data.
async function loadFragment(path) {
  const r = await reliably('GET', path, { token: session.token, accept: 'text/html' });
  if (gone(r)) {
    sessionLost();
    return never();
  }
  if (!r.ok) {
    fatal(`The server could not prepare the next screen (error ${r.status}).`);
    return never();
  }
  const doc = new DOMParser().parseFromString(r.text, 'text/html');
  const section = document.adoptNode(doc.getElementById('step'));
  document.getElementById('step').replaceWith(section);
  const json = $('#step-data', section);
  show('step');
  return { root: section, data: json ? JSON.parse(json.textContent) : null };
}

const loadStep = (step) => loadFragment(`/s/${boot.slug}/sessions/${session.id}/steps/${step.index}`);

// ---- screens before the session

async function consent() {
  show('consent');
  setState('consent');
  $('#consent-no').addEventListener('click', declined);
  await clicked($('#consent-yes'));
}

// declined: not taking part (any more), before a session exists.
function declined() {
  quit = true;
  show('consent');
  $('#consent-declined').hidden = false;
  for (const b of document.querySelectorAll('#consent button')) b.disabled = true;
  setState('declined');
}
let quit = false;

// screenCheck: full screen, refresh rate, pixel ratio, window (the study's
// rule) and pointer; it returns the experiments.ScreenInfo.
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
    const pointer = ['fine', 'coarse'].find((p) => matchMedia(`(pointer: ${p})`).matches) || 'none';
    const rule = boot.screen;
    let problem = '', state = 'screen-fail';
    if (rule && (viewport.width < rule.min_width || viewport.height < rule.min_height)) {
      problem = `This study needs a browser window of at least ${rule.min_width} × ${rule.min_height} pixels, and yours is ` +
        `${viewport.width} × ${viewport.height}. Please make the window larger (or allow full screen) and try again, or switch to a computer with a larger screen.`;
      state = 'screen-small';
    } else if (rule?.desktop_only && pointer === 'coarse') {
      problem = 'This study needs a computer with a mouse or trackpad, not a phone or tablet. Please open the same link on a computer.';
      state = 'screen-small';
    } else if (m.hz < 50) {
      problem = `Your screen refreshes ${Math.round(m.hz)} times a second, but this study needs at least 50. ` +
        'If your device has a power-saving mode, please turn it off (or plug in a laptop), or use another device, and try again.';
    } else if (!m.stable) {
      problem = 'The timing of your screen was irregular during the check. Please close other tabs and programs, ' +
        'keep this tab in front, and try again.';
    } else if (boot.size_px / dpr > Math.min(viewport.width, viewport.height)) {
      problem = 'The browser window is too small to show the patterns at their exact size. ' +
        'Please make the window larger (or allow full screen), and try again.';
    }
    logEvent('screen_check', { hz: round1(m.hz), sd_ms: round1(m.sd), dpr, viewport, pointer, fullscreen, ok: !problem });
    button.disabled = false;
    if (!problem) {
      clock.period = m.period;
      status.textContent = 'All set.';
      return {
        refresh_hz: Math.round(m.hz * 100) / 100, refresh_sd_ms: Math.round(m.sd * 100) / 100,
        device_pixel_ratio: dpr, viewport, pointer,
      };
    }
    status.textContent = problem;
    button.textContent = 'Try again';
    setState(state);
  }
}

let creating = null; // the request creating the session

async function createSession(screen) {
  if (quit) return never();
  message('Starting your session…');
  setState('creating');
  const r = await (creating = reliably('POST', `${API}/studies/${encodeURIComponent(boot.slug)}/sessions`, { body: { params, screen } }));
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
  // The server checks the screen too.
  return r.data.status === 'screened_out' ? showEnded() : true;
}

function startQueue() {
  queue = new SendQueue(session);
  for (const [kind, data] of early.splice(0)) queue.event(kind, data);
  queue.kick();
}

// ---- resuming

// resume continues a session after a reload or a reopened link, at the
// first step whose answers are not all stored (or queued).
async function resume(rec, state) {
  session = { id: rec.id, token: rec.token, plan: state.plan, stored: new Set(state.stored), rec };
  rec.inductions ||= {};
  rec.started ||= {};
  if (state.status === 'complete') return showFinished(false);
  if (/withdrawn|screened_out/.test(state.status)) return showEnded();
  if (state.status !== 'started') return fatal('This session has ended. Thank you for taking part.');
  startQueue();
  if (rec.fresh) {
    // A preview begins with the consent, as participants do.
    delete rec.fresh;
    await consent();
    rec.hz = (await screenCheck()).refresh_hz;
    saveRecord();
    return runFrom(afterCheck());
  }
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
    if (s.kind === 'screening' && !progress(s.index + 1)) return s.index;
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
  if (step.kind !== 'test' && step.kind !== 'screening') return [];
  return Array.from({ length: step.trial_count }, (_, k) => step.first_trial + k);
}

// ---- the steps

const afterCheck = () => session.plan.steps.findIndex((s) => s.kind === 'screen_check') + 1;

async function runFrom(index) {
  for (const step of session.plan.steps.slice(index)) {
    longStep(step.kind !== 'instructions' && step.kind !== 'debrief');
    switch (step.kind) {
      case 'screening':
        await runScreening(step);
        break;
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
          longStep(true);
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

// begin waits for the Start click, which may also (re-)enter full screen.
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

// A test block: the planned trials not yet done; a staircase asks the
// server for each next trial.
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
      const body = skip.on ? autoBody(t) : await twoAFC(ui, t, await loadImage(t.stimulus_url), phaseStart, data.fixation_ms);
      tally(body);
      queue.trial(t.index, body);
      // The next tint depends on this answer.
      await queue.drain();
      next = await nextStaircase(step);
    }
  } else {
    for (const [k, t] of todo.entries()) {
      ui.progress.textContent = `${k + 1} of ${todo.length}`;
      let body;
      if (skip.on) {
        body = autoBody(t);
      } else if (step.method === 'adjustment') {
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
  if (gone(r)) {
    sessionLost();
    return never();
  }
  if (!r.ok) {
    fatal(`The next pattern could not be prepared (error ${r.status}).`);
    return never();
  }
  return r.data;
}

// runScreening: the colour check. Each trial shows its patches side by
// side, the tinted one at position target; the server then scores the
// stored answers: passed goes on, failed ends the session kindly.
async function runScreening(step) {
  if (!stepTrials(step).every(isDone)) {
    const { root, data } = await loadStep(step);
    setState('loading');
    const todo = data.trials.filter((t) => !isDone(t.index));
    await Promise.all(todo.flatMap((t) => [loadImage(t.stimulus_url), loadImage(t.neutral_url)]));
    $('[data-loading]', root).hidden = true;
    $('[data-run]', root).hidden = false;
    const box = $('[data-patches]', root);
    const el = (tag, props, ...kids) => {
      const e = Object.assign(document.createElement(tag), props);
      e.append(...kids);
      return e;
    };
    const phaseStart = await clock.frame();
    for (const [k, t] of todo.entries()) {
      $('[data-progress]', root).textContent = `${k + 1} of ${todo.length}`;
      const imgs = Array.from({ length: t.patches }, (_, i) => el('img', { alt: '', src: i === t.target ? t.stimulus_url : t.neutral_url }));
      box.replaceChildren(...imgs.map((img, i) => el('button', { type: 'button', name: 'pick', value: i }, img,
        el('span', { className: 'visually-hidden', textContent: 'Patch ' }), el('kbd', { textContent: i + 1 }))));
      await Promise.all(imgs.map((img) => img.decode().catch(() => {})));
      let answered;
      const answer = new Promise((resolve) => { answered = resolve; });
      skip.hook = () => answered({ value: t.target }); // a preview passes
      input.handler = (kind, value, time) => kind === 'pick' && value < t.patches && !answered({ value, time });
      box.classList.remove('blank');
      const onset = await clock.frame();
      setState('screening', t.index);
      if (skip.on) skip.hook();
      const a = await answer;
      input.handler = skip.hook = null;
      box.classList.add('blank');
      queue.trial(t.index, {
        response: a.value, tint: t.tint, rt_ms: round1(Math.max(0, (a.time ?? onset) - onset)), onset_ms: round1(onset - phaseStart),
        intended_ms: 0, measured_ms: 0, frames: 0, dropped_frames: 0,
      });
      await sleep(300);
    }
  }
  message('Checking your answers…');
  setState('loading');
  await queue.drain();
  const r = await reliably('POST', `${API}/sessions/${session.id}/screening`, { token: session.token });
  if (r.status === 409 && r.data?.details?.missing) {
    const st = await reliably('GET', `${API}/sessions/${session.id}`, { token: session.token });
    if (st.ok) session.stored = new Set(st.data.stored);
    return runScreening(step);
  }
  if (gone(r)) return sessionLost();
  if (!r.ok) return fatal(`The colour check could not be scored (error ${r.status}).`);
  if (!r.data.passed) return showEnded();
  logEvent('screening_end', r.data);
}

// A preview's skip-ahead ends an induction, and answers the rest of a test
// block at random (the colour check: rightly).
const skip = { on: false, hook: null };
const coin = () => (Math.random() < 0.5 ? 'red' : 'green');

function longStep(on) {
  skip.on = false;
  const b = $('#skip');
  if (b) b.hidden = !on;
}

function autoBody(t) {
  const adjust = t.method === 'adjustment', tint = adjust ? t.start_tint : t.tint;
  return { response: adjust ? tint : coin(), tint, rt_ms: 0, onset_ms: 0, intended_ms: adjust ? 0 : t.duration_ms,
    measured_ms: 0, frames: 0, dropped_frames: 0 };
}

// waitFrames lets n refreshes pass from timestamp since; it returns the last.
async function waitFrames(n, since) {
  let ts = since;
  while (clock.elapsed(ts, since) < n) ts = await clock.frame();
  return ts;
}

// twoAFC: one frame-locked forced-choice trial: fixation, the pattern for
// duration_ms, blank and the question. Answers count from the onset frame.
async function twoAFC(ui, trial, img, phaseStart, fixationMS) {
  let answered;
  const answer = new Promise((resolve) => { answered = resolve; });
  skip.hook = () => answered({ value: coin() });
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
  skip.hook = null;
  ui.prompt.textContent = '';
  const measured = offset - onset;
  const frames = Math.round(measured / clock.period);
  await waitFrames(clock.frames(250), await clock.frame());
  return {
    response: a.value, tint: trial.tint, rt_ms: round1((a.t ?? performance.now()) - onset), onset_ms: round1(onset - phaseStart),
    intended_ms: trial.duration_ms, measured_ms: round1(measured), frames, dropped_frames: Math.max(0, frames - shown),
  };
}

// The tint is a number on the step grid; the server renders any tint.
const tintText = (x) => String(Math.round(x * 1e6) / 1e6);
const tintURL = (data, pattern, tint) =>
  `${data.stimulus_url}?pattern=${encodeURIComponent(pattern)}&tint=${tintText(tint)}`;

// adjust: one nulling trial; the answer is the tint on the screen when the
// participant confirms.
async function adjust(ui, trial, data, phaseStart) {
  const { min_tint: lo, max_tint: hi, step } = trial;
  const clamp = (x) => Math.round(Math.min(hi, Math.max(lo, x)) * 1e6) / 1e6;
  let tint = clamp(trial.start_tint);
  let confirmed = 0;
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
    for (const d of [1, -1, 2, -2]) loadImage(tintURL(data, trial.pattern, clamp(tint + d * step)), { retry: false }).catch(() => {});
    loadImage(tintURL(data, trial.pattern, tint), { retry: false }).catch(() => {});
  };
  slider.oninput = () => set(Number(slider.value), true);
  skip.hook = () => { confirmed = performance.now(); };
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
    // The wanted tint once decoded; until then the shown one counts.
    const url = tintURL(data, trial.pattern, tint);
    if (tint !== shownTint && !images.has(url) && shown % 30 === 0) {
      loadImage(url, { retry: false }).catch(() => {}); // retry, gently
    }
    const img = tint !== shownTint && images.get(url)?.img;
    if (img) {
      ui.stage.image(img);
      shownTint = tint;
      document.body.dataset.tint = tintText(shownTint);
    }
  }
  input.handler = skip.hook = null;
  slider.oninput = null;
  ui.stage.blank();
  const measured = ts - onset;
  const frames = Math.round(measured / clock.period);
  await waitFrames(clock.frames(400), await clock.frame());
  return {
    response: shownTint, tint: shownTint, rt_ms: round1(Math.max(0, confirmed - onset)), onset_ms: round1(onset - phaseStart),
    intended_ms: 0, measured_ms: round1(measured), frames, dropped_frames: Math.max(0, frames - shown),
  };
}

const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

// runInduction: an interruption longer than restart_after_ms (or a
// reload) starts it again from the beginning.
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

// playInduction shows the schedule's frames at their planned frame counts
// and pauses when the page is hidden or leaves full screen.
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
        const away = () => (backAt || performance.now()) - pausedAt;
        const limit = data.restart_after_ms;
        if (away() > limit) {
          await pauseScreen(ui, 'Starting again',
            `You were away for ${Math.round(away() / 1000)} seconds, so this part starts again from the beginning.`);
        } else {
          await pauseScreen(ui, 'Paused',
            `Press Continue to go on. After more than ${Math.round(limit / 1000)} seconds away, this part starts again from the beginning.`);
        }
        const ms = away();
        pausedAt = backAt = 0;
        if (ms > limit) return { done: false, away: ms, reason };
        logEvent('induction_resume', { away_ms: Math.round(ms) });
        ts = await clock.frame();
        t0 += ts - at; // the pause does not count towards the induction
      }
      const e = clock.elapsed(ts, t0);
      if (e >= end || skip.on) {
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
      if (secs !== left) {
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
    offer ? clicked($('[data-reversal]', offer)).then(() => true) : never(),
  ]);
  logEvent(choice ? 'reversal_chosen' : 'finish_chosen');
  if (choice) {
    session.rec.reversal = true;
    saveRecord();
  }
  return choice;
}

// finish: the completion code (and redirect) once the server has every answer.
async function finish() {
  message('Saving your answers…');
  setState('finishing');
  await queue.drain();
  const r = await reliably('POST', `${API}/sessions/${session.id}/complete`, { token: session.token });
  if (r.ok) return showFinished(!boot.preview);
  const missing = r.status === 409 && r.data?.details?.missing;
  if (missing?.length) {
    // Back to the first step that still needs answers.
    logEvent('complete_missing', { missing: missing.slice(0, 50) });
    const st = await reliably('GET', `${API}/sessions/${session.id}`, { token: session.token });
    if (st.ok) session.stored = new Set(st.data.stored);
    const step = session.plan.steps.find((s) => stepTrials(s).includes(missing[0]));
    if (step) return runFrom(step.index);
  }
  if (gone(r)) return sessionLost();
  return fatal(`The session could not be completed (${r.data?.error || `error ${r.status}`}).`);
}

// showEnded: why a withdrawn or screened-out session stopped (also when its
// link is reopened); starting again is the participant's choice.
async function showEnded() {
  queue?.clear();
  const { root } = await loadFragment(`/s/${boot.slug}/sessions/${session.id}/ended`);
  exitFullscreen();
  setState('ended');
  $('[data-restart]', root)?.addEventListener('click', () => {
    store.del(recordKey());
    location.reload();
  });
  return never();
}

// withdraw (confirmed): the server deletes the session's answers and
// events, this device its unsent ones; the reload shows the confirmation.
async function withdraw() {
  $('#withdraw-dialog').close();
  input.handler = null;
  await creating;
  if (!session) return declined(); // nothing stored yet
  message('Withdrawing…');
  setState('withdrawing');
  queue.clear();
  const r = await reliably('POST', `${API}/sessions/${session.id}/withdraw`, { token: session.token });
  if (!r.ok && !gone(r)) return fatal(`Withdrawing failed (error ${r.status}). Please try again.`);
  location.reload();
}

function initWithdraw() {
  const d = $('#withdraw-dialog');
  $('#withdraw').addEventListener('click', () => {
    activeInduction?.pause('withdraw_dialog');
    if (d.showModal) d.showModal();
    else if (confirm($('#wd-title').textContent)) withdraw();
  });
  $('#withdraw-no').addEventListener('click', () => d.close());
  $('#withdraw-yes').addEventListener('click', withdraw);
  d.addEventListener('close', () => activeInduction?.back());
  $('#skip')?.addEventListener('click', () => {
    skip.on = true;
    skip.hook?.();
    logEvent('preview_skip', { state: document.body.dataset.state });
  });
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
  const ret = $('[data-return]', root);
  if (ret) ret.textContent = `${location.origin}${location.pathname}${location.search}#resume=${session.id}.${session.token}`;
  const followup = $('[data-followup]', root);
  if (followup) {
    // The later visit: the follow-up retest, then this page again.
    await clicked(followup);
    if (!queue) startQueue();
    logEvent('followup_start');
    await runTest(session.plan.steps.find((s) => s.phase === 'followup' && s.kind === 'test'));
    await queue.drain();
    return showFinished(false);
  }
  const link = $('[data-redirect]', root);
  if (redirect && link) {
    link.insertAdjacentText('afterend', ' (this happens by itself in a few seconds)');
    setTimeout(() => location.assign(link.href), 3000);
  }
}

// ---- start

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
  initWithdraw();
  $('#fatal-reload').addEventListener('click', () => location.reload());
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
    if (r.ok) return resume(rec, r.data);
    store.del(recordKey()); // unknown or not ours any more: start afresh
  }
  if (boot.preview) return fatal('This preview has ended or was deleted. Start a new one from the experiment’s dashboard.');
  await consent();
  const screen = await screenCheck();
  if (!(await createSession(screen))) return;
  return runFrom(afterCheck());
}

main().catch((err) => {
  console.error(err);
  fatal(`An unexpected error stopped the study: ${err?.message || err}`);
});
