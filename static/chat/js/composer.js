// Writing messages: the textarea (Enter sends, Shift+Enter is a newline)
// and the outbox, which keeps every sent text until the server's echo (or
// an error naming its client_id) arrives, so nothing typed is lost across a
// reconnect, a room switch or a reload. Retries reuse the client_id: the
// server stores a message once per client_id (PROTOCOL.md, message.send).
// Failed messages are retried oldest first, one at a time, so a retry never
// posts them out of order; "Retry all" appears when several failed.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { avatar } from "./render.js";

export const MAX_BODY = 4000; // code points, after stripping

// Python's str.strip() and JavaScript's trim() differ on a few exotic
// characters; the server's answer (too_long) settles any disagreement.
export const codePoints = (text) => [...text].length;

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  // randomUUID needs a secure context; plain http on a LAN address is not one.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function button(label, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `link ${className}`;
  element.dataset.role = className;
  element.textContent = label;
  element.addEventListener("click", onClick);
  return element;
}

export class Outbox {
  /**
   * list: the <ol> showing pending messages; me: the reader's UserRef;
   * send(frame) → bool; storageKey: where pending texts survive a reload;
   * onEdit(body): put a failed text back into the composer; onFail(text):
   * say that a message failed; onFocusLost(): focus was on a button that
   * went away and has nowhere better to go.
   */
  constructor({ list, me, send, storageKey, onEdit, onFail, onFocusLost }) {
    this.list = list;
    this.me = me;
    this.sendFrame = send;
    this.storageKey = storageKey;
    this.onEdit = onEdit;
    this.onFail = onFail || (() => {});
    this.onFocusLost = onFocusLost || (() => {});
    this.connected = false;
    // client_id -> {client_id, body, failed, queued}; insertion order is
    // the order the reader wrote them in.
    this.pending = new Map();
    this.inFlight = null; // the client_id of the retry being sent
    for (const item of this._load()) this.pending.set(item.client_id, { ...item, queued: false });
    this.render();
  }

  has(clientId) {
    return this.pending.has(clientId);
  }

  get size() {
    return this.pending.size;
  }

  get failedCount() {
    return [...this.pending.values()].filter((item) => item.failed).length;
  }

  add(body) {
    const item = { client_id: newClientId(), body, failed: null, queued: false };
    this.pending.set(item.client_id, item);
    this._send(item);
    this._changed();
  }

  /** The echo arrived (or history holds it): forget the text. */
  resolve(clientId) {
    if (!clientId || !this.pending.delete(clientId)) return false;
    if (this.inFlight === clientId) {
      this.inFlight = null;
      this._pump();
    }
    this._changed();
    return true;
  }

  /** The server refused it: keep it, say why, offer retry and edit. */
  fail(clientId, detail) {
    const item = this.pending.get(clientId);
    if (!item) return false;
    item.failed = detail || gettext("Not sent.");
    item.queued = false;
    if (this.inFlight === clientId) {
      // Still refused: the rest of the queue waits for the reader, in order.
      this.inFlight = null;
      for (const other of this.pending.values()) {
        if (other.queued) {
          other.queued = false;
          other.failed = other.failed || item.failed;
        }
      }
    }
    this.onFail(interpolate(gettext("A message was not sent: %(reason)s"), { reason: item.failed }));
    this._changed();
    return true;
  }

  /** Retry failed messages (all of them, or those given), oldest first. */
  retry(clientIds = null) {
    for (const item of this.pending.values()) {
      if (item.failed && (clientIds === null || clientIds.includes(item.client_id))) {
        item.failed = null;
        item.queued = true;
      }
    }
    this._pump();
    this._changed();
  }

  /** The socket opened or went away: pending texts say what they wait for. */
  setConnected(connected) {
    this.connected = connected;
    if (!connected) this.inFlight = null;
    this.render();
  }

  /** After a (re)connect: send again whatever is not known to have failed. */
  resendAll() {
    for (const item of this.pending.values()) if (!item.failed && !item.queued) this._send(item);
    this._pump();
    this.render();
  }

  // Send the oldest queued retry, unless one is already on its way.
  _pump() {
    if (this.inFlight !== null || !this.connected) return;
    const next = [...this.pending.values()].find((item) => item.queued);
    if (!next) return;
    if (this._send(next)) {
      next.queued = false;
      this.inFlight = next.client_id;
    }
  }

  _send(item) {
    return this.sendFrame({ type: "message.send", body: item.body, client_id: item.client_id });
  }

  _load() {
    try {
      const items = JSON.parse(sessionStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(items)
        ? items.filter((item) => typeof item.body === "string" && typeof item.client_id === "string")
        : [];
    } catch {
      return [];
    }
  }

  _changed() {
    try {
      const items = [...this.pending.values()].map(({ client_id, body, failed }) => ({ client_id, body, failed }));
      if (items.length) sessionStorage.setItem(this.storageKey, JSON.stringify(items));
      else sessionStorage.removeItem(this.storageKey);
    } catch {
      // Storage full or disabled: the outbox still works for this page.
    }
    this.render();
  }

  _statusText(item) {
    if (item.failed) return interpolate(gettext("Not sent: %(reason)s"), { reason: item.failed });
    if (item.queued) return gettext("Waiting to be retried…");
    if (!this.connected) return gettext("Not sent yet: waiting for the connection…");
    return gettext("Sending…");
  }

  _item(item) {
    const element = document.createElement("li");
    element.className = "msg own pending";
    element.dataset.clientId = item.client_id;
    element.tabIndex = -1;
    const row = document.createElement("div");
    row.className = "msg-row";
    const main = document.createElement("div");
    main.className = "msg-main";
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const status = document.createElement("span");
    status.className = item.failed ? "pending-status failed" : "pending-status";
    status.textContent = this._statusText(item);
    meta.append(status);
    if (item.failed) {
      meta.append(
        " ",
        button(gettext("Retry"), "retry", () => this.retry([item.client_id])),
        " ",
        button(gettext("Edit"), "edit", () => {
          this.pending.delete(item.client_id);
          this._changed();
          this.onEdit(item.body);
        }),
      );
    }
    const body = document.createElement("p");
    body.className = "msg-body";
    body.textContent = item.body;
    main.append(meta, body);
    row.append(avatar(this.me), main);
    element.append(row);
    return element;
  }

  render() {
    // Keep focus on the same control (or its message) across the rebuild.
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const focusedItem = focused && focused.closest("[data-client-id]")?.dataset.clientId;
    const focusedRole = focused && focused.dataset.role;
    const items = [...this.pending.values()].map((item) => this._item(item));
    const failed = this.failedCount;
    if (failed > 1) {
      const all = document.createElement("li");
      all.className = "retry-all";
      all.append(
        button(
          interpolate(ngettext("Retry %(count)s message", "Retry all %(count)s messages", failed), { count: failed }),
          "retry-all",
          () => this.retry(),
        ),
      );
      items.push(all);
    }
    this.list.replaceChildren(...items);
    if (!focused) return;
    const byRole = (scope) => (focusedRole ? scope.querySelector(`[data-role="${focusedRole}"]`) : null);
    const again = focusedItem ? this.list.querySelector(`[data-client-id="${CSS.escape(focusedItem)}"]`) : null;
    const target = (again && (byRole(again) || again)) || byRole(this.list) || this.list.querySelector("button");
    if (target) target.focus();
    else this.onFocusLost();
  }
}

/**
 * The form: submit(body) is called with the text to send; it returns false
 * to keep the text in the box. onInput(hasText) feeds the typing sender.
 */
export function wireComposer({ form, input, counter, submit, onInput }) {
  const autosize = () => {
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  // Near the limit the reader sees how much is left, before sending fails.
  const count = () => {
    if (!counter) return;
    const left = MAX_BODY - codePoints(input.value.trim());
    counter.hidden = left > 500;
    counter.classList.toggle("over", left < 0);
    counter.textContent =
      left >= 0
        ? interpolate(ngettext("%(count)s character left", "%(count)s characters left", left), { count: left })
        : interpolate(ngettext("%(count)s character too many", "%(count)s characters too many", -left), {
            count: -left,
          });
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    count();
    onInput(input.value.trim() !== "");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (submit(input.value) !== false) {
      input.value = "";
      autosize();
      count();
    }
    input.focus();
  });
  return {
    /** Put text back (a failed message the reader wants to edit). */
    restore(text) {
      input.value = input.value ? `${text}\n${input.value}` : text;
      autosize();
      count();
      input.focus();
    },
    /** Swap the box's text (a room's draft when switching rooms). */
    replace(text) {
      input.value = text;
      autosize();
      count();
    },
    get value() {
      return input.value;
    },
    setEnabled(enabled) {
      input.disabled = !enabled;
      form.querySelector("button[type=submit]").disabled = !enabled;
    },
  };
}
