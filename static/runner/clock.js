// The clock: ONE requestAnimationFrame loop. Durations are frame counts at
// the refresh rate measured in the screen check, never an assumed 60 Hz.

// Code that draws awaits clock.frame(): it resolves inside the frame's
// callback, so the code after the await draws into that very frame, whose
// timestamp is its onset. The loop idles when nobody waits.
export const clock = {
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
export async function measureRefresh(n = 90) {
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
