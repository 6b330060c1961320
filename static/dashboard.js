// Live dashboard of one experiment: polls GET /api/v1/experiments/{slug}/dashboard
// (same origin, with the session cookie; GETs need no CSRF token) every few
// seconds, and the session list when something changed. The formats match
// the server-rendered first view (server/workspace_experiments.go).
// Participant-supplied text is only ever set as textContent.

const POLL_MS = 5000;
const RECENT = 20;
const STATUSES = ["started", "complete", "abandoned"];

const root = document.querySelector("[data-dashboard]");

const bind = (name) => root.querySelector(`[data-bind="${name}"]`);

function setText(name, text) {
  const el = bind(name);
  // Only real changes: the summary is a live region, announced on change.
  if (el && el.textContent !== text) el.textContent = text;
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const s = d.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

function seconds(sec) {
  const n = Math.floor(sec + 0.5);
  return n < 60 ? `${n} s` : `${Math.floor(n / 60)} min ${n % 60} s`;
}

function plural(n, one, many) {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

function conditionLabel(arm) {
  return arm === 1 ? "1: red B, green A" : `${arm}: red A, green B`;
}

function fillRows(name, rows) {
  const body = bind(name);
  if (!body) return;
  const frag = document.createDocumentFragment();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = String(c);
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
}

function renderStats(d) {
  const by = d.by_status || {};
  setText("total", String(d.total));
  setText("models", String(d.model_sessions || 0));
  setText("completion", d.total > 0 ? `${Math.round(d.completion_rate * 100)}%` : "–");
  setText("median", d.median_duration_s == null ? "–" : seconds(d.median_duration_s));
  setText("last", d.last_activity ? when(d.last_activity) : "none yet");
  setText(
    "summary",
    d.total === 0
      ? "No sessions yet."
      : `${plural(d.total, "session", "sessions")}: ${by.complete || 0} complete, ${by.started || 0} in progress, ${by.abandoned || 0} abandoned.`,
  );
  const statuses = [...STATUSES, ...Object.keys(by).filter((k) => !STATUSES.includes(k)).sort()];
  fillRows("by-status", statuses.map((k) => [k, by[k] || 0]));

  const arms = parseInt(root.dataset.arms || "2", 10);
  const byCond = d.by_condition || {};
  const conds = new Set();
  for (let a = 0; a < arms; a++) conds.add(a);
  for (const k of Object.keys(byCond)) conds.add(parseInt(k, 10));
  fillRows(
    "by-condition",
    [...conds].sort((a, b) => a - b).map((a) => {
      const m = byCond[a] || {};
      const total = Object.values(m).reduce((s, n) => s + n, 0);
      return [conditionLabel(a), m.started || 0, m.complete || 0, m.abandoned || 0, total];
    }),
  );
  fillRows("refresh", (d.refresh_rates || []).map((r) => [`${r.hz} Hz`, r.count]));
}

function renderSessions(list) {
  fillRows(
    "sessions",
    list.slice(0, RECENT).map((s) => [
      when(s.created_at),
      s.session_id,
      s.participant_id || (s.model_mechanism ? `model: ${s.model_mechanism}` : ""),
      s.participant_kind + (s.preview ? " (preview)" : ""),
      s.version,
      s.condition,
      s.status,
      s.trials,
      s.refresh_hz == null ? "–" : `${s.refresh_hz.toFixed(1)} Hz`,
      when(s.completed_at),
    ]),
  );
  const none = bind("no-sessions");
  if (none) none.hidden = list.length > 0;
}

async function getJSON(url) {
  const res = await fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
  if (res.status === 401) {
    const err = new Error("signed out");
    err.stop = true;
    throw err;
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

let lastChange = null;
let timer = 0;

async function poll() {
  if (document.hidden) return schedule();
  try {
    const d = await getJSON(root.dataset.dashboard);
    renderStats(d);
    const change = `${d.total}|${d.model_sessions}|${d.last_activity}`;
    if (change !== lastChange) {
      const s = await getJSON(root.dataset.sessions);
      renderSessions(s.sessions || []);
      lastChange = change;
    }
    setText("updated", `Live: updated ${new Date().toLocaleTimeString()}.`);
    root.dataset.live = "ok";
  } catch (err) {
    root.dataset.live = "error";
    if (err.stop) {
      setText("updated", "Signed out: sign in again and reload this page to resume live updates.");
      return; // no more polling
    }
    setText("updated", `Could not update (${err.message}); retrying.`);
  }
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
