// Live dashboard of one experiment: every few seconds, fetch the live part
// as the server renders it (GET data-live, an HTML fragment; same origin,
// with the session cookie) and swap it in when it changed. All formatting
// is the server's; this only moves its HTML into place.

const POLL_MS = 5000;

const root = document.querySelector("[data-live]");

let last = null;
let timer = 0;

function setStatus(text) {
  const el = root.querySelector("[data-live-status]");
  if (el.textContent !== text) el.textContent = text;
}

async function poll() {
  if (document.hidden) return schedule();
  let res;
  try {
    // A signed-out researcher is redirected to the sign-in page: stop
    // rather than swap that page in.
    res = await fetch(root.dataset.live, { credentials: "same-origin", cache: "no-store", redirect: "manual" });
  } catch (err) {
    return failed(err.message);
  }
  if (res.type === "opaqueredirect" || res.status === 401) {
    root.dataset.state = "signed-out";
    setStatus("Signed out: sign in again and reload this page to resume live updates.");
    return;
  }
  if (!res.ok) return failed(`HTTP ${res.status}`);
  const html = await res.text();
  if (html !== last) {
    const body = root.querySelector("[data-live-body]");
    const before = body.querySelector("[data-summary]")?.textContent;
    // The fragment is the server's own template output (participant
    // text escaped there), as trusted as the page it came with.
    body.innerHTML = html;
    const summary = body.querySelector("[data-summary]")?.textContent;
    if (last !== null && summary !== before) root.querySelector("[data-live-announce]").textContent = summary;
    last = html;
  }
  root.dataset.state = "ok";
  setStatus("Live: updates every few seconds.");
  schedule();
}

function failed(reason) {
  root.dataset.state = "error";
  setStatus(`Could not update (${reason}); retrying.`);
  schedule();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(poll, POLL_MS);
}

if (root) {
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
  poll();
}
