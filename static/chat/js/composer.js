// Writing messages: the textarea (Enter sends, Shift+Enter is a newline)
// and the outbox, which keeps every sent text until the server's echo (or
// an error naming its client_id) arrives, so nothing typed is lost across a
// reconnect or a reload. Retries reuse the client_id: the server stores a
// message once per client_id (PROTOCOL.md, message.send).

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

export class Outbox {
  /**
   * list: the <ol> showing pending messages; me: the reader's UserRef;
   * send(frame) → bool; storageKey: where pending texts survive a reload;
   * onEdit(body): put a failed text back into the composer.
   */
  constructor({ list, me, send, storageKey, onEdit }) {
    this.list = list;
    this.me = me;
    this.sendFrame = send;
    this.storageKey = storageKey;
    this.onEdit = onEdit;
    this.pending = new Map(); // client_id -> {client_id, body, failed}
    for (const item of this._load()) this.pending.set(item.client_id, item);
    this.render();
  }

  has(clientId) {
    return this.pending.has(clientId);
  }

  get size() {
    return this.pending.size;
  }

  add(body) {
    const item = { client_id: newClientId(), body, failed: null };
    this.pending.set(item.client_id, item);
    this._send(item);
    this._changed();
  }

  /** The echo arrived (or history holds it): forget the text. */
  resolve(clientId) {
    if (!clientId || !this.pending.delete(clientId)) return false;
    this._changed();
    return true;
  }

  /** The server refused it: keep it, say why, offer retry and edit. */
  fail(clientId, detail) {
    const item = this.pending.get(clientId);
    if (!item) return false;
    item.failed = detail || "Not sent.";
    this._changed();
    return true;
  }

  /** After a (re)connect: send again whatever is not known to have failed. */
  resendAll() {
    for (const item of this.pending.values()) if (!item.failed) this._send(item);
    this.render();
  }

  _send(item) {
    this.sendFrame({ type: "message.send", body: item.body, client_id: item.client_id });
  }

  _load() {
    try {
      const items = JSON.parse(sessionStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(items) ? items.filter((item) => typeof item.body === "string" && typeof item.client_id === "string") : [];
    } catch {
      return [];
    }
  }

  _changed() {
    try {
      if (this.pending.size) sessionStorage.setItem(this.storageKey, JSON.stringify([...this.pending.values()]));
      else sessionStorage.removeItem(this.storageKey);
    } catch {
      // Storage full or disabled: the outbox still works for this page.
    }
    this.render();
  }

  render() {
    const items = [...this.pending.values()].map((item) => {
      const element = document.createElement("li");
      element.className = "msg own pending";
      const row = document.createElement("div");
      row.className = "msg-row";
      const main = document.createElement("div");
      main.className = "msg-main";
      const meta = document.createElement("div");
      meta.className = "msg-meta";
      const status = document.createElement("span");
      status.className = item.failed ? "pending-status failed" : "pending-status";
      status.textContent = item.failed ? `Not sent: ${item.failed}` : "Sending…";
      meta.append(status);
      if (item.failed) {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "link";
        retry.textContent = "Retry";
        retry.addEventListener("click", () => {
          item.failed = null;
          this._send(item);
          this._changed();
        });
        const edit = document.createElement("button");
        edit.type = "button";
        edit.className = "link";
        edit.textContent = "Edit";
        edit.addEventListener("click", () => {
          this.pending.delete(item.client_id);
          this._changed();
          this.onEdit(item.body);
        });
        meta.append(" ", retry, " ", edit);
      }
      const body = document.createElement("p");
      body.className = "msg-body";
      body.textContent = item.body;
      main.append(meta, body);
      row.append(avatar(this.me), main);
      element.append(row);
      return element;
    });
    this.list.replaceChildren(...items);
  }
}

/**
 * The form: submit(body) is called with the text to send; it returns false
 * to keep the text in the box. onInput(hasText) feeds the typing sender.
 */
export function wireComposer({ form, input, submit, onInput }) {
  const autosize = () => {
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    onInput(input.value.trim() !== "");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (submit(input.value) !== false) {
      input.value = "";
      autosize();
    }
    input.focus();
  });
  return {
    /** Put text back (a failed message the reader wants to edit). */
    restore(text) {
      input.value = input.value ? `${text}\n${input.value}` : text;
      autosize();
      input.focus();
    },
    setEnabled(enabled) {
      input.disabled = !enabled;
      form.querySelector("button[type=submit]").disabled = !enabled;
    },
  };
}
