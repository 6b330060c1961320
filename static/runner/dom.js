// Small helpers shared by every module: the DOM, timers, local storage.

export const $ = (sel, root = document) => root.querySelector(sel);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const never = () => new Promise(() => {}); // the page stops here
export const round1 = (x) => Math.round(x * 10) / 10;
export const clicked = (el) => new Promise((resolve) => el.addEventListener('click', resolve, { once: true }));

// <body> carries data-state and data-trial (tests, styling).
export function setState(state, trial = '') {
  document.body.dataset.state = state;
  document.body.dataset.trial = trial;
  $('#withdraw').hidden = /^(finish|ended|declined|withdraw|gone)/.test(state);
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
