// Small helpers shared by every module: the DOM, timers, local storage.

export const $ = (sel, root = document) => root.querySelector(sel);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const never = () => new Promise(() => {}); // the page stops here
export const round1 = (x) => Math.round(x * 10) / 10;
export const clicked = (el) => new Promise((resolve) => el.addEventListener('click', resolve, { once: true }));

// page: withdrawable once a session exists (before, there is nothing to
// withdraw: declining is the way out).
export const page = { withdrawable: false };

// <body> carries data-state and data-trial (tests, styling).
export function setState(state, trial = '') {
  document.body.dataset.state = state;
  document.body.dataset.trial = trial;
  $('#withdraw').hidden = !page.withdrawable || /^(finish|ended|declined|withdraw|gone)/.test(state);
}

// setDark keeps every screen at the stage's luminance (html.dark) from the
// start of the induction to the end of the post test, so that the light
// adaptation is the same for every participant.
export function setDark(on) {
  document.documentElement.classList.toggle('dark', on);
}

// show makes one <section data-screen> visible; a running phase is a dark stage.
export function show(id, running = false) {
  for (const s of document.querySelectorAll('#app > [data-screen]')) s.hidden = s.id !== id;
  document.body.classList.toggle('running', running);
  if (!running) {
    scrollTo(0, 0);
    // Screen readers announce the new screen.
    $(`#${id} h1`)?.focus();
  }
}

export function message(text) {
  $('#loading-message').textContent = text;
  show('loading');
}

export const store = {
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
