// The messages of the room on screen: the log held for each room (the last
// eight stay in memory, so coming back shows them at once and resumes with
// ?after=<seq>), the history frames that fill it, paging older and newer
// over the room socket, a seq gap repaired, and a jump to one message.
// RoomPane (room.js) owns the socket and hands this its message frames.

import { gettext, interpolate } from "./i18n.js";
import { MessageLog } from "./messages.js";
import { announce } from "./notice.js";
import { shownName } from "./render.js";

const $ = (id) => document.getElementById(id);
// Rooms whose messages stay in memory after switching away.
const CACHED_ROOMS = 8;

export class RoomHistory {
  /**
   * view, roving, list, scroller: the message list (render.js, listnav.js);
   * me; names: user id -> shown name, kept up to date here; send(frame):
   * false when the socket is not open; outbox(): the open room's Outbox;
   * editor: the open edit (closed when its message changes); typing: who
   * is typing (a message clears its author); seen(): the reader may have
   * seen something new; reconnect(): open the room socket afresh.
   */
  constructor({ view, roving, list, scroller, me, names, send, outbox, editor, typing, seen, reconnect }) {
    Object.assign(this, { view, roving, list, scroller, me, names, send, outbox, editor, typing, seen, reconnect });
    this.slug = null;
    this.log = null;
    this.logs = new Map(); // slug -> MessageLog, most recent last
    this.jumpSeq = null;
    this._resetRequests();
    this._wire();
  }

  /** Show the room's held messages, if any; its socket opens next. */
  show(slug) {
    this.slug = slug;
    this.log = this.logs.get(slug) || new MessageLog();
    this.logs.delete(slug);
    this.logs.set(slug, this.log);
    while (this.logs.size > CACHED_ROOMS) this.logs.delete(this.logs.keys().next().value);
    this._resetRequests();
    this.awaitingFirstHistory = false;
    this.list.setAttribute("aria-busy", "true");
    if (this.log.loaded) {
      this.view.put(this.log.all());
      this.roving.sync();
      this.view.scrollToBottom();
    }
    this.showState();
  }

  /** The room left the screen: its messages stay held. */
  hide() {
    this.view.clear();
    this.roving.reset();
    $("jump-latest").hidden = true;
  }

  /** The socket ended for good: nothing is loading any more. */
  ended() {
    this.list.setAttribute("aria-busy", "false");
    $("history-status").textContent = "";
  }

  /** The room socket's path: where to resume, or the window of a jump. */
  socketPath(slug) {
    const base = `/ws/chat/${encodeURIComponent(slug)}/`;
    const log = this.log;
    if (log.jumpAfter !== undefined) return `${base}?after=${log.jumpAfter}`;
    const after = log.resumeAfter();
    if (after === null) return base;
    const rev = log.resumeRev();
    return rev === null ? `${base}?after=${after}` : `${base}?after=${after}&rev=${rev}`;
  }

  /** A socket opened: its first history frame answers the path's resume. */
  opened() {
    this.awaitingFirstHistory = true;
    this._resetRequests();
  }

  handleHistory(frame) {
    const messages = Array.isArray(frame.messages) ? frame.messages : [];
    const log = this.log;
    this._resolveOwn(messages);
    for (const message of messages) this.names.set(message.user.id, shownName(message.user));
    const stick = this.view.nearBottom();
    if (this.awaitingFirstHistory) {
      this.awaitingFirstHistory = false;
      if (frame.changed_more) {
        // Away so long that more changed than one frame holds: start over.
        this.reload();
        return;
      }
      log.setRev(frame.rev);
      if (Array.isArray(frame.changed)) this.view.put(log.applyChanged(frame.changed));
      if (log.jumpAfter !== undefined) {
        this.view.put(log.loadWindow({ ...frame, messages }, log.jumpAfter));
        delete log.jumpAfter;
        this.revealJump();
        if (frame.has_more) this.requestNewer();
      } else if (!log.loaded) {
        this.view.put(log.loadInitial({ ...frame, messages }));
        this.view.scrollToBottom();
      } else {
        // Resume after a reconnect or a return: everything newer than held.
        this._showNewer(log.addNewer(messages), stick);
        if (frame.has_more || log.hasGap()) this.requestNewer();
      }
      this.outbox().resendAll();
    } else if ("before" in frame || (this.olderInFlight && !("after" in frame))) {
      this.olderInFlight = false;
      this.view.prepend(log.addOlder({ ...frame, messages }));
    } else {
      this.newerInFlight = false;
      const changed = log.addNewer(messages);
      this._showNewer(changed, stick);
      // Keep asking while there is more, but never loop on an empty answer.
      if (changed.length && (frame.has_more || log.hasGap())) this.requestNewer();
    }
    this.roving.sync();
    this.list.setAttribute("aria-busy", "false");
    this.showState();
    this._fillScreen();
    this.seen();
  }

  handleMessage(message) {
    const own = message.user && message.user.id === this.me.id;
    if (own) this.outbox().resolve(message.client_id);
    if (!this.log.loaded) return; // the first history brings it
    const stick = own || this.view.nearBottom();
    const changed = this.log.addNewer([message]);
    if (changed.length) {
      this.typing.clear(message.user);
      this._showNewer(changed, stick, { live: true });
      this.showState(); // "No messages yet" no longer holds
    }
    // A seq jump: a frame went missing between us and the database. Fill it.
    if (this.log.hasGap()) this.requestNewer();
  }

  /** A message deleted (its frame, or the reader's own DELETE). */
  showDeleted(message) {
    const tombstone = this.log.markDeleted(message);
    if (tombstone) this.view.markDeleted(tombstone);
  }

  showEdited(frame) {
    this._showChanged(this.log.applyEdit(frame));
  }

  showReaction(frame) {
    if (frame.user) this.names.set(frame.user.id, shownName(frame.user));
    this._showChanged(this.log.applyReaction(frame));
  }

  requestNewer() {
    if (this.newerInFlight || !this.log.loaded) return;
    if (this.send({ type: "history.after", after: this.log.contiguous, limit: 100 })) this.newerInFlight = true;
  }

  requestOlder() {
    const log = this.log;
    if (this.olderInFlight || !log.loaded || !log.hasOlder || log.oldest === null || log.oldest <= 1) return;
    if (this.send({ type: "history.before", before: log.oldest, limit: 50 })) this.olderInFlight = true;
    this.showState();
  }

  /** Forget what is held of the room and load it afresh. */
  reload() {
    this._replaceLog(new MessageLog());
    this.reconnect();
  }

  /** Show the room at message `seq`, with the history around it. */
  jumpTo(seq) {
    this.jumpSeq = seq;
    if (this.log.has(seq)) {
      this.revealJump();
      return;
    }
    // A window of the room around it; newer pages follow (requestNewer).
    const log = new MessageLog();
    log.jumpAfter = Math.max(0, seq - 26);
    this._replaceLog(log);
    this.list.setAttribute("aria-busy", "true");
    this.reconnect();
  }

  revealJump() {
    const element = this.view.element(this.jumpSeq);
    if (!element) return;
    for (const old of this.list.querySelectorAll(".jump-target")) old.classList.remove("jump-target");
    element.classList.add("jump-target");
    element.scrollIntoView({ block: "center" });
    this.roving.focus(element);
  }

  /** "Load older", and the sentence above the list. */
  showState() {
    const button = $("load-older");
    const status = $("history-status");
    const log = this.log;
    const more = log.loaded && log.hasOlder && log.oldest > 1;
    // The button stays while it loads (focus must not fall to the page);
    // when nothing is left, focus moves to the oldest message first.
    if (!more && !button.hidden && button.contains(document.activeElement)) {
      this.roving.focus(this.list.querySelector("li.msg"));
    }
    button.hidden = !more;
    button.setAttribute("aria-disabled", String(this.olderInFlight));
    if (!log.loaded) status.textContent = gettext("Loading messages…");
    else if (this.olderInFlight) status.textContent = gettext("Loading older messages…");
    else if (!more) status.textContent = log.highest ? gettext("This is the start of the room.") : gettext("No messages yet. Say hello!");
    else status.textContent = "";
  }

  _replaceLog(log) {
    this.log = log;
    this.logs.set(this.slug, log);
    this.view.clear();
    this.roving.reset();
  }

  _resetRequests() {
    this.olderInFlight = false;
    this.newerInFlight = false;
  }

  _resolveOwn(messages) {
    const outbox = this.outbox();
    for (const message of messages) {
      if (message.client_id && message.user && message.user.id === this.me.id) outbox.resolve(message.client_id);
    }
  }

  // Messages that are new to the reader; history is never announced.
  _showNewer(changed, stick, { live = false } = {}) {
    if (!changed.length) return;
    this.view.put(changed);
    this.roving.sync();
    if (stick) this.view.scrollToBottom();
    else $("jump-latest").hidden = false;
    this.seen();
    if (live && stick && !document.hidden) {
      for (const message of changed) {
        if (message.user.id !== this.me.id && !message.deleted) {
          announce(interpolate(gettext("%(name)s: %(body)s"), { name: shownName(message.user), body: message.body }));
        }
      }
    }
  }

  // A message's new state (an edit, a reaction) on screen, if shown.
  _showChanged(message) {
    if (!message || !this.view.has(message.seq)) return;
    if (this.editor.open && this.editor.open.message.seq === message.seq) this.editor.cancel();
    this.view.put([message]);
    this.roving.sync();
  }

  // Short screens: keep loading until the list can scroll (or nothing is left).
  _fillScreen() {
    if (this.scroller.scrollHeight <= this.scroller.clientHeight + 10) this.requestOlder();
  }

  _wire() {
    this.scroller.addEventListener(
      "scroll",
      () => {
        if (this.scroller.scrollTop < 120) this.requestOlder();
        if (this.view.nearBottom()) $("jump-latest").hidden = true;
      },
      { passive: true },
    );
    $("load-older").addEventListener("click", () => this.requestOlder());
    $("jump-latest").addEventListener("click", () => {
      this.view.scrollToBottom();
      $("jump-latest").hidden = true;
      $("composer-input").focus();
    });
  }
}
