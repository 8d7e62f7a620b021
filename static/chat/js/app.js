// The chat page: the sidebar of the reader's rooms, the open room in the
// middle (room.js), who is here on the right, and the site socket
// (/ws/presence/) that carries what concerns rooms not on screen. Rooms
// switch in place (router.js); on a phone both side panels are drawers.
//
// Later features hook in here: site.on(type, fn) for site-socket frames
// (`room.activity`, `read`, `mention`, `room.added`, `room.removed`),
// sidebar.addDecorator(fn) for badges, pane for the open room.

import { pageData, sessionEnded } from "./api.js";
import { Unread } from "./badges.js";
import { authorButton, directStarter } from "./directs.js";
import { Drawer } from "./drawers.js";
import { gettext, interpolate } from "./i18n.js";
import { MentionPicker } from "./mentionpicker.js";
import { Notifier } from "./notify.js";
import { RoomPane } from "./room.js";
import { RoomMenu } from "./roommenu.js";
import { Router, slugMatcher } from "./router.js";
import { SearchBox } from "./search.js";
import { Sidebar } from "./sidebar.js";
import { ReconnectingSocket, State } from "./socket.js";

const data = pageData("room-data");
const $ = (id) => document.getElementById(id);
const roomUrl = (slug) => data.roomUrl.replace(data.slugPlaceholder, encodeURIComponent(slug));

export const sidebar = new Sidebar({ root: $("sidebar"), roomUrl, me: data.user });

const drawers = {
  rooms: new Drawer({
    panel: $("sidebar"),
    toggle: $("sidebar-toggle"),
    backdrop: $("drawer-backdrop"),
    others: [$("room-main"), $("members")],
  }),
  members: new Drawer({
    panel: $("members"),
    toggle: $("members-toggle"),
    backdrop: $("drawer-backdrop"),
    others: [$("room-main"), $("sidebar")],
  }),
};

export const pane = new RoomPane(data, {
  onShown(room) {
    sidebar.setActive(room.slug);
  },
  onRoomUpdated(slug, fields) {
    sidebar.update(slug, fields);
  },
});

function openRoom(slug, { fromHistory = false } = {}) {
  const room = sidebar.room(slug) || { slug, name: slug, private: false, owner: null, description: "" };
  const choseInDrawer = drawers.rooms.isOpen;
  drawers.rooms.close(false);
  pane.open(room, { focus: true });
  if (!fromHistory && choseInDrawer) pane.focusDefault();
}

export const router = new Router({ roomUrl, slugOf: slugMatcher(data.roomUrl, data.slugPlaceholder), open: openRoom });

// Search: a result opens its room at that message.
export const search = new SearchBox({
  form: $("search-form"),
  input: $("search-input"),
  panel: $("search-panel"),
  jump(slug, seq) {
    if (!pane.room || pane.room.slug !== slug) router.go(slug);
    pane.jumpTo(seq);
  },
});

// --- The site socket ---------------------------------------------------------------

const siteHandlers = new Map(); // frame type -> [fn]
export const site = {
  /** Call fn(frame) for every site-socket frame of this type. */
  on(type, fn) {
    if (!siteHandlers.has(type)) siteHandlers.set(type, []);
    siteHandlers.get(type).push(fn);
  },
  socket: new ReconnectingSocket({
    path: () => "/ws/presence/",
    onFrame(frame) {
      for (const fn of siteHandlers.get(frame.type) || []) fn(frame);
    },
    onOpen() {
      // A reconnect may have missed rooms added or renamed meanwhile.
      sidebar.refresh();
    },
    onState(state) {
      $("sidebar").dataset.connection = state;
      if (state === State.CLOSED) site.online.clear();
    },
    probe: () => sessionEnded(data.statusUrl),
  }),
  // Who is online anywhere (user ids), for whoever wants to show it.
  online: new Set(),
};
site.online.apply = (frame) => {
  if (frame.type === "presence.state") {
    site.online.clear();
    for (const user of frame.users || []) site.online.add(user.id);
  } else if (frame.type === "presence.join") site.online.add(frame.user.id);
  else if (frame.type === "presence.leave") site.online.delete(frame.user.id);
  else if (frame.type === "presence.diff") {
    for (const user of frame.joins || []) site.online.add(user.id);
    for (const user of frame.leaves || []) site.online.delete(user.id);
  }
};
for (const type of ["presence.state", "presence.join", "presence.leave", "presence.diff"]) {
  site.on(type, site.online.apply);
}
site.on("room.added", (frame) => frame.room && sidebar.upsert(frame.room));
site.on("room.removed", (frame) => typeof frame.room === "string" && sidebar.remove(frame.room));

// Badges, the divider, the title's total, and `read` from the open room.
export const unread = new Unread({ sidebar, pane, site, me: data.user });
pane.dividerFor = (room) => unread.dividerFor(room);
pane.onSeen = () => unread.maybeRead();
pane.onRead = (frame) => unread.read(frame);

// A direct message from anyone's name: in "Here now" and on their messages.
const startDirect = directStarter({ sidebar, router });
pane.presence.actions.push({
  name: "dm",
  label: gettext("Message"),
  ariaLabel: (user) => interpolate(gettext("Send a direct message to %(name)s"), { name: user.display_name || user.username }),
  run: (user, button) => startDirect(user, button),
});
pane.view.context.author = authorButton(data.user, startDirect);

// @ autocomplete: the people this page knows in the open room.
export const mentions = new MentionPicker({
  input: $("composer-input"),
  list: $("mention-list"),
  status: $("mention-status"),
  candidates: () =>
    [
      ...pane.presence.users.values(),
      ...(pane.log ? pane.log.all().map((message) => message.user) : []),
      pane.room && pane.room.peer,
    ].filter((user) => user && user.id !== data.user.id),
});

// Notifications for mentions and direct messages while the tab is hidden.
export const notifier = new Notifier({
  button: $("notify-toggle"),
  status: $("notify-status"),
  site,
  sidebar,
  me: data.user,
  open: (slug) => {
    if (!pane.room || pane.room.slug !== slug) router.go(slug);
  },
});

// Mute, leave, join, and the owner's rename, from the room header.
export const roomMenu = new RoomMenu({
  pane,
  sidebar,
  me: data.user,
  isStaff: data.isStaff,
  leaveTo(slug) {
    const next = sidebar.room("general") ? "general" : [...sidebar.rooms.keys()].find((other) => other !== slug);
    if (next && next !== slug) router.go(next);
  },
});

// --- Start ---------------------------------------------------------------------------

sidebar.setActive(data.room.slug);
sidebar.upsert(data.room);
window.history.replaceState({ slug: data.room.slug }, "", window.location.href);
pane.open(data.room, { focus: !window.matchMedia("(max-width: 760px)").matches });
sidebar.refresh().then((ok) => {
  if (!ok) $("sidebar-status").textContent = gettext("Could not load your rooms. They appear when the connection is back.");
  else $("sidebar-status").textContent = "";
  // The API's Room is fuller (owner, counts) than the page's.
  const fresh = sidebar.room(pane.room?.slug);
  if (fresh) pane.showRoom(fresh);
});
site.socket.start();
