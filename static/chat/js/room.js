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
// back shows them at once and resumes with ?after=<seq> (roomhistory.js).

import { sessionEnded } from "./api.js";
import { codePoints, MAX_BODY, Outbox, wireComposer } from "./composer.js";
import { Editor } from "./editing.js";
import { gettext, interpolate } from "./i18n.js";
import { RovingList } from "./listnav.js";
import { banUser, deleteMessage, wireAddMember } from "./moderation.js";
import { announce, showNotice } from "./notice.js";
import { PresenceList } from "./presence.js";
import { actionLabel, MessageListView, shownName } from "./render.js";
import { RoomHistory } from "./roomhistory.js";
import { ConnectionStatus } from "./roomstatus.js";
import { isDirect, roomLabel } from "./sidebar.js";
import { ReconnectingSocket, State } from "./socket.js";
import { refreshTimes } from "./time.js";
import { TypingIndicator, TypingSender } from "./typing.js";

const $ = (id) => document.getElementById(id);

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
    this.roving = new RovingList(this.list, { onTop: () => this.history.requestOlder() });
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
    this.history = new RoomHistory({
      view: this.view,
      roving: this.roving,
      list: this.list,
      scroller: this.scroller,
      me: this.me,
      names: this.names,
      send: (frame) => Boolean(this.socket && this.socket.send(frame)),
      outbox: () => this.outbox,
      editor: this.editor,
      typing: this.typingIn,
      seen: () => this.onSeen(),
      reconnect: () => this.reconnect(),
    });
    this.reactions = 0;
    this._wirePage();
  }

  /** The open room's MessageLog (messages.js), or null. */
  get log() {
    return this.history.log;
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
        run: (target, button) => deleteMessage(target, button, (deleted) => this.history.showDeleted(deleted)),
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
    this.history.show(room.slug);
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
    this.history.hide();
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
      path: () => this.history.socketPath(slug),
      onOpen: () => {
        this.history.opened();
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
      this.history.ended();
    }
  }

  handleFrame(frame) {
    switch (frame.type) {
      case "presence.state":
      case "presence.join":
      case "presence.leave":
      case "presence.diff":
        this.presence.apply(frame);
        if (frame.type === "presence.leave" && frame.user) this.typingIn.clear(frame.user);
        for (const user of frame.leaves || []) this.typingIn.clear(user);
        break;
      case "history":
        this.history.handleHistory(frame);
        break;
      case "message":
        this.history.handleMessage(frame);
        break;
      case "message.deleted":
        this.history.showDeleted(frame);
        break;
      case "message.edited":
        this.history.showEdited(frame);
        break;
      case "reaction":
        this.history.showReaction(frame);
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

  /** Show the room at message `seq`, with the history around it. */
  jumpTo(seq) {
    this.history.jumpTo(seq);
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
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      this.onSeen();
    });
    window.addEventListener("pagehide", () => this.typingOut.stop());
    setInterval(() => refreshTimes(this.list), 30_000);
  }
}

