// The room in the middle of the chat page: its socket, message log, views,
// presence, typing and composer. One RoomPane lives for the whole page and
// shows one room at a time; open(room) switches in place.
//
// Socket strategy: one socket for the room on screen (plus the page's site
// socket, app.js), not one per room in the sidebar. A room socket makes its
// user present in that room, so sockets for unseen rooms would list the
// reader under "Here now" in rooms they are not looking at, cost the server
// a socket, a presence entry and a room subscription each, and count
// against the per-user socket limit. What the other rooms need (badges,
// activity) comes over the site socket. Switching closes the old socket and
// opens the new one; the messages already loaded stay in memory, so coming
// back shows them at once and resumes with ?after=<seq>.

import { sessionEnded } from "./api.js";
import { codePoints, MAX_BODY, Outbox, wireComposer } from "./composer.js";
import { Editor } from "./editing.js";
import { gettext, interpolate } from "./i18n.js";
import { RovingList } from "./listnav.js";
import { MessageLog } from "./messages.js";
import { banUser, deleteMessage, wireAddMember } from "./moderation.js";
import { announce, showNotice } from "./notice.js";
import { PresenceList } from "./presence.js";
import { actionLabel, MessageListView, shownName } from "./render.js";
import { ConnectionStatus } from "./roomstatus.js";
import { isDirect, roomLabel } from "./sidebar.js";
import { ReconnectingSocket, State } from "./socket.js";
import { refreshTimes } from "./time.js";
import { TypingIndicator, TypingSender } from "./typing.js";

const $ = (id) => document.getElementById(id);
// Rooms whose messages stay in memory after switching away.
const CACHED_ROOMS = 8;

export class RoomPane {
  /** data: the page data (user, isStaff, urls); onShown(room): after open. */
  constructor(data, { onShown, onRoomUpdated } = {}) {
    this.me = data.user;
    this.isStaff = data.isStaff;
    this.urls = data;
    this.onShown = onShown || (() => {});
    this.onRoomUpdated = onRoomUpdated || (() => {});
    this.room = null;
    this.socket = null;
    this.outbox = null;
    this.log = null;
    this.logs = new Map(); // slug -> MessageLog, most recent last
    this.drafts = new Map(); // slug -> unsent text
    // The total unread of the reader's rooms (badges.js) and the seq the
    // "new messages" divider goes above, set when a room opens.
    this.titleCount = 0;
    this.dividerSeq = null;
    this.dividerFor = () => null;
    this.onSeen = () => {};
    this.onRead = () => {};
    this.scroller = $("scroller");
    this.list = $("messages");

    this.names = new Map([[this.me.id, this.me.display_name || this.me.username]]);
    this.view = new MessageListView(this.list, this.scroller, {
      me: this.me,
      isOwn: (message) => message.user.id === this.me.id,
      actions: (message) => this.actionsFor(message),
      react: (message, emoji, added) => this.react(message, emoji, added),
      nameOf: (id) => this.names.get(id) || interpolate(gettext("user %(id)s"), { id }),
    });
    this.roving = new RovingList(this.list, { onTop: () => this.requestOlder() });
    this.view.onReplace = (old, element) => this.roving.replaced(old, element);
    this.presence = new PresenceList({
      list: $("present"),
      count: $("present-count"),
      me: this.me,
      actions: [
        {
          name: "ban",
          label: gettext("Ban"),
          ariaLabel: (user) => interpolate(gettext("Ban %(name)s"), { name: shownName(user) }),
          available: () => this.canModerate && !isDirect(this.room),
          run: (user, button) => banUser(this.room.slug, user, button),
        },
      ],
      onChange: (count) => {
        const toggle = $("members-toggle-count");
        if (toggle) toggle.textContent = String(count);
      },
    });
    this.typingIn = new TypingIndicator($("typing"), this.me);
    this.typingOut = new TypingSender((active) => this.socket && this.socket.send({ type: "typing", active }));
    this.status = new ConnectionStatus(
      { box: $("conn-status"), text: $("conn-text"), countdown: $("conn-countdown"), retry: $("conn-retry"), next: $("conn-next") },
      data,
      () => this.socket && this.socket.restart(),
    );
    this.composer = wireComposer({
      form: $("composer"),
      input: $("composer-input"),
      counter: $("composer-count"),
      submit: (text) => this.submit(text),
      onInput: (hasText) => this.typingOut.input(hasText),
    });
    if ($("add-member")) wireAddMember($("add-member"), () => this.room.slug);
    this.editor = new Editor({
      view: this.view,
      send: (frame) => this.socket && this.socket.send(frame),
      composer: $("composer-input"),
    });
    this.editor.lastOwn = () => this.log && this.log.lastOwn(this.me.id);
    this.reactions = 0;
    this._wirePage();
  }

  get canModerate() {
    return Boolean(this.room && (this.isStaff || (this.room.owner && this.room.owner.id === this.me.id)));
  }

  actionsFor(message) {
    const own = message.user.id === this.me.id;
    const edit = {
      name: "edit",
      label: gettext("Edit"),
      ariaLabel: gettext("Edit your message"),
      run: (target) => this.editor.start(this.log.get(target.seq) || target),
    };
    if (!(this.canModerate || own)) return [];
    return [
      ...(own ? [edit] : []),
      {
        name: "delete",
        label: gettext("Delete"),
        ariaLabel: actionLabel(gettext("Delete message from %(name)s"), message),
        run: (target, button) => deleteMessage(target, button, (deleted) => this.showDeleted(deleted)),
      },
    ];
  }

  // --- Switching rooms --------------------------------------------------------

  /** Show a room (a Room as the API returns it; only slug is required). */
  open(room, { focus = true } = {}) {
    if (this.room && this.room.slug === room.slug) {
      this.showRoom(room);
      return;
    }
    this.close();
    this.dividerSeq = this.dividerFor(room);
    this.room = room;
    this.showRoom(room);
    this.log = this.logs.get(room.slug) || new MessageLog();
    this.logs.delete(room.slug);
    this.logs.set(room.slug, this.log);
    while (this.logs.size > CACHED_ROOMS) this.logs.delete(this.logs.keys().next().value);
    this.awaitingFirstHistory = false;
    this.olderInFlight = false;
    this.newerInFlight = false;
    this.list.setAttribute("aria-busy", "true");
    if (this.log.loaded) {
      this.view.put(this.log.all());
      this.roving.sync();
      this.view.scrollToBottom();
    }
    this.showHistoryState();
    this.outbox = new Outbox({
      list: $("pending"),
      me: this.me,
      send: (frame) => this.socket.send(frame),
      storageKey: `chat.outbox.${room.slug}.${this.me.id}`,
      onEdit: (body) => this.composer.restore(body),
      onFail: (text) => announce(text),
      onFocusLost: () => $("composer-input").focus(),
    });
    this.composer.replace(this.drafts.get(room.slug) || "");
    this.composer.setEnabled(true);
    this.socket = this._socket(room.slug);
    this.socket.start();
    this.onShown(room);
    if (focus) this.focusDefault();
  }

  /** Leave the room on screen: its socket closes, its messages stay cached. */
  close() {
    if (!this.room) return;
    this.editor.cancel();
    this.drafts.set(this.room.slug, this.composer.value);
    this.typingOut.stop();
    this.socket.dispose();
    this.socket = null;
    this.presence.clear();
    this.typingIn.clearAll();
    this.view.clear();
    this.roving.reset();
    $("jump-latest").hidden = true;
    this.room = null;
  }

  /** Name, description and controls of the room (also on room.updated). */
  showRoom(room) {
    this.room = { ...(this.room || {}), ...room };
    const label = roomLabel(this.room);
    $("room-title-text").textContent = label;
    $("room-private").hidden = !this.room.private || isDirect(this.room);
    $("room-muted").hidden = !this.room.muted;
    const description = $("room-description");
    description.textContent = this.room.description || "";
    description.hidden = !this.room.description;
    $("composer-input").placeholder = interpolate(gettext("Message %(room)s"), { room: label });
    $("composer-label").textContent = interpolate(gettext("Message %(room)s"), { room: label });
    this.list.setAttribute("aria-label", interpolate(gettext("Messages in %(room)s"), { room: label }));
    const addMember = $("add-member-section");
    if (addMember) addMember.hidden = !(this.canModerate && this.room.private && !isDirect(this.room));
    this.baseTitle = interpolate(gettext("%(room)s · Chat"), { room: label });
    this._title();
    this.presence.render();
  }

  /** Desktop: the composer; phone: the room's name (no keyboard pops up). */
  focusDefault() {
    if (window.matchMedia("(max-width: 760px)").matches) $("room-title").focus();
    else $("composer-input").focus();
  }

  // --- The socket ---------------------------------------------------------------

  _socket(slug) {
    return new ReconnectingSocket({
      path: () => {
        const base = `/ws/chat/${encodeURIComponent(slug)}/`;
        if (this.log.jumpAfter !== undefined) return `${base}?after=${this.log.jumpAfter}`;
        const after = this.log.resumeAfter();
        if (after === null) return base;
        const rev = this.log.resumeRev();
        return rev === null ? `${base}?after=${after}` : `${base}?after=${after}&rev=${rev}`;
      },
      onOpen: () => {
        this.awaitingFirstHistory = true;
        this.olderInFlight = false;
        this.newerInFlight = false;
        this.typingOut.reset();
        this.outbox.setConnected(true);
      },
      onFrame: (frame) => this.handleFrame(frame),
      onState: (state, detail) => this.showConnection(state, detail),
      probe: () => sessionEnded(this.urls.statusUrl),
    });
  }

  showConnection(state, detail) {
    this.status.show(state, detail);
    if (state !== State.OPEN) this.outbox.setConnected(false);
    if (state === State.CLOSED) {
      // Ended for good: nobody is known to be here, not even the reader.
      const hadFocus = $("composer").contains(document.activeElement);
      this.composer.setEnabled(false);
      // The composer can no longer hold focus: the next step can.
      if (hadFocus) {
        const retry = $("conn-retry");
        ($("conn-next").querySelector("a") || (retry.hidden ? $("room-title") : retry)).focus();
      }
      this.presence.clear();
      this.typingIn.clearAll();
      this.list.setAttribute("aria-busy", "false");
      $("history-status").textContent = "";
    }
  }

  handleFrame(frame) {
    switch (frame.type) {
      case "presence.state":
      case "presence.join":
      case "presence.leave":
        this.presence.apply(frame);
        if (frame.type === "presence.leave" && frame.user) this.typingIn.clear(frame.user);
        break;
      case "history":
        this.handleHistory(frame);
        break;
      case "message":
        this.handleMessage(frame);
        break;
      case "message.deleted": {
        const tombstone = this.log.markDeleted(frame);
        if (tombstone) this.view.markDeleted(tombstone);
        break;
      }
      case "message.edited":
        this.showChanged(this.log.applyEdit(frame));
        break;
      case "reaction":
        if (frame.user) this.names.set(frame.user.id, shownName(frame.user));
        this.showChanged(this.log.applyReaction(frame));
        break;
      case "typing":
        this.typingIn.apply(frame);
        break;
      case "read":
        this.onRead(frame);
        break;
      case "room.updated":
        this.showRoom({ name: frame.name, description: frame.description });
        this.onRoomUpdated(this.room.slug, { name: frame.name, description: frame.description });
        break;
      case "error":
        this.handleError(frame);
        break;
      default:
        break; // pong, and types a later protocol version may add
    }
  }

  resolveOwn(messages) {
    for (const message of messages) {
      if (message.client_id && message.user && message.user.id === this.me.id) this.outbox.resolve(message.client_id);
    }
  }

  handleHistory(frame) {
    const messages = Array.isArray(frame.messages) ? frame.messages : [];
    const log = this.log;
    this.resolveOwn(messages);
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
        this.showNewer(log.addNewer(messages), stick);
        if (frame.has_more || log.hasGap()) this.requestNewer();
      }
      this.outbox.resendAll();
    } else if ("before" in frame || (this.olderInFlight && !("after" in frame))) {
      this.olderInFlight = false;
      this.view.prepend(log.addOlder({ ...frame, messages }));
    } else {
      this.newerInFlight = false;
      const changed = log.addNewer(messages);
      this.showNewer(changed, stick);
      // Keep asking while there is more, but never loop on an empty answer.
      if (changed.length && (frame.has_more || log.hasGap())) this.requestNewer();
    }
    this.roving.sync();
    this.list.setAttribute("aria-busy", "false");
    this.showHistoryState();
    this.fillScreen();
    this.onSeen();
  }

  // Messages that are new to the reader; history is never announced.
  showNewer(changed, stick, { live = false } = {}) {
    if (!changed.length) return;
    this.view.put(changed);
    this.roving.sync();
    if (stick) this.view.scrollToBottom();
    else $("jump-latest").hidden = false;
    this.onSeen();
    if (live && stick && !document.hidden) {
      for (const message of changed) {
        if (message.user.id !== this.me.id && !message.deleted) {
          announce(interpolate(gettext("%(name)s: %(body)s"), { name: shownName(message.user), body: message.body }));
        }
      }
    }
  }

  handleMessage(message) {
    if (message.user && message.user.id === this.me.id) this.outbox.resolve(message.client_id);
    if (!this.log.loaded) return; // the first history brings it
    const own = message.user && message.user.id === this.me.id;
    const stick = own || this.view.nearBottom();
    const changed = this.log.addNewer([message]);
    if (changed.length) {
      this.typingIn.clear(message.user);
      this.showNewer(changed, stick, { live: true });
      this.showHistoryState(); // "No messages yet" no longer holds
    }
    // A seq jump: a frame went missing between us and the database. Fill it.
    if (this.log.hasGap()) this.requestNewer();
  }

  handleError(frame) {
    const detail = typeof frame.detail === "string" ? frame.detail : gettext("The server refused that.");
    if (typeof frame.ref === "string" && this.outbox.fail(frame.ref, detail)) return;
    // A refused edit or reaction: say so (the socket stays open).
    if (typeof frame.ref === "string" && /^(edit|react)-/.test(frame.ref)) {
      showNotice(detail, { kind: "error" });
      return;
    }
    if (frame.code === "not_found" || frame.code === "forbidden") return; // the close says it
    showNotice(detail, { kind: "error" });
  }

  requestNewer() {
    if (this.newerInFlight || !this.log.loaded) return;
    if (this.socket.send({ type: "history.after", after: this.log.contiguous, limit: 100 })) this.newerInFlight = true;
  }

  requestOlder() {
    const log = this.log;
    if (this.olderInFlight || !log.loaded || !log.hasOlder || log.oldest === null || log.oldest <= 1) return;
    if (this.socket.send({ type: "history.before", before: log.oldest, limit: 50 })) this.olderInFlight = true;
    this.showHistoryState();
  }

  /** A message's new state (an edit, a reaction) on screen, if shown. */
  showChanged(message) {
    if (!message || !this.view.has(message.seq)) return;
    if (this.editor.open && this.editor.open.message.seq === message.seq) this.editor.cancel();
    this.view.put([message]);
    this.roving.sync();
  }

  react(message, emoji, added) {
    this.reactions += 1;
    const type = added ? "reaction.add" : "reaction.remove";
    const frame = { type, id: message.id, emoji, client_id: `react-${message.id}-${this.reactions}` };
    if (!this.socket || !this.socket.send(frame)) showNotice(gettext("Not connected; try again in a moment."), { kind: "error" });
  }

  /** Open the room's socket again now (with the log's resume point). */
  reconnect() {
    this.socket.stop();
    this.socket.start();
  }

  /** Forget what is held of the room and load it afresh. */
  reload() {
    this.log = new MessageLog();
    this.logs.set(this.room.slug, this.log);
    this.view.clear();
    this.roving.reset();
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
    this.log = new MessageLog();
    this.log.jumpAfter = Math.max(0, seq - 26);
    this.logs.set(this.room.slug, this.log);
    this.view.clear();
    this.roving.reset();
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

  showDeleted(message) {
    const tombstone = this.log.markDeleted(message);
    if (tombstone) this.view.markDeleted(tombstone);
  }

  // --- What the page shows ----------------------------------------------------

  showHistoryState() {
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

  // Short screens: keep loading until the list can scroll (or nothing is left).
  fillScreen() {
    if (this.scroller.scrollHeight <= this.scroller.clientHeight + 10) this.requestOlder();
  }

  /** The reader's total unread (badges.js): "(3) General · Chat". */
  setTitleCount(count) {
    this.titleCount = count;
    this._title();
  }

  _title() {
    document.title = this.titleCount ? `(${this.titleCount}) ${this.baseTitle}` : this.baseTitle;
  }

  submit(text) {
    const body = text.trim();
    if (!body) return false;
    if (codePoints(body) > MAX_BODY) {
      showNotice(interpolate(gettext("That message is too long: at most %(max)s characters."), { max: MAX_BODY }), {
        kind: "error",
      });
      return false;
    }
    this.typingOut.stop();
    this.outbox.add(body);
    requestAnimationFrame(() => this.view.scrollToBottom());
    return true;
  }

  _wirePage() {
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
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      this.onSeen();
    });
    window.addEventListener("pagehide", () => this.typingOut.stop());
    setInterval(() => refreshTimes(this.list), 30_000);
  }
}

