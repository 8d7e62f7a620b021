// The room's messages as the client holds them, by seq (PROTOCOL.md,
// Delivery semantics), and the room revision they reflect (PROTOCOL 1.1).
// No DOM here: room.js renders what this reports.
//
// `rev` is the highest revision R such that every change up to R has been
// applied: the history frame's rev, then each change frame's (every change
// of a room raises its rev by one and sends one frame). Resuming with
// ?after=&rev=R brings back in `changed` whatever this client missed; a
// frame that arrives out of order only delays R, it never skips a change.

export class MessageLog {
  constructor() {
    this.bySeq = new Map();
    this.loaded = false; // the first history arrived
    this.contiguous = 0; // every seq from `oldest` up to this one is held
    this.oldest = null;
    this.hasOlder = false;
    this.highest = 0;
    this.rev = null;
    this.revsAbove = new Set();
  }

  /** The rev to resume with, or null before the first history. */
  resumeRev() {
    return this.loaded ? this.rev : null;
  }

  /** A change with this rev was applied. */
  noteRev(rev) {
    if (typeof rev !== "number" || this.rev === null || rev <= this.rev) return;
    this.revsAbove.add(rev);
    while (this.revsAbove.delete(this.rev + 1)) this.rev += 1;
  }

  /** The first history of a connection: everything up to its rev is held. */
  setRev(rev) {
    if (typeof rev !== "number") return;
    this.rev = this.rev === null ? rev : Math.max(this.rev, rev);
    for (const seen of this.revsAbove) if (seen <= this.rev) this.revsAbove.delete(seen);
    while (this.revsAbove.delete(this.rev + 1)) this.rev += 1;
  }

  /** `changed` of a resume: current states of held messages. */
  applyChanged(messages) {
    const shown = [];
    for (const message of messages) {
      if (!this.bySeq.has(message.seq)) continue;
      this.bySeq.set(message.seq, message);
      shown.push(message);
    }
    return shown;
  }

  /** A `message.edited` frame: the message to show again, or null. */
  applyEdit(frame) {
    this.noteRev(frame.rev);
    const held = this.bySeq.get(frame.seq);
    if (!held || held.deleted || held.id !== frame.id) return null;
    const edited = { ...held, body: frame.body, edited_at: frame.edited_at, rev: frame.rev };
    if (Array.isArray(frame.mentions)) edited.mentions = frame.mentions;
    this.bySeq.set(frame.seq, edited);
    return edited;
  }

  /** A `reaction` frame (idempotent): the message to show again, or null. */
  applyReaction(frame) {
    this.noteRev(frame.rev);
    const held = this.bySeq.get(frame.seq);
    if (!held || held.deleted || held.id !== frame.id || !frame.user) return null;
    const userId = frame.user.id;
    const reactions = (held.reactions || []).map((r) => ({ ...r, users: [...r.users] }));
    let entry = reactions.find((r) => r.emoji === frame.emoji);
    if (frame.added) {
      if (!entry) {
        entry = { emoji: frame.emoji, count: 0, users: [] };
        reactions.push(entry);
      }
      if (entry.users.includes(userId)) return null;
      entry.users.push(userId);
    } else {
      if (!entry || !entry.users.includes(userId)) return null;
      entry.users = entry.users.filter((id) => id !== userId);
    }
    entry.count = entry.users.length;
    const updated = { ...held, reactions: reactions.filter((r) => r.count > 0) };
    this.bySeq.set(frame.seq, updated);
    return updated;
  }

  /** The reader's newest message that is not deleted, or null. */
  lastOwn(userId) {
    let found = null;
    for (const message of this.bySeq.values()) {
      if (message.user.id === userId && !message.deleted && (!found || message.seq > found.seq)) found = message;
    }
    return found;
  }

  has(seq) {
    return this.bySeq.has(seq);
  }

  get(seq) {
    return this.bySeq.get(seq);
  }

  /** Every held message, oldest first (to show a room again on return). */
  all() {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The seq to resume after on reconnect, or null before the first load. */
  resumeAfter() {
    return this.loaded ? this.contiguous : null;
  }

  /** True when a message past `contiguous` is held: a gap to fill. */
  hasGap() {
    return this.highest > this.contiguous;
  }

  // Store one message. Returns "new", "updated" (a tombstone replacing a
  // live copy, or a later state of it: a greater rev) or "duplicate".
  _store(message) {
    this.noteRev(message.rev);
    const held = this.bySeq.get(message.seq);
    if (held) {
      const later = typeof message.rev === "number" && message.rev > (held.rev ?? 0);
      if ((message.deleted && !held.deleted) || (later && !held.deleted)) {
        this.bySeq.set(message.seq, message);
        return "updated";
      }
      return "duplicate";
    }
    this.bySeq.set(message.seq, message);
    if (this.oldest === null || message.seq < this.oldest) this.oldest = message.seq;
    if (message.seq > this.highest) this.highest = message.seq;
    return "new";
  }

  _advance() {
    while (this.bySeq.has(this.contiguous + 1)) this.contiguous += 1;
  }

  /**
   * The first history of the page (the latest messages). Returns the
   * messages to show.
   */
  loadInitial(frame) {
    const changed = [];
    for (const message of frame.messages) if (this._store(message) !== "duplicate") changed.push(message);
    this.loaded = true;
    this.hasOlder = Boolean(frame.has_more);
    let top = 0;
    for (const message of frame.messages) top = Math.max(top, message.seq);
    this.contiguous = Math.max(this.contiguous, top);
    this._advance();
    return changed;
  }

  /** The first history of a jump: the messages after `after`, oldest first. */
  loadWindow(frame, after) {
    const shown = [];
    for (const message of frame.messages) if (this._store(message) !== "duplicate") shown.push(message);
    this.loaded = true;
    this.hasOlder = after > 0;
    this.oldest = frame.messages.length ? frame.messages[0].seq : after + 1;
    this.contiguous = Math.max(after, this.highest);
    this._advance();
    return shown;
  }

  /** Newer messages (resume, `history.after`, a live `message`). */
  addNewer(messages) {
    const changed = [];
    for (const message of messages) {
      // Older than what we show: holding it would leave a hole above it.
      if (this.oldest !== null && message.seq < this.oldest) continue;
      if (this._store(message) !== "duplicate") changed.push(message);
    }
    this._advance();
    return changed;
  }

  /** Older messages from `history.before`. */
  addOlder(frame) {
    const changed = [];
    for (const message of frame.messages) if (this._store(message) !== "duplicate") changed.push(message);
    this.hasOlder = Boolean(frame.has_more);
    if (this.oldest === 1) this.hasOlder = false;
    return changed;
  }

  /** A `message.deleted` frame: the tombstone to show, or null. */
  markDeleted({ seq, rev }) {
    this.noteRev(rev);
    const held = this.bySeq.get(seq);
    if (!held || held.deleted) return null;
    const tombstone = { ...held, body: "", deleted: true, reactions: [], edited_at: null };
    this.bySeq.set(seq, tombstone);
    return tombstone;
  }
}
