// Typing indicators, both ways (PROTOCOL.md `typing`).

import { gettext, interpolate } from "./i18n.js";

const REFRESH_MS = 2000; // resend active:true at most this often
const IDLE_MS = 3000; // then active:false after this long without input
const SHOWN_MS = 5000; // an incoming indicator fades without a refresh
// PROTOCOL.md 1.1: the server forwards at most one typing frame per second
// of a socket, whatever its `active`, and drops the others.
const SPACING_MS = 1100;

/** Tells the room that the reader is typing. send(active) sends a frame. */
export class TypingSender {
  constructor(send) {
    this.rawSend = send;
    this.lastAny = 0;
    this.trailing = null;
    this.active = false;
    this.lastSent = 0;
    this.idleTimer = null;
  }

  /** Call on every input event; hasText false means the box was emptied. */
  input(hasText) {
    if (!hasText) {
      this.stop();
      return;
    }
    const now = Date.now();
    if (!this.active || now - this.lastSent >= REFRESH_MS) {
      if (this.send(true)) {
        this.active = true;
        this.lastSent = now;
      }
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
  }

  /** `active` now, or, within SPACING_MS of the last frame, as soon as a
   * frame is allowed (only the latest state is sent then). */
  send(active) {
    clearTimeout(this.trailing);
    const wait = this.lastAny + SPACING_MS - Date.now();
    if (wait > 0) {
      this.trailing = setTimeout(() => this.send(active), wait);
      return true;
    }
    this.lastAny = Date.now();
    return this.rawSend(active);
  }

  /** The reader sent or went idle. */
  stop() {
    clearTimeout(this.idleTimer);
    if (this.active) this.send(false);
    this.active = false;
  }

  /** A new socket knows nothing of the old one's state. */
  reset() {
    clearTimeout(this.idleTimer);
    clearTimeout(this.trailing);
    this.active = false;
  }
}

/** Shows "Ada is typing…" from incoming frames. */
export class TypingIndicator {
  constructor(element, me) {
    this.element = element;
    this.me = me;
    this.typists = new Map(); // id -> {user, timer}
  }

  apply({ user, active }) {
    if (!user || (this.me && user.id === this.me.id)) return;
    if (active) {
      const current = this.typists.get(user.id);
      if (current) clearTimeout(current.timer);
      const timer = setTimeout(() => this.clear(user), SHOWN_MS);
      this.typists.set(user.id, { user, timer });
    } else {
      this.clear(user, false);
    }
    this.render();
  }

  /** Stop showing a user (their message arrived, they left, time ran out). */
  clear(user, render = true) {
    const current = this.typists.get(user.id);
    if (!current) return;
    clearTimeout(current.timer);
    this.typists.delete(user.id);
    if (render) this.render();
  }

  clearAll() {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render() {
    const names = [...this.typists.values()].map(({ user }) => user.display_name || user.username);
    let text = "";
    if (names.length === 1) text = interpolate(gettext("%(name)s is typing…"), { name: names[0] });
    else if (names.length === 2) {
      text = interpolate(gettext("%(first)s and %(second)s are typing…"), { first: names[0], second: names[1] });
    } else if (names.length > 2) text = gettext("Several people are typing…");
    this.element.textContent = text;
  }
}
