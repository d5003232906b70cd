// pa web chat: pairs with a bearer token, streams answers (fetch + SSE parsing), shows tools and approvals.
// No framework, no build step. Text is inserted with textContent; the assistant's Markdown goes through
// paMarkdown (markdown.js: marked + DOMPurify), never straight into innerHTML.
"use strict";

const API = "/api/v1/personal-assistant";
const TOKEN_KEY = "pa.token";
const SESSION_KEY = "pa.session";
const MAX_RETRIES = 5;

const $ = (id) => document.getElementById(id);
const state = { token: localStorage.getItem(TOKEN_KEY), session: localStorage.getItem(SESSION_KEY), busy: false };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function scrollDown() {
  window.scrollTo(0, document.body.scrollHeight);
}

// ---- API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (!response.ok) throw await errorOf(response);
  return options.raw ? response : response.json();
}

async function errorOf(response) {
  let code = "http_error";
  let message = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    code = body.error.code;
    message = body.error.message;
  } catch (_) {
    /* not our JSON error body */
  }
  if (response.status === 401) showPairing(message);
  return new ApiError(response.status, code, message);
}

// Parse a text/event-stream body into {id, event, data} objects.
async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = { id: null, event: "message", data: [] };
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") event.data.push(text);
        else if (field === "event") event.event = text;
        else if (field === "id") event.id = text;
      }
      if (!event.data.length) continue;
      let data = null; // not JSON: the page skips the event (its id still counts) and keeps the stream
      try {
        data = JSON.parse(event.data.join("\n"));
      } catch (_) {
        /* skipped below */
      }
      yield { ...event, data };
    }
  }
}

// POST an SSE route; after a dropped connection, resume with Last-Event-ID so nothing is lost.
async function stream(path, body, turn) {
  let lastId = null;
  for (let attempt = 0; ; attempt++) {
    const headers = lastId ? { "Last-Event-ID": lastId } : {};
    let ended = false;
    try {
      const response = await api(path, { method: "POST", body, headers, raw: true });
      for await (const event of readEvents(response)) {
        if (event.id) lastId = event.id;
        turn.handle(event.event, event.data);
        if (event.event === "done" || event.event === "error") {
          ended = true;
          if (typeof event.data !== "object" || event.data === null) turn.fail("the answer ended unreadably");
        }
      }
    } catch (error) {
      if (error instanceof ApiError) {
        turn.fail(error.message);
        return;
      }
    }
    if (ended) return;
    if (!lastId || attempt >= MAX_RETRIES) {
      turn.fail("the connection dropped");
      return;
    }
    await sleep(500 * (attempt + 1));
  }
}

// ---- rendering ------------------------------------------------------------------------------

function addMessage(role, text) {
  const item = el("li", `msg ${role}`);
  item.append(el("div", "text", text));
  $("log").append(item);
  scrollDown();
  return item;
}

// An assistant message: its text is Markdown, rendered (safely) rather than shown raw.
function addAnswer(markdown) {
  const item = addMessage("assistant");
  const text = item.querySelector(".text");
  text.classList.add("md");
  paMarkdown.show(text, markdown);
  return item;
}

const AGE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

function age(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "just now";
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (seconds >= size) return AGE.format(-Math.floor(seconds / size), unit);
  }
  return "just now";
}

class Turn {
  constructor() {
    this.item = addMessage("assistant", "");
    this.item.classList.add("streaming");
    this.text = this.item.querySelector(".text");
    this.text.classList.add("md");
    this.markdown = "";
    this.frame = null;
    this.status = null;
    this.tools = new Map();
  }

  // Events this page does not know (from a newer server) are ignored; any known one ends a wait.
  handle(kind, data) {
    const handler = Object.hasOwn(Turn.prototype, `on_${kind}`) ? this[`on_${kind}`] : null;
    if (!handler || typeof data !== "object" || data === null) return;
    if (kind !== "waiting" && this.status) {
      this.status.remove();
      this.status = null;
    }
    handler.call(this, data);
    scrollDown();
  }

  // Re-render the growing answer once per frame; paMarkdown.show keeps the blocks that did not change.
  render() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    paMarkdown.show(this.text, this.markdown);
    scrollDown();
  }

  scheduleRender() {
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.render());
  }

  on_waiting(data) {
    if (!this.status) {
      this.status = el("div", "status");
      this.status.setAttribute("role", "status");
      this.item.insertBefore(this.status, this.text);
    }
    const reason = typeof data.reason === "string" && data.reason ? data.reason : "waiting for the model";
    const retry = Number.isFinite(data.retry_in) && data.retry_in > 0 ? `, retrying in ${Math.ceil(data.retry_in)} s` : "";
    this.status.textContent = `${reason}${retry}`;
  }

  on_session(data) {
    state.session = data.session_id;
    localStorage.setItem(SESSION_KEY, state.session);
  }

  on_token(data) {
    if (typeof data.text !== "string") return;
    this.markdown += data.text;
    this.scheduleRender();
  }

  on_tool_start(data) {
    const line = el("div", "tool running", `${data.tool} …`);
    this.item.insertBefore(line, this.text);
    this.tools.set(data.call_id, line);
  }

  on_tool_end(data) {
    const line = this.tools.get(data.call_id) || el("div", "tool");
    line.className = `tool ${data.status}`;
    line.textContent = `${data.tool}: ${data.summary || data.status}`;
    if (!line.parentNode) this.item.insertBefore(line, this.text);
    if (data.tool === "gmail_send" && data.ok && /pa undo/.test(data.summary || "")) line.append(undoButton());
  }

  on_plan(data) {
    const list = el("ul", "plan");
    for (const step of data.steps) list.append(el("li", step.status, step.title));
    this.item.insertBefore(list, this.text);
  }

  on_approval_required(data) {
    this.item.insertBefore(approvalCard(data), this.text);
  }

  on_done(data) {
    this.item.classList.remove("streaming");
    if (!this.markdown && data.response) this.markdown = data.response;
    this.render();
    if (!this.markdown) this.text.remove();
    if (data.pending_approvals && data.pending_approvals.length) {
      this.item.append(el("div", "note", "Waiting for your decision."));
    }
    finishTurn();
  }

  on_error(data) {
    this.fail(data.message);
  }

  fail(message) {
    this.item.classList.remove("streaming");
    this.render();
    this.item.append(el("div", "error", message));
    finishTurn();
  }
}

function approvalCard(data) {
  const card = el("div", "approval");
  card.dataset.id = data.id;
  card.append(el("div", "title", `Approve ${data.tool}?`));
  card.append(el("pre", "preview", data.preview));
  const choices = choiceList(data.choices || []);
  if (choices) card.append(choices);
  const buttons = el("div", "buttons");
  const approve = el("button", "approve", "Approve");
  const deny = el("button", "deny", "Deny");
  approve.type = deny.type = "button";
  const decide = (yes) => {
    if (state.busy) return;
    approve.disabled = deny.disabled = true;
    card.classList.add(yes ? "approved" : "denied");
    const body = { approve: yes };
    if (yes && choices) {
      body.deselected = [...choices.querySelectorAll("input:not(:checked)")].map((box) => box.value);
      if (body.deselected.length === choices.querySelectorAll("input").length) {
        approve.disabled = deny.disabled = false;
        card.classList.remove("approved");
        choices.querySelector(".choices-note").textContent = "Nothing is ticked: deny instead.";
        return;
      }
    }
    if (choices) choices.querySelectorAll("input").forEach((box) => (box.disabled = true));
    startTurn(`${API}/approvals/${encodeURIComponent(data.id)}`, body);
  };
  approve.addEventListener("click", () => decide(true));
  deny.addEventListener("click", () => decide(false));
  buttons.append(approve, deny);
  card.append(buttons);
  return card;
}

// A batch approval's items (gmail_modify): one checkbox each, all ticked; unticked ones are left out.
function choiceList(choices) {
  if (!choices.length) return null;
  const list = el("fieldset", "choices");
  list.append(el("legend", "", `Runs on the ticked ones (${choices.length})`));
  for (const choice of choices) {
    const row = el("label", "choice");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = choice.id;
    row.append(box, " ", el("span", "", choice.label));
    list.append(row);
  }
  list.append(el("div", "choices-note", ""));
  return list;
}

// An approved mail waits in the outbox for a few seconds: this takes it back (POST .../outbox/undo).
function undoButton() {
  const button = el("button", "undo-send", "Undo send");
  button.type = "button";
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const undone = await api(`${API}/outbox/undo`, { method: "POST", body: {} });
      button.replaceWith(el("span", "undone", ` — undone (${undone.summary}), not sent`));
    } catch (error) {
      button.replaceWith(el("span", "undo-failed", ` — ${error.message}`));
    }
  });
  return button;
}

function startTurn(path, body) {
  state.busy = true;
  $("send").disabled = true;
  return stream(path, body, new Turn());
}

function finishTurn() {
  state.busy = false;
  $("send").disabled = false;
  refreshWaiting().catch(() => {}); // a decided approval leaves the list; the next load retries
}

// ---- screens --------------------------------------------------------------------------------

function showPairing(message) {
  $("pair").hidden = false;
  $("chat").hidden = $("nav").hidden = $("history").hidden = true;
  const error = $("pair-error");
  error.hidden = !message;
  error.textContent = message || "";
}

// The conversation (its own approvals in place, where they were asked) and, above it, what waits
// in other conversations: never an old session's approval inside this one.
async function showChat() {
  $("pair").hidden = $("history").hidden = true;
  $("chat").hidden = $("nav").hidden = false;
  $("log").replaceChildren();
  await showRoutines();
  if (!navigator.onLine) return; // offline: the routine results last seen are what there is
  const { approvals } = await api(`${API}/approvals`);
  if (state.session) {
    const own = new Map(approvals.filter((a) => a.session_id === state.session).map((a) => [a.id, a]));
    await loadSession(state.session, own);
    for (const approval of own.values()) addApproval(approval); // asked beyond the messages loaded
  }
  await showWaiting(approvals);
  $("message").focus();
}

function addApproval(approval) {
  const item = addMessage("assistant", "");
  item.replaceChildren(approvalCard(approval));
  return item;
}

// Every message of session ``id``, oldest first; a call that waits for a decision in ``pending``
// (id -> approval) is shown as its approval card, at its place, and taken out of ``pending``.
async function loadSession(id, pending) {
  const path = `${API}/sessions/${encodeURIComponent(id)}/messages`;
  try {
    for (let offset = 0; offset !== null; ) {
      const page = await api(`${path}?limit=200&offset=${offset}`);
      for (const m of page.messages) {
        if (m.role === "tool" && m.approval_id && pending.has(m.approval_id)) {
          addApproval(pending.get(m.approval_id));
          pending.delete(m.approval_id);
        } else if (m.role === "tool") addMessage("tool", `${m.tool_name}: ${m.content}`);
        else if (m.role === "assistant") addAnswer(m.content);
        else addMessage(m.role, m.content);
      }
      offset = page.next_offset;
    }
  } catch (error) {
    if (error.status === 404) {
      state.session = null;
      localStorage.removeItem(SESSION_KEY);
    } else throw error;
  }
}

async function refreshWaiting() {
  if (!state.token || $("chat").hidden) return;
  const { approvals } = await api(`${API}/approvals`);
  await showWaiting(approvals);
}

const sessionTitles = new Map();

async function sessionTitle(id) {
  if (!sessionTitles.has(id)) {
    try {
      const page = await api(`${API}/sessions/${encodeURIComponent(id)}/messages?limit=1`);
      sessionTitles.set(id, page.session.title);
    } catch (error) {
      if (error.status !== 404) throw error;
      sessionTitles.set(id, null);
    }
  }
  return sessionTitles.get(id);
}

// "Waiting for you": the approvals of the other conversations, each with its conversation and age.
async function showWaiting(approvals) {
  const others = approvals.filter((a) => a.session_id !== state.session || !state.session);
  const list = $("waiting-list");
  const items = [];
  for (const approval of others) {
    const item = el("li", "waiting-item");
    item.dataset.id = approval.id;
    const firstLine = approval.preview.split("\n").find((line) => line.trim()) || "";
    const what = el("div", "what");
    what.append(el("strong", "tool-name", approval.tool), " ", el("span", "summary", firstLine));
    const title = approval.session_id ? await sessionTitle(approval.session_id) : null;
    const where = title === null ? "not in a conversation" : `in “${title}”`;
    const place = el("div", "where", `${where} · `);
    place.append(el("span", "age", age(approval.created_at)));
    item.append(what, place);
    if (approval.session_id && title !== null) {
      const open = el("button", "open", "Open");
      open.type = "button";
      open.addEventListener("click", () => openSession(approval.session_id));
      item.append(open);
    } else {
      item.append(approvalCard(approval));
    }
    items.push(item);
  }
  list.replaceChildren(...items);
  $("waiting-count").textContent = String(items.length);
  $("waiting").hidden = items.length === 0;
}

async function openSession(id) {
  if (state.busy) return;
  state.session = id;
  localStorage.setItem(SESSION_KEY, id);
  await showChat();
}

async function pair(token) {
  state.token = token.trim();
  try {
    await api(`${API}/tools`);
  } catch (error) {
    showPairing(error.message);
    return;
  }
  localStorage.setItem(TOKEN_KEY, state.token);
  await showChat();
}

async function showHistory(offset = 0) {
  const list = $("session-list");
  if (offset === 0) list.replaceChildren();
  const page = await api(`${API}/sessions?limit=20&offset=${offset}`);
  for (const s of page.sessions) {
    const button = el("button", "session", s.title);
    button.type = "button";
    button.addEventListener("click", () => openSession(s.id));
    const item = el("li");
    item.append(button, el("span", "when", new Date(s.updated_at).toLocaleString()));
    list.append(item);
  }
  const more = $("more-sessions");
  more.hidden = page.next_offset === null;
  more.onclick = () => showHistory(page.next_offset);
  $("history").hidden = false;
}

function init() {
  initRoutines();
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar
    pair(fragment.get("token"));
  } else if (state.token) {
    showChat().catch((error) => showPairing(error.message));
  } else {
    showPairing();
  }

  $("pair-form").addEventListener("submit", (event) => {
    event.preventDefault();
    pair($("token-input").value);
  });
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const message = $("message").value;
    if (!message.trim() || state.busy) return;
    $("message").value = "";
    addMessage("user", message);
    const body = state.session ? { message, session_id: state.session } : { message };
    startTurn(`${API}/chat/stream`, body);
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && window.matchMedia("(pointer: fine)").matches) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("new-chat").addEventListener("click", () => {
    if (state.busy) return;
    state.session = null;
    localStorage.removeItem(SESSION_KEY);
    showChat().catch((error) => showPairing(error.message));
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !state.busy) refreshWaiting().catch(() => {});
  });
  $("show-history").addEventListener("click", () => showHistory());
  $("close-history").addEventListener("click", () => ($("history").hidden = true));
  $("unpair").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(SESSION_KEY);
    state.token = state.session = null;
    showPairing();
  });
}

init();
