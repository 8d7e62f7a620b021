// Unread and mention badges in the sidebar, the "new messages" divider, the
// viewer's mentions highlighted, and the total unread in the page title
// (PROTOCOL.md 1.1, Read markers and Activity).
//
// Counts come from the Room (GET /api/rooms/, room.added) and stay live from
// the site socket: `room.activity` adds one (when the reader is not looking
// at that room), `read` sets them as the server counted them (a read in any
// tab or device clears the badge everywhere). The open room sends `read`
// when its newest message is on screen and the tab is visible and focused.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { messageParts } from "./render.js";

const READ_DELAY = 300; // ms: a burst of messages is one `read`

function badge(className, text, label) {
  const element = document.createElement("span");
  element.className = `side-badge ${className}`;
  const shown = document.createElement("span");
  shown.setAttribute("aria-hidden", "true");
  shown.textContent = text;
  const spoken = document.createElement("span");
  spoken.className = "visually-hidden";
  spoken.textContent = label;
  element.append(shown, spoken);
  return element;
}

/** What counts for the title and the badge: a muted room only its mentions. */
const counted = (room) => (room.muted ? room.mentions || 0 : room.unread || 0);

export class Unread {
  constructor({ sidebar, pane, site, me }) {
    this.sidebar = sidebar;
    this.pane = pane;
    this.me = me;
    this.readSent = new Map(); // slug -> highest seq this tab sent
    this.timer = null;
    sidebar.addDecorator((item, room) => this.decorate(item, room));
    site.on("room.activity", (frame) => this.activity(frame));
    site.on("read", (frame) => this.read(frame));
    site.on("room.updated", (frame) => sidebar.update(frame.room, { name: frame.name, description: frame.description }));
    const seen = () => this.maybeRead();
    document.addEventListener("visibilitychange", seen);
    window.addEventListener("focus", seen);
    pane.scroller.addEventListener("scroll", seen, { passive: true });
    // The divider above the first unread message, and the viewer's mentions.
    messageParts.push((message, element) => this.mark(message, element));
  }

  /** The reader sees the newest messages of `slug` right now. */
  viewing(slug) {
    const pane = this.pane;
    return Boolean(
      pane.room && pane.room.slug === slug && pane.log && pane.log.loaded &&
        !document.hidden && document.hasFocus() && pane.view.nearBottom(),
    );
  }

  decorate(item, room) {
    if (!room || !item.badges) return;
    item.badges.replaceChildren();
    const mentions = room.mentions || 0;
    const unread = room.unread || 0;
    item.classList.toggle("has-unread", counted(room) > 0);
    if (mentions > 0) {
      const label = interpolate(ngettext("%(count)s mention", "%(count)s mentions", mentions), { count: mentions });
      item.badges.append(badge("badge-mention", `@${mentions}`, label));
    }
    if (unread > 0 && !room.muted) {
      const label = interpolate(ngettext("%(count)s unread", "%(count)s unread", unread), { count: unread });
      item.badges.append(badge("badge-unread", String(unread), label));
    }
    if (room.muted) item.badges.append(badge("badge-muted", "🔕", gettext("muted")));
    this.title();
  }

  activity(frame) {
    const room = this.sidebar.room(frame.room);
    if (!room) {
      this.sidebar.refresh(); // a room we did not know yet
      return;
    }
    if (frame.seq <= (room.last_read || 0) || frame.seq <= (room.last_seq || 0)) return;
    const fields = { last_seq: frame.seq };
    if (!this.viewing(frame.room)) {
      fields.unread = (room.unread || 0) + 1;
      if (frame.mention) fields.mentions = (room.mentions || 0) + 1;
    }
    this.sidebar.update(frame.room, fields);
    this.title();
  }

  read(frame) {
    const room = this.sidebar.room(frame.room);
    if (!room || frame.last_read < (room.last_read || 0)) return;
    this.sidebar.update(frame.room, { last_read: frame.last_read, unread: frame.unread, mentions: frame.mentions });
    this.title();
  }

  title() {
    let total = 0;
    for (const room of this.sidebar.rooms.values()) total += counted(room);
    this.pane.setTitleCount(total);
  }

  /** The open room's newest message is on screen: tell the server, soon. */
  maybeRead() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sendRead(), READ_DELAY);
  }

  sendRead() {
    const pane = this.pane;
    if (!pane.room || !pane.socket || !this.viewing(pane.room.slug)) return;
    const room = this.sidebar.room(pane.room.slug);
    if (room && room.member === false) return; // nothing to mark for a visitor
    const seq = pane.log.highest;
    const already = Math.max(this.readSent.get(pane.room.slug) || 0, (room && room.last_read) || 0);
    if (!seq || (seq <= already && !(room && (room.unread || room.mentions)))) return;
    if (pane.socket.send({ type: "read", seq })) this.readSent.set(pane.room.slug, seq);
  }

  /** The seq above which the divider goes, when the room is opened. */
  dividerFor(room) {
    const known = this.sidebar.room(room.slug) || room;
    return known.member && known.unread > 0 ? (known.last_read || 0) + 1 : null;
  }

  mark(message, element) {
    if (Array.isArray(message.mentions) && message.mentions.includes(this.me.id)) {
      element.classList.add("mentions-me");
    }
    if (this.pane.dividerSeq !== null && message.seq === this.pane.dividerSeq) {
      const divider = document.createElement("div");
      divider.className = "new-divider";
      divider.setAttribute("role", "separator");
      const label = document.createElement("span");
      label.textContent = gettext("New messages");
      divider.append(label);
      element.prepend(divider);
    }
  }
}
