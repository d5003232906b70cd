// Routine results on the web page: the latest runs, kept in localStorage so they stay readable offline
// (the service worker keeps the page itself), and a notification for each new result that needs you
// while the page is open (the Notifications API; permission asked only when "Notify me" is pressed).
"use strict";

const RESULTS_KEY = "pa.routineResults";
const NOTIFIED_KEY = "pa.routineNotified";
const ROUTINE_POLL_MS = 60_000;

function cachedResults() {
  try {
    return JSON.parse(localStorage.getItem(RESULTS_KEY) || "[]");
  } catch (_) {
    return [];
  }
}

function renderResults(results, offline) {
  const list = document.getElementById("routine-list");
  list.replaceChildren();
  for (const r of results) {
    const item = el("li", `routine-result${r.needs_attention ? " needs-you" : ""}`);
    const head = el("p", "routine-head");
    head.append(el("strong", "routine-name", r.routine || "routine"), el("span", "routine-when", ` ${r.slot.slice(0, 16).replace("T", " ")}`));
    if (r.late) head.append(el("span", "routine-late", " late"));
    item.append(head, el("p", "routine-summary", r.summary || r.status));
    list.append(item);
  }
  document.getElementById("routines").hidden = results.length === 0;
  document.getElementById("routines-offline").hidden = !offline;
}

function notifyNew(results) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const seen = new Set(JSON.parse(localStorage.getItem(NOTIFIED_KEY) || "[]"));
  for (const r of results) {
    if (!r.needs_attention || r.read || seen.has(r.id)) continue;
    new Notification(`pa: ${r.routine}`, { body: r.summary || r.status, tag: `pa-routine-${r.id}` });
    seen.add(r.id);
  }
  localStorage.setItem(NOTIFIED_KEY, JSON.stringify([...seen].slice(-200)));
}

// The latest results from the server; offline (or the server away), the ones last shown.
async function showRoutines() {
  let results;
  try {
    results = (await api(`${API}/routines/results?limit=10`)).results;
  } catch (error) {
    if (error instanceof ApiError && error.status !== 503) throw error;
    renderResults(cachedResults(), true);
    return;
  }
  localStorage.setItem(RESULTS_KEY, JSON.stringify(results));
  renderResults(results, false);
  notifyNew(results);
}

function initRoutines() {
  const button = document.getElementById("notify-me");
  if ("Notification" in window && Notification.permission === "default") {
    button.hidden = false;
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      button.hidden = true;
    });
  }
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  setInterval(() => {
    if (state.token && document.visibilityState === "visible") showRoutines().catch(() => {});
  }, ROUTINE_POLL_MS);
}
