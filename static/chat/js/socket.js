// A WebSocket that reconnects by itself: backoff with jitter, a fresh URL on
// every attempt so the caller can resume (`?after=<seq>`, PROTOCOL.md), and
// a liveness check: a ping every 10 s; a ping unanswered for 5 s is a missed
// pong, and two missed pongs in a row are a dead socket (the network went
// away without a close), so "Reconnecting…" shows within 20 s of a drop.
// Every socket declares that ping to the server (`?heartbeat=10`, README,
// Liveness): one whose frames stop, with or without a close, is closed by the
// server (4408) within about 21 s, so the others see this tab leave even when
// the browser's network stack keeps answering the server's own pings. A
// hidden tab's timers may fire only once a minute (Chrome's intensive
// throttling), so while hidden it declares 60 s instead, with a ping that
// says so, and 10 s again once visible.

// The server meant it: not found. Reconnecting would not help.
export const FINAL_CLOSE_CODES = new Set([4404]);
// Forbidden: a ban, a deactivation, or the session the socket was opened with
// ended. A password change ends it too, although this browser gets the new
// session cookie at once, so a 4403 is retried once, immediately. A second
// 4403 (a ban: accepted, an error `forbidden`, then closed) is final; so is a
// refused handshake, unless the session turns out to work (the new cookie
// was still on its way when the retry left): then there is one last attempt
// (PROTOCOL.md, Close codes).
export const FORBIDDEN_CLOSE = 4403;
// The server is restarting (PROTOCOL.md 1.1): come back after a random
// 0.5-5 s, so its clients do not all reconnect in the same instant.
export const SERVICE_RESTART = 1012;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 5_000;
// How long a password change's answer, with the new cookie, may take to
// arrive after its 4403.
const COOKIE_GRACE_MS = 1500;

export const State = Object.freeze({
  CONNECTING: "connecting",
  OPEN: "open",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
});

export const PING_MS = 10_000;
export const PONG_TIMEOUT_MS = 5_000;
const MISSED_PONGS_DEAD = 2;
export const HEARTBEAT_S = PING_MS / 1000;
export const HIDDEN_HEARTBEAT_S = 60;
const heartbeat = () => (document.hidden ? HIDDEN_HEARTBEAT_S : HEARTBEAT_S);
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
// An open socket that stayed up this long was healthy: start backoff afresh.
const STABLE_MS = 10_000;
// A handshake unanswered this long is given up and retried. Without a limit
// an attempt whose packets the network dropped stays "connecting" for
// minutes, and Chromium lets only one socket per host be connecting at a
// time, so it would hold this page's other sockets back too. 10 s is well
// over a handshake into a server taking a reconnect storm (bench/, 9b).
export const CONNECT_TIMEOUT_MS = 10_000;
// Close codes with a wait of their own (PROTOCOL.md 1.1): a restarting
// server spreads its clients over 0.5–5 s; flooding or too many tabs waits
// long (the page offers "Retry now"); a client that fell behind resumes
// quickly.
const DELAY_FOR_CODE = {
  [SERVICE_RESTART]: () => RESTART_MIN_MS + Math.random() * (RESTART_MAX_MS - RESTART_MIN_MS),
  4429: () => 30_000,
  1013: () => 200 + Math.random() * 800,
};

/** The ws:// or wss:// URL of a path on this site. */
export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

/**
 * The path (and query) with this client's ping interval declared, and a
 * tick's joins and leaves asked for as one presence.diff frame (README,
 * Presence diffs): a room that fills at once is a frame per tick, not one
 * per newcomer.
 */
export function withClientOptions(path) {
  return `${path}${path.includes("?") ? "&" : "?"}heartbeat=${heartbeat()}&presence=diff`;
}

/**
 * Options:
 *  - path(): the path (and query) to open, asked before every attempt;
 *  - onFrame(object): each JSON object the server sends;
 *  - onOpen(): the socket is open (send resends and requests here);
 *  - onState(state, detail): CONNECTING, OPEN, RECONNECTING {delay, code,
 *    until, connecting}, CLOSED {code, reason};
 *  - probe(): optional async check after a handshake failed before opening;
 *    resolving to a string stops retrying with that string as the reason
 *    ("logged-out", "deactivated").
 */
export class ReconnectingSocket {
  constructor(options) {
    this.options = options;
    this.ws = null;
    this.state = State.CLOSED;
    this.attempt = 0;
    this.failedHandshakes = 0;
    this.retryTimer = null;
    this.connectTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stableTimer = null;
    this.missedPongs = 0;
    this.stopped = false;
    // Attempts since a 4403 that no welcome (a frame other than an error)
    // has answered yet: 0 none, 1 the immediate retry, 2 the last attempt.
    this.forbiddenTries = 0;
    this.lastError = null; // the code of the last error frame on this socket
    this._onOnline = () => this.retryNow();
    this._onOffline = () => this._checkAlive(1000);
    this._onVisible = () => {
      // The promise changes with visibility (see HIDDEN_HEARTBEAT_S).
      this.send({ type: "ping", heartbeat: heartbeat() });
      if (!document.hidden) this.retryNow();
    };
    window.addEventListener("online", this._onOnline);
    window.addEventListener("offline", this._onOffline);
    document.addEventListener("visibilitychange", this._onVisible);
  }

  start() {
    this.stopped = false;
    this._connect();
  }

  /** Close for good (leaving the room or the page, or a final close code). */
  stop(code = 1000) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this._clearTimers();
    if (this.ws) {
      this._detach(this.ws);
      this.ws.close(code);
      this.ws = null;
    }
  }

  /** stop(), and forget the page listeners: this object is done. */
  dispose() {
    this.stop();
    window.removeEventListener("online", this._onOnline);
    window.removeEventListener("offline", this._onOffline);
    document.removeEventListener("visibilitychange", this._onVisible);
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send one frame; false when the socket is not open (nothing queued). */
  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Skip the rest of the backoff wait (a button, the browser going online). */
  retryNow() {
    // Only while waiting out a backoff delay: not while a probe or an
    // attempt is under way, which would open a second socket.
    if (this.stopped || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this._connect();
  }

  /** Start again after a final close (the page's "Reconnect" button). */
  restart() {
    if (!this.stopped) return this.retryNow();
    this.attempt = 0;
    this.forbiddenTries = 0;
    this.start();
  }

  _setState(state, detail = {}) {
    this.state = state;
    if (this.options.onState) this.options.onState(state, detail);
  }

  _connect() {
    this._setState(this.attempt === 0 ? State.CONNECTING : State.RECONNECTING, {
      delay: 0,
      connecting: true,
    });
    let ws;
    try {
      ws = new WebSocket(socketUrl(withClientOptions(this.options.path())));
    } catch {
      this._scheduleRetry(1006, false);
      return;
    }
    this.ws = ws;
    this.lastError = null;
    let opened = false;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (this.ws !== ws) return;
      this._detach(ws);
      ws.close();
      this.ws = null;
      this._clearTimers();
      this._scheduleRetry(1006, false);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      opened = true;
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.failedHandshakes = 0;
      this.missedPongs = 0;
      this._setState(State.OPEN);
      this.pingTimer = setInterval(() => this._ping(), PING_MS);
      this.stableTimer = setTimeout(() => {
        this.attempt = 0;
      }, STABLE_MS);
      if (this.options.onOpen) this.options.onOpen();
    };
    ws.onmessage = (event) => {
      // Any frame shows the socket is alive, not only a pong.
      this._heard();
      if (typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame === "object" && typeof frame.type === "string") {
        // Welcomed (a ban sends only an error before its 4403): a later
        // 4403 deserves its own retry again.
        if (frame.type !== "error") this.forbiddenTries = 0;
        else this.lastError = frame.code;
        this.options.onFrame(frame);
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this._clearTimers();
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.stopped = true;
        this._setState(State.CLOSED, { code: event.code, reason: event.reason });
        return;
      }
      if (event.code === FORBIDDEN_CLOSE || (this.forbiddenTries && !opened)) {
        this._afterForbidden(event.code, this.lastError === "forbidden");
        return;
      }
      this._scheduleRetry(event.code, opened);
    };
  }

  async _afterForbidden(code, refused) {
    if (refused && this.forbiddenTries > 0) {
      // Accepted, told `forbidden`, closed: the room itself refuses (a ban).
      this._final(FORBIDDEN_CLOSE, "banned");
      return;
    }
    if (this.forbiddenTries === 0) {
      this.forbiddenTries = 1;
      this._connect();
      return;
    }
    let reason = "";
    if (code !== FORBIDDEN_CLOSE && this.forbiddenTries === 1) {
      // Refused: logged out, deactivated, or a new cookie not yet here. Wait
      // before probing: a request that still carries the old cookie gets an
      // answer that deletes the cookie, and arriving after the password
      // change's answer it would delete the new one (a logout for nothing).
      await new Promise((resolve) => setTimeout(resolve, COOKIE_GRACE_MS));
      if (this.stopped) return;
      reason = await this._probe();
      if (!reason && !this.stopped) {
        this.forbiddenTries = 2;
        this._connect();
        return;
      }
    } else if (code !== FORBIDDEN_CLOSE) {
      reason = await this._probe();
    }
    if (this.stopped) return;
    this._final(FORBIDDEN_CLOSE, reason);
  }

  _final(code, reason) {
    this.stopped = true;
    this.forbiddenTries = 0;
    this._setState(State.CLOSED, { code, reason });
  }

  // The caller's reason to give up ("logged-out"), or "" when there is none.
  async _probe() {
    if (!this.options.probe) return "";
    try {
      return (await this.options.probe()) || "";
    } catch {
      return "";
    }
  }

  async _scheduleRetry(code, opened) {
    if (this.stopped) return;
    if (!opened) {
      this.failedHandshakes += 1;
      // A refused handshake looks like any network failure (1006): ask the
      // caller whether there is a reason to give up, now and then.
      if (this.options.probe && this.failedHandshakes % 2 === 0) {
        const reason = await this._probe();
        if (reason && !this.stopped) {
          this._final(code, reason);
          return;
        }
      }
    }
    if (this.stopped) return;
    let delay;
    if (code in DELAY_FOR_CODE) {
      delay = Math.round(DELAY_FOR_CODE[code]());
    } else {
      const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
      // "Equal jitter": half fixed, half random, so a crowd of clients that
      // lost one server do not all come back in the same instant.
      delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      this.attempt += 1;
    }
    this._setState(State.RECONNECTING, { delay, code, until: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this._connect();
    }, delay);
  }

  _heard() {
    this.missedPongs = 0;
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  _ping() {
    if (this.pongTimer !== null) return; // one ping in flight at a time
    this.send({ type: "ping" });
    this._checkAlive(PONG_TIMEOUT_MS);
  }

  // Expect a frame within `timeout` ms; a second miss in a row ends the
  // socket. The browser saying it went offline asks at once.
  _checkAlive(timeout) {
    if (!this.isOpen) return;
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      this.missedPongs += 1;
      if (this.missedPongs >= MISSED_PONGS_DEAD) this._dead();
      else this._ping();
    }, timeout);
    if (timeout < PONG_TIMEOUT_MS) this.send({ type: "ping" });
  }

  // Nothing heard (not even a pong): the network is gone without a close
  // event. Drop the socket and reconnect.
  _dead() {
    const ws = this.ws;
    if (!ws) return;
    this._detach(ws);
    ws.close(4000);
    this.ws = null;
    this._clearTimers();
    this._scheduleRetry(1006, true);
  }

  _detach(ws) {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
  }

  _clearTimers() {
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.stableTimer);
    clearTimeout(this.pongTimer);
    this.connectTimer = this.pingTimer = this.stableTimer = this.pongTimer = null;
    this.missedPongs = 0;
  }
}
