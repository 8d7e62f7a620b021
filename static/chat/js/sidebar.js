// The sidebar of the chat page: the reader's rooms and direct messages, the
// open one marked, each a link that opens the room in place (router.js).
//
// Rooms come from GET /api/rooms/ (PROTOCOL.md). Every field a later
// protocol version adds to Room is kept as it comes, so features can use
// them without touching this module:
//  - `member` (1.1): when present, only rooms the reader is a member of are
//    listed (public rooms one has not joined are in the room list page);
//  - `kind` "direct" (1.1), or a private `dm-…` slug, goes under "Direct
//    messages", named after `peer` when there is one;
//  - badges and other marks: addDecorator(fn) registers fn(item, room),
//    called whenever an item is (re)built; `item.badges` is a <span> kept
//    for them. update(slug, fields) merges new fields (a `read` frame, a
//    `room.activity`) and rebuilds that one item; upsert(room) and
//    remove(slug) follow `room.added` / `room.removed`.

import { getJSON } from "./api.js";
import { gettext } from "./i18n.js";
import { avatar, shownName } from "./render.js";

export function isDirect(room) {
  return room.kind === "direct" || (room.kind === undefined && room.private && /^dm-\d+-\d+$/.test(room.slug));
}

/** What a room is called in lists: a direct room by the other person. */
export function roomLabel(room) {
  if (isDirect(room) && room.peer) return shownName(room.peer);
  return room.name;
}

export class Sidebar {
  /**
   * root: the <nav> holding ul[data-list=rooms] and ul[data-list=direct];
   * roomUrl(slug): the room's address; me: the reader's UserRef.
   */
  constructor({ root, roomUrl, me }) {
    this.root = root;
    this.roomUrl = roomUrl;
    this.me = me;
    this.lists = {
      rooms: root.querySelector("[data-list=rooms]"),
      direct: root.querySelector("[data-list=direct]"),
    };
    this.rooms = new Map(); // slug -> Room, as the API last said
    this.items = new Map(); // slug -> <li>
    this.decorators = [];
    this.active = null;
    this.loaded = false;
    this.order = (a, b) => roomLabel(a).localeCompare(roomLabel(b));
  }

  addDecorator(fn) {
    this.decorators.push(fn);
    for (const [slug, item] of this.items) fn(item, this.rooms.get(slug));
  }

  /** The Room the sidebar holds for slug, or null. */
  room(slug) {
    return this.rooms.get(slug) || null;
  }

  /** Reload from the API; resolves to true when it answered. */
  async refresh() {
    const result = await getJSON("/api/rooms/");
    if (!result.ok || !result.data || !Array.isArray(result.data.rooms)) return false;
    this.setRooms(result.data.rooms);
    return true;
  }

  setRooms(rooms) {
    this.loaded = true;
    const listed = rooms.filter((room) => room.member !== false || room.slug === this.active);
    this.rooms = new Map(listed.map((room) => [room.slug, room]));
    this.render();
  }

  /** A room the reader has now (joined, added, opened): add or merge it. */
  upsert(room) {
    this.rooms.set(room.slug, { ...(this.rooms.get(room.slug) || {}), ...room });
    this.render();
  }

  /** New fields for one room (counts, a rename): rebuild its item only. */
  update(slug, fields) {
    const room = this.rooms.get(slug);
    if (!room) return;
    Object.assign(room, fields);
    const old = this.items.get(slug);
    if (!old) return;
    const item = this._item(room);
    const hadFocus = old.contains(document.activeElement);
    old.replaceWith(item);
    this.items.set(slug, item);
    if (hadFocus) item.querySelector("a").focus();
  }

  remove(slug) {
    if (this.rooms.delete(slug)) this.render();
  }

  setActive(slug) {
    this.active = slug;
    for (const [itemSlug, item] of this.items) {
      const link = item.querySelector("a");
      if (itemSlug === slug) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
      item.classList.toggle("active", itemSlug === slug);
    }
  }

  _item(room) {
    const item = document.createElement("li");
    item.className = "side-item";
    item.dataset.slug = room.slug;
    const link = document.createElement("a");
    link.className = "side-link";
    link.href = this.roomUrl(room.slug);
    link.dataset.roomLink = room.slug;
    if (room.slug === this.active) {
      link.setAttribute("aria-current", "page");
      item.classList.add("active");
    }
    if (isDirect(room)) {
      link.append(avatar(room.peer || { username: room.slug, display_name: roomLabel(room) }));
    } else {
      const mark = document.createElement("span");
      mark.className = "side-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = room.private ? "🔒" : "#";
      link.append(mark);
    }
    const name = document.createElement("span");
    name.className = "side-name";
    name.textContent = roomLabel(room);
    link.append(name);
    if (room.private && !isDirect(room)) {
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = gettext("(private)");
      link.append(" ", hidden);
    }
    const badges = document.createElement("span");
    badges.className = "side-badges";
    link.append(badges);
    item.append(link);
    item.badges = badges;
    for (const decorate of this.decorators) decorate(item, room);
    return item;
  }

  render() {
    const focusedSlug = this.root.contains(document.activeElement)
      ? document.activeElement.closest("[data-slug]")?.dataset.slug
      : null;
    const rooms = [...this.rooms.values()].sort(this.order);
    this.items = new Map();
    const groups = { rooms: [], direct: [] };
    for (const room of rooms) {
      const item = this._item(room);
      this.items.set(room.slug, item);
      groups[isDirect(room) ? "direct" : "rooms"].push(item);
    }
    for (const [kind, list] of Object.entries(this.lists)) {
      if (!list) continue;
      list.replaceChildren(...groups[kind]);
      const empty = this.root.querySelector(`[data-empty-for=${kind}]`);
      if (empty) empty.hidden = groups[kind].length > 0;
    }
    if (focusedSlug && this.items.has(focusedSlug)) this.items.get(focusedSlug).querySelector("a").focus();
  }
}
