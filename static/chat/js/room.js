// The room page: wires the socket to the message log, the views, presence,
// typing and the composer. The wire contract is /PROTOCOL.md.

import { failureText, getJSON, pageData, postJSON, request } from "./api.js";
import { codePoints, MAX_BODY, Outbox, wireComposer } from "./composer.js";
import { MessageLog } from "./messages.js";
import { showNotice } from "./notice.js";
import { PresenceList } from "./presence.js";
import { MessageListView } from "./render.js";
import { ReconnectingSocket, State } from "./socket.js";
import { refreshTimes } from "./time.js";
import { TypingIndicator, TypingSender } from "./typing.js";

const data = pageData("room-data");
const me = data.user;
const slug = data.slug;
const $ = (id) => document.getElementById(id);

const scroller = $("scroller");
const listElement = $("messages");
const log = new MessageLog();
const baseTitle = document.title;
let unread = 0;
let awaitingFirstHistory = false;
let olderInFlight = false;
let newerInFlight = false;

const canDelete = (message) => data.canModerate || message.user.id === me.id;
const view = new MessageListView(listElement, scroller, {
  isOwn: (message) => message.user.id === me.id,
  canDelete,
  onDelete: deleteMessage,
});

const presence = new PresenceList({
  list: $("present"),
  count: $("present-count"),
  me,
  action: data.canModerate ? { label: "Ban", run: banUser } : null,
});
const typingIn = new TypingIndicator($("typing"), me);

const socket = new ReconnectingSocket({
  path() {
    const after = log.resumeAfter();
    const base = `/ws/chat/${encodeURIComponent(slug)}/`;
    return after === null ? base : `${base}?after=${after}`;
  },
  onOpen() {
    awaitingFirstHistory = true;
    olderInFlight = false;
    newerInFlight = false;
    typingOut.reset();
  },
  onFrame: handleFrame,
  onState: showConnection,
  async probe() {
    const result = await getJSON("/api/rooms/");
    return result.status === 403 ? "logged-out" : null;
  },
});

const typingOut = new TypingSender((active) => socket.send({ type: "typing", active }));

const composer = wireComposer({
  form: $("composer"),
  input: $("composer-input"),
  submit(text) {
    const body = text.trim();
    if (!body) return false;
    if (codePoints(body) > MAX_BODY) {
      showNotice(`That message is too long: at most ${MAX_BODY} characters.`, { kind: "error" });
      return false;
    }
    typingOut.stop();
    outbox.add(body);
    requestAnimationFrame(() => view.scrollToBottom());
    return true;
  },
  onInput: (hasText) => typingOut.input(hasText),
});

const outbox = new Outbox({
  list: $("pending"),
  me,
  send: (frame) => socket.send(frame),
  storageKey: `chat.outbox.${slug}.${me.id}`,
  onEdit: (body) => composer.restore(body),
});

// --- Frames ------------------------------------------------------------------

function handleFrame(frame) {
  switch (frame.type) {
    case "presence.state":
    case "presence.join":
    case "presence.leave":
      presence.apply(frame);
      if (frame.type === "presence.leave" && frame.user) typingIn.clear(frame.user);
      break;
    case "history":
      handleHistory(frame);
      break;
    case "message":
      handleMessage(frame);
      break;
    case "message.deleted": {
      const tombstone = log.markDeleted(frame);
      if (tombstone) view.markDeleted(tombstone);
      break;
    }
    case "typing":
      typingIn.apply(frame);
      break;
    case "error":
      handleError(frame);
      break;
    default:
      break; // pong, and types a later protocol version may add
  }
}

function resolveOwn(messages) {
  for (const message of messages) {
    if (message.client_id && message.user && message.user.id === me.id) outbox.resolve(message.client_id);
  }
}

function handleHistory(frame) {
  const messages = Array.isArray(frame.messages) ? frame.messages : [];
  resolveOwn(messages);
  listElement.setAttribute("aria-busy", "true");
  const stick = view.nearBottom();
  if (awaitingFirstHistory) {
    awaitingFirstHistory = false;
    if (!log.loaded) {
      view.put(log.loadInitial({ ...frame, messages }));
      view.scrollToBottom();
    } else {
      // Resume after a reconnect: everything newer than what we held.
      const changed = log.addNewer(messages);
      view.put(changed);
      countUnread(changed);
      if (stick) view.scrollToBottom();
      else if (changed.length) $("jump-latest").hidden = false;
      if (frame.has_more || log.hasGap()) requestNewer();
    }
    outbox.resendAll();
  } else if ("before" in frame || (olderInFlight && !("after" in frame))) {
    olderInFlight = false;
    view.prepend(log.addOlder({ ...frame, messages }));
  } else {
    newerInFlight = false;
    const changed = log.addNewer(messages);
    view.put(changed);
    countUnread(changed);
    if (stick) view.scrollToBottom();
    // Keep asking while there is more, but never loop on an empty answer.
    if (changed.length && (frame.has_more || log.hasGap())) requestNewer();
  }
  listElement.setAttribute("aria-busy", "false");
  showHistoryState();
  fillScreen();
}

function handleMessage(message) {
  if (message.user && message.user.id === me.id) outbox.resolve(message.client_id);
  if (!log.loaded) return; // the first history brings it
  const own = message.user && message.user.id === me.id;
  const stick = own || view.nearBottom();
  const changed = log.addNewer([message]);
  if (changed.length) {
    view.put(changed);
    typingIn.clear(message.user);
    countUnread(changed);
    showHistoryState(); // "No messages yet" no longer holds
    if (stick) view.scrollToBottom();
    else $("jump-latest").hidden = false;
  }
  // A seq jump: a frame went missing between us and the database. Fill it.
  if (log.hasGap()) requestNewer();
}

function handleError(frame) {
  const detail = typeof frame.detail === "string" ? frame.detail : "The server refused that.";
  if (typeof frame.ref === "string" && outbox.fail(frame.ref, detail)) return;
  if (frame.code === "not_found" || frame.code === "forbidden") return; // the close says it
  showNotice(detail, { kind: "error" });
}

function requestNewer() {
  if (newerInFlight || !log.loaded) return;
  if (socket.send({ type: "history.after", after: log.contiguous, limit: 100 })) newerInFlight = true;
}

function requestOlder() {
  if (olderInFlight || !log.loaded || !log.hasOlder || log.oldest === null || log.oldest <= 1) return;
  if (socket.send({ type: "history.before", before: log.oldest, limit: 50 })) olderInFlight = true;
  showHistoryState();
}

// --- Views -------------------------------------------------------------------

function showHistoryState() {
  const button = $("load-older");
  const status = $("history-status");
  const more = log.loaded && log.hasOlder && log.oldest > 1;
  button.hidden = !more || olderInFlight;
  if (olderInFlight) status.textContent = "Loading older messages…";
  else if (log.loaded && !more) status.textContent = log.highest ? "This is the start of the room." : "No messages yet. Say hello!";
  else status.textContent = "";
}

// Short screens: keep loading until the list can scroll (or nothing is left).
function fillScreen() {
  if (scroller.scrollHeight <= scroller.clientHeight + 10) requestOlder();
}

function countUnread(messages) {
  if (!document.hidden) return;
  unread += messages.filter((message) => message.user.id !== me.id && !message.deleted).length;
  document.title = unread ? `(${unread}) ${baseTitle}` : baseTitle;
}

const CLOSED_TEXT = {
  4403: "You can no longer take part in this room (you were banned, or your session ended).",
  4404: "This room does not exist, or it is private.",
  "logged-out": "You were logged out. Log in again to keep chatting.",
};

function showConnection(state, detail) {
  const box = $("conn-status");
  const text = $("conn-text");
  const retry = $("conn-retry");
  box.dataset.state = state;
  retry.hidden = true;
  clearInterval(showConnection.countdown);
  if (state === State.OPEN) {
    text.textContent = "Connected";
    composer.setEnabled(true);
  } else if (state === State.CONNECTING) {
    text.textContent = "Connecting…";
  } else if (state === State.RECONNECTING) {
    if (detail.connecting) {
      text.textContent = "Reconnecting…";
      return;
    }
    retry.hidden = false;
    const tick = () => {
      const seconds = Math.max(1, Math.ceil((detail.until - Date.now()) / 1000));
      text.textContent = `Connection lost. Reconnecting in ${seconds} s…`;
    };
    tick();
    showConnection.countdown = setInterval(tick, 1000);
  } else {
    text.textContent = CLOSED_TEXT[detail.reason] || CLOSED_TEXT[detail.code] || "Disconnected.";
    composer.setEnabled(false);
    typingIn.clearAll();
    if (detail.reason === "logged-out") {
      const link = document.createElement("a");
      link.href = `/accounts/login/?next=${encodeURIComponent(window.location.pathname)}`;
      link.textContent = "Log in";
      text.append(" ", link);
    }
  }
}

// --- Moderation --------------------------------------------------------------

async function deleteMessage(message, button) {
  if (!window.confirm("Delete this message for everyone?")) return;
  button.disabled = true;
  try {
    const result = await request("DELETE", `/api/messages/${message.id}/`);
    if (result.ok) {
      const tombstone = log.markDeleted(message);
      if (tombstone) view.markDeleted(tombstone);
    } else {
      showNotice(failureText(result, "Could not delete that message."), { kind: "error" });
      button.disabled = false;
    }
  } catch {
    showNotice("Could not reach the server.", { kind: "error" });
    button.disabled = false;
  }
}

async function banUser(user, button) {
  const name = user.display_name || user.username;
  if (!window.confirm(`Ban ${name} from this room?`)) return;
  button.disabled = true;
  try {
    const result = await postJSON(`/api/rooms/${encodeURIComponent(slug)}/bans/`, { username: user.username });
    if (result.ok) showNotice(`${name} was banned from this room.`);
    else showNotice(failureText(result, `Could not ban ${name}.`), { kind: "error" });
  } catch {
    showNotice("Could not reach the server.", { kind: "error" });
  }
  button.disabled = false;
}

// The owner of a private room (or staff) lets someone in.
function wireAddMember(form) {
  const input = form.elements.username;
  const error = $("add-member-error");
  const button = form.querySelector("button[type=submit]");
  const showError = (text) => {
    error.textContent = text;
    error.hidden = !text;
    input.toggleAttribute("aria-invalid", Boolean(text));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = input.value.trim();
    if (!username) {
      showError("Type the username of the person to add.");
      input.focus();
      return;
    }
    showError("");
    button.disabled = true;
    try {
      const result = await postJSON(`/api/rooms/${encodeURIComponent(slug)}/members/`, { username });
      if (result.ok) {
        input.value = "";
        showNotice(`${username} is now a member of this room.`);
      } else {
        showError(failureText(result, `Could not add ${username}.`));
      }
    } catch {
      showError("Could not reach the server. Try again.");
    } finally {
      button.disabled = false;
      input.focus();
    }
  });
}

// --- Page events -------------------------------------------------------------

scroller.addEventListener("scroll", () => {
  if (scroller.scrollTop < 120) requestOlder();
  if (view.nearBottom()) $("jump-latest").hidden = true;
}, { passive: true });
$("load-older").addEventListener("click", requestOlder);
$("jump-latest").addEventListener("click", () => {
  view.scrollToBottom();
  $("jump-latest").hidden = true;
  $("composer-input").focus();
});
$("conn-retry").addEventListener("click", () => socket.retryNow());
if ($("add-member")) wireAddMember($("add-member"));
document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  unread = 0;
  document.title = baseTitle;
});
window.addEventListener("pagehide", () => typingOut.stop());
setInterval(() => refreshTimes(listElement), 30_000);

socket.start();
$("composer-input").focus();
