// The room list page: rooms with live online counts, who is online on the
// site (the /ws/presence/ socket) and the form that creates a room.

import { failureText, getJSON, pageData, postJSON } from "./api.js";
import { PresenceList } from "./presence.js";
import { ReconnectingSocket, State } from "./socket.js";

const REFRESH_MS = 15_000;
const data = pageData("page-data");
const $ = (id) => document.getElementById(id);

const roomUrl = (slug) => data.roomUrl.replace(data.slugPlaceholder, encodeURIComponent(slug));

// --- Rooms and their counts --------------------------------------------------

function roomItem(room) {
  const item = document.createElement("li");
  item.className = "room-item";
  item.dataset.slug = room.slug;
  const link = document.createElement("a");
  link.className = "room-link";
  link.href = roomUrl(room.slug);
  link.textContent = room.name;
  item.append(link);
  if (room.private) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "private";
    item.append(" ", badge);
  }
  const online = document.createElement("span");
  online.className = "room-online muted";
  online.dataset.online = "";
  setOnline(online, room.online);
  item.append(" ", online);
  return item;
}

function setOnline(element, count) {
  const n = Number.isInteger(count) ? count : 0;
  element.textContent = n === 1 ? "1 online" : `${n} online`;
  element.classList.toggle("has-online", n > 0);
}

let refreshing = false;
async function refreshRooms() {
  if (refreshing) return;
  refreshing = true;
  try {
    const result = await getJSON("/api/rooms/");
    if (!result.ok || !result.data || !Array.isArray(result.data.rooms)) return;
    const rooms = result.data.rooms;
    const list = $("room-list");
    // Keep focus where it was when the list is rebuilt under it.
    const focused = document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.closest("li")?.dataset.slug
      : null;
    if (rooms.length) list.replaceChildren(...rooms.map(roomItem));
    else {
      const empty = document.createElement("li");
      empty.className = "muted empty";
      empty.textContent = "No rooms yet: create the first one.";
      list.replaceChildren(empty);
    }
    if (focused) list.querySelector(`li[data-slug="${CSS.escape(focused)}"] a`)?.focus();
  } catch {
    // Offline for a moment: the next tick tries again.
  } finally {
    refreshing = false;
  }
}

// Presence events come in bursts (a page load opens sockets): one refresh.
let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshRooms, 800);
}

// --- Who is online -------------------------------------------------------------

const online = new PresenceList({ list: $("online-users"), count: $("online-count"), me: data.user });
const socket = new ReconnectingSocket({
  path: () => "/ws/presence/",
  onFrame(frame) {
    if (online.apply(frame) && frame.type !== "presence.state") refreshSoon();
  },
  onOpen: refreshSoon,
  onState(state, detail) {
    const status = $("online-status");
    if (state === State.OPEN) status.textContent = "";
    else if (state === State.RECONNECTING) status.textContent = "Reconnecting…";
    else if (state === State.CLOSED) status.textContent = detail.reason === "logged-out" ? "You were logged out." : "Disconnected.";
  },
  async probe() {
    const result = await getJSON("/api/rooms/");
    return result.status === 403 ? "logged-out" : null;
  },
});

// --- Creating a room -----------------------------------------------------------

const form = $("create-room");

function clearErrors() {
  for (const list of form.querySelectorAll("[data-errors-for]")) list.replaceChildren();
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  $("create-error").hidden = true;
}

function showErrors(errors) {
  let first = null;
  const general = [];
  for (const [field, sentences] of Object.entries(errors)) {
    const list = form.querySelector(`[data-errors-for="${CSS.escape(field)}"]`);
    const texts = (Array.isArray(sentences) ? sentences : [sentences]).map(String);
    if (!list) {
      general.push(...texts);
      continue;
    }
    list.replaceChildren(...texts.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    const input = form.elements[field];
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  if (general.length) showFormError(general.join(" "));
  (first || $("room-name")).focus();
}

function showFormError(text) {
  const box = $("create-error");
  box.textContent = text;
  box.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const name = form.elements.name.value.trim();
  const slug = form.elements.slug.value.trim();
  const members = form.elements.members.value.split(",").map((part) => part.trim()).filter(Boolean);
  if (!name) {
    showErrors({ name: ["Give the room a name."] });
    return;
  }
  const payload = { name, private: form.elements.private.checked, members };
  if (slug) payload.slug = slug;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const result = await postJSON("/api/rooms/", payload);
    if (result.status === 201 && result.data && result.data.slug) {
      window.location.assign(roomUrl(result.data.slug));
      return;
    }
    if (result.status === 409) {
      showErrors({ slug: ["A room with this address already exists: choose another address or name."] });
    } else if (result.status === 400 && result.data && result.data.errors) {
      showErrors(result.data.errors);
    } else {
      showFormError(failureText(result, "Could not create the room."));
    }
  } catch {
    showFormError("Could not reach the server. Try again.");
  } finally {
    button.disabled = false;
  }
});

// --- Start -------------------------------------------------------------------

socket.start();
refreshRooms();
setInterval(() => {
  if (!document.hidden) refreshRooms();
}, REFRESH_MS);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshRooms();
});
if (window.location.hash === "#new-room") $("room-name").focus();
