// The room's messages as the client holds them, by seq (PROTOCOL.md,
// Delivery semantics). No DOM here: room.js renders what this reports.

export class MessageLog {
  constructor() {
    this.bySeq = new Map();
    this.loaded = false; // the first history arrived
    this.contiguous = 0; // every seq from `oldest` up to this one is held
    this.oldest = null;
    this.hasOlder = false;
    this.highest = 0;
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
  // live copy) or "duplicate".
  _store(message) {
    const held = this.bySeq.get(message.seq);
    if (held) {
      if (message.deleted && !held.deleted) {
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
  markDeleted({ seq }) {
    const held = this.bySeq.get(seq);
    if (!held || held.deleted) return null;
    const tombstone = { ...held, body: "", deleted: true };
    this.bySeq.set(seq, tombstone);
    return tombstone;
  }
}
