// Browser notifications (the Notification API) for what is meant for the
// reader while the tab is hidden: a `mention` frame of the site socket (any
// room), and `room.activity` of a direct room. Never for an ordinary room
// message, never while the tab is on screen.
//
// The browser's permission is asked only when the reader presses "Turn on
// notifications" in the sidebar, never on page load. Once allowed, the same
// button turns them off (and on again) for this browser (localStorage);
// when the browser blocks them the button gives way to a sentence saying
// where to change that. Clicking a notification focuses the tab and opens
// the room.

import { getJSON } from "./api.js";
import { gettext, interpolate } from "./i18n.js";
import { shownName } from "./render.js";
import { isDirect, roomLabel } from "./sidebar.js";

const STORE_KEY = "chat.notifications";
const MAX_BODY = 180;

const supported = () => typeof window.Notification === "function";
const clip = (text) => (text.length > MAX_BODY ? `${text.slice(0, MAX_BODY - 1)}…` : text);

export class Notifier {
  /**
   * button: the sidebar's toggle; status: a sentence beside it; site: the
   * site socket's handlers (app.js); sidebar: the reader's rooms; me: the
   * reader's UserRef; open(slug): show a room.
   */
  constructor({ button, status, site, sidebar, me, open }) {
    this.button = button;
    this.status = status;
    this.sidebar = sidebar;
    this.me = me;
    this.open = open;
    this.shown = new Set(); // room:seq already notified by this tab
    button.addEventListener("click", () => this.toggle());
    site.on("mention", (frame) => this.mention(frame));
    site.on("room.activity", (frame) => this.activity(frame));
    this.render();
  }

  get permission() {
    return supported() ? window.Notification.permission : "unsupported";
  }

  /** The reader wants them here (and has not turned them off). */
  get enabled() {
    let stored = null;
    try {
      stored = localStorage.getItem(STORE_KEY);
    } catch {
      stored = null;
    }
    return this.permission === "granted" && stored !== "off";
  }

  _store(value) {
    try {
      localStorage.setItem(STORE_KEY, value);
    } catch {
      // Storage disabled: the choice lasts for this page only.
    }
  }

  async toggle() {
    if (!supported()) return;
    if (this.enabled) {
      this._store("off");
    } else if (this.permission === "granted") {
      this._store("on");
    } else if (this.permission === "default") {
      // Only here, on the reader's press: the browser asks.
      let answer;
      try {
        answer = await window.Notification.requestPermission();
      } catch {
        answer = window.Notification.permission;
      }
      if (answer === "granted") this._store("on");
    }
    this.render();
  }

  render() {
    const permission = this.permission;
    const on = this.enabled;
    this.button.hidden = permission === "unsupported" || permission === "denied";
    this.button.textContent = on ? gettext("Turn off notifications") : gettext("Turn on notifications");
    if (permission === "denied") {
      this.status.textContent = gettext("Notifications are blocked for this site in your browser's settings.");
    } else if (on) {
      this.status.textContent = gettext("You get a notification for mentions and direct messages while this tab is hidden.");
    } else this.status.textContent = "";
  }

  mention(frame) {
    const message = frame.message;
    if (!message || !message.user || message.user.id === this.me.id) return;
    const room = this.sidebar.room(frame.room) || { slug: frame.room, name: frame.room };
    const name = shownName(message.user);
    const title = isDirect(room)
      ? interpolate(gettext("%(name)s mentioned you"), { name })
      : interpolate(gettext("%(name)s mentioned you in %(room)s"), { name, room: roomLabel(room) });
    this.notify(frame.room, message.seq, title, message.body || "");
  }

  async activity(frame) {
    // A mention frame tells of it too, with the message: that one notifies.
    if (frame.mention || !frame.user || frame.user.id === this.me.id) return;
    const room = this.sidebar.room(frame.room) || { slug: frame.room, private: true };
    if (!isDirect(room) || !this.wanted(frame.room, frame.seq)) return;
    const title = interpolate(gettext("Message from %(name)s"), { name: shownName(frame.user) });
    this.notify(frame.room, frame.seq, title, await this.bodyOf(frame.room, frame.seq));
  }

  async bodyOf(slug, seq) {
    try {
      const url = `/api/rooms/${encodeURIComponent(slug)}/messages/?after=${Math.max(0, seq - 1)}&limit=1`;
      const result = await getJSON(url);
      const message = result.ok && result.data && (result.data.messages || []).find((m) => m.seq === seq);
      if (message && !message.deleted) return message.body;
    } catch {
      // The notification still says who wrote.
    }
    return gettext("New direct message");
  }

  wanted(slug, seq) {
    return this.enabled && document.hidden && !this.shown.has(`${slug}:${seq}`);
  }

  notify(slug, seq, title, body) {
    if (!this.wanted(slug, seq)) return;
    this.shown.add(`${slug}:${seq}`);
    if (this.shown.size > 500) this.shown.delete(this.shown.values().next().value);
    let note;
    try {
      // One notification per message, even from several tabs (the tag).
      note = new window.Notification(title, { body: clip(body), tag: `chat-${slug}-${seq}`, lang: document.documentElement.lang });
    } catch {
      return; // some browsers allow notifications only from a service worker
    }
    note.onclick = () => {
      window.focus();
      this.open(slug);
      note.close();
    };
  }
}
