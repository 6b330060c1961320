// The stage (a canvas showing one image pixel per device pixel), the
// image preloading, and full screen.

import { $, clicked, setState, show, sleep } from './dom.js';
import { backoff, net, retryable } from './net.js';
import { logEvent } from './queue.js';

// makeStage: the canvas is size_px square, and size_px / devicePixelRatio
// in CSS: one image pixel per device pixel. It refits on resizes until
// the step's scope ends.
export function makeStage(canvas, size, scope) {
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
  scope.listen(window, 'resize', fit);
  // Text beside it can move it off the grid again.
  const ro = new ResizeObserver(fit);
  for (const el of canvas.parentElement.children) if (el !== canvas) ro.observe(el);
  scope.defer(() => ro.disconnect());
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

// Images are preloaded AND decoded before a phase starts. They are
// fetched (not left to <img>) so that the server's answer is seen: a
// refusal (4xx) is final and rejects with ImageRefused; only network
// failures and retryable statuses are tried again.
export const images = new Map();

export class ImageRefused extends Error {
  constructor(url, status) {
    super(`the server refused an image (error ${status})`);
    this.url = url;
    this.status = status;
  }
}

export function loadImage(url, { retry = true } = {}) {
  let p = images.get(url);
  if (!p) {
    p = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          const img = await fetchImage(url);
          if (attempt > 0) net.report('images', true);
          return img;
        } catch (err) {
          if (err instanceof ImageRefused || !retry) {
            if (attempt > 0) net.report('images', true);
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

// Images are asked for with the session's token: its own image route (the
// tints of adjustment trials) wants it; the sealed /stimuli/ URLs ignore it.
let sessionAuth = {};
export const authorizeImages = (token) => { sessionAuth = { Authorization: `Bearer ${token}` }; };

async function fetchImage(url) {
  const res = await fetch(url, { headers: sessionAuth });
  if (!res.ok) {
    if (retryable(res.status)) throw new Error(`image: error ${res.status}`);
    throw new ImageRefused(url, res.status);
  }
  const img = new Image();
  img.src = URL.createObjectURL(await res.blob());
  await img.decode();
  return img;
}

// clearImages forgets the preloaded images once a step is over.
export function clearImages() {
  for (const p of images.values()) if (p.img) URL.revokeObjectURL(p.img.src);
  images.clear();
}

// enterFullscreen (soon after a click): a refusal is recorded, the study goes on.
export async function enterFullscreen() {
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

export function exitFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

// begin waits for the Start click of a step that draws, which may also
// (re-)enter full screen, and shows its blank stage.
export async function begin(root, state, stage) {
  const start = $('[data-next]', root);
  $('[data-loading]', root).textContent = '';
  start.disabled = false;
  start.focus();
  setState(state);
  await clicked(start);
  await enterFullscreen();
  reveal(root, stage);
}

// reveal replaces a step's intro by its blank stage.
export function reveal(root, stage) {
  $('[data-loading]', root).textContent = '';
  $('[data-intro]', root).hidden = true;
  $('[data-run]', root).hidden = false;
  show('step', true);
  stage.fit();
  stage.blank();
}
