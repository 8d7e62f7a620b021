// The room list page: browse the rooms with live online counts, see who is
// online on the site (the /ws/presence/ socket) and create a room.

import { failureText, getJSON, pageData, postJSON, sessionEnded } from "./api.js";
import { isBusy, setBusy, showFieldErrors } from "./forms.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { PresenceList } from "./presence.js";
import { ReconnectingSocket, State } from "./socket.js";

const REFRESH_MS = 15_000;
const SLUG_RE = /^[-a-z0-9_]{1,50}$/;
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
    badge.textContent = gettext("private");
    item.append(" ", badge);
  }
  if (room.description) {
    const about = document.createElement("p");
    about.className = "room-about muted small";
    about.textContent = room.description;
    item.append(about);
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
  element.textContent = interpolate(ngettext("%(count)s online", "%(count)s online", n), { count: n });
  element.classList.toggle("has-online", n > 0);
}

let refreshing = false;
async function refreshRooms() {
  if (refreshing) return;
  refreshing = true;
  try {
    const result = await getJSON("/api/rooms/");
    if (!result.ok || !result.data || !Array.isArray(result.data.rooms)) return;
    const rooms = result.data.rooms.filter((room) => room.kind !== "direct");
    const list = $("room-list");
    // Keep focus where it was when the list is rebuilt under it.
    const focused =
      document.activeElement && list.contains(document.activeElement)
        ? document.activeElement.closest("li")?.dataset.slug
        : null;
    if (rooms.length) list.replaceChildren(...rooms.map(roomItem));
    else {
      const empty = document.createElement("li");
      empty.className = "muted empty";
      empty.textContent = gettext("No rooms yet: create the first one.");
      list.replaceChildren(empty);
    }
    if (focused) list.querySelector(`li[data-slug="${CSS.escape(focused)}"] a`)?.focus();
  } finally {
    // Unanswered (offline for a moment): the next tick tries again.
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
    else if (state === State.RECONNECTING) status.textContent = gettext("Reconnecting…");
    else if (state === State.CLOSED) {
      online.clear();
      if (detail.reason === "deactivated") status.textContent = gettext("Your account was deactivated.");
      else if (detail.reason === "logged-out") status.textContent = gettext("You were logged out.");
      else status.textContent = gettext("Disconnected.");
    }
  },
  probe: () => sessionEnded(data.statusUrl),
});

// --- Creating a room -----------------------------------------------------------

const form = $("create-room");

// Checked here first, in the words the server would use, so that a person
// sees every problem at once before anything is sent.
function localErrors({ name, slug }) {
  const errors = {};
  if (!name) errors.name = [gettext("Give the room a name.")];
  else if ([...name].length > 80) errors.name = [gettext("Use at most 80 characters.")];
  if (slug && !SLUG_RE.test(slug)) {
    errors.slug = [
      [...slug].length > 50
        ? gettext("Use at most 50 characters.")
        : gettext("Use only lower-case letters (a–z), digits, hyphens and underscores."),
    ];
  }
  return errors;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = form.elements.name.value.trim();
  const slug = form.elements.slug.value.trim();
  const members = form.elements.members.value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const errors = localErrors({ name, slug });
  if (Object.keys(errors).length) {
    showFieldErrors(form, errors);
    return;
  }
  showFieldErrors(form, {});
  const payload = { name, private: form.elements.private.checked, members };
  if (slug) payload.slug = slug;
  const button = form.querySelector("button[type=submit]");
  if (isBusy(button)) return;
  setBusy(button, true);
  try {
    const result = await postJSON("/api/rooms/", payload);
    if (result.status === 201 && result.data && result.data.slug) {
      window.location.assign(roomUrl(result.data.slug));
      return;
    }
    if (result.status === 409) {
      showFieldErrors(form, {
        slug: [gettext("A room with this address already exists: choose another address or name.")],
      });
    } else if (result.status === 400 && result.data && result.data.errors) {
      showFieldErrors(form, result.data.errors);
    } else {
      showFieldErrors(form, { __all__: [failureText(result, gettext("Could not create the room."))] });
    }
  } finally {
    setBusy(button, false);
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
