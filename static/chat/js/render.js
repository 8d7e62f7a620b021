// DOM building for chat: avatars, message bodies, the message list.
// User text only ever reaches the page through textContent or attributes
// set from parsed URLs, never parsed as markup.

import { dayKey, dayLabel, timeElement } from "./time.js";

const LINK_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}]+$/;

/** A stable hue (0–359) from a username, so one user keeps one color. */
export function hueFor(username) {
  let hash = 0;
  for (const ch of username) hash = (Math.imul(hash, 31) + ch.codePointAt(0)) | 0;
  return Math.abs(hash) % 360;
}

/** One or two letters standing for a user. */
export function initials(user) {
  const words = (user.display_name || user.username).trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0] || "?"];
  const picked = letters.map((word) => [...word][0]);
  if (words.length === 1) {
    const chars = [...words[0]];
    if (chars.length > 1) picked.push(chars[1]);
  }
  return picked.join("").toUpperCase().slice(0, 2);
}

export function avatar(user) {
  const element = document.createElement("span");
  element.className = "avatar";
  element.setAttribute("aria-hidden", "true");
  element.style.setProperty("--avatar-hue", String(hueFor(user.username)));
  element.textContent = initials(user);
  return element;
}

/** The name others see, with the username in a tooltip. */
export function userName(user, className = "author") {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = user.display_name || user.username;
  element.title = `@${user.username}`;
  return element;
}

function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** The body as text nodes, with http(s) URLs turned into plain links. */
export function bodyFragment(body) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of body.matchAll(LINK_RE)) {
    let candidate = match[0];
    const trailing = candidate.match(TRAILING_PUNCTUATION);
    if (trailing) candidate = candidate.slice(0, -trailing[0].length);
    const url = safeUrl(candidate);
    if (!url) continue;
    fragment.append(document.createTextNode(body.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = url.href;
    link.rel = "noopener noreferrer nofollow";
    link.target = "_blank";
    link.textContent = candidate;
    fragment.append(link);
    last = match.index + candidate.length;
  }
  fragment.append(document.createTextNode(body.slice(last)));
  return fragment;
}

function fillBody(element, message) {
  element.replaceChildren();
  if (message.deleted) {
    element.classList.add("tombstone");
    element.textContent = "This message was deleted.";
  } else {
    element.append(bodyFragment(message.body));
  }
}

/**
 * The <li> of one message. `isOwn(message)` marks the reader's own,
 * `canDelete(message)` says whether to offer a delete button, and
 * `onDelete(message, button)` runs when it is used.
 */
export function messageElement(message, { isOwn, canDelete, onDelete }) {
  const item = document.createElement("li");
  item.className = "msg";
  item.id = `msg-${message.seq}`;
  item.dataset.seq = String(message.seq);
  if (isOwn(message)) item.classList.add("own");

  const row = document.createElement("div");
  row.className = "msg-row";
  const main = document.createElement("div");
  main.className = "msg-main";
  const meta = document.createElement("div");
  meta.className = "msg-meta";
  meta.append(userName(message.user), " ", timeElement(new Date(message.created_at)));
  const body = document.createElement("p");
  body.className = "msg-body";
  fillBody(body, message);
  main.append(meta, body);
  row.append(avatar(message.user), main);
  item.append(row);

  if (!message.deleted && canDelete(message)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "msg-delete link";
    button.textContent = "Delete";
    button.setAttribute("aria-label", `Delete message from ${message.user.display_name || message.user.username}`);
    button.addEventListener("click", () => onDelete(message, button));
    meta.append(button);
  }
  if (message.deleted) item.classList.add("deleted");
  return item;
}

/**
 * The list of messages on screen, kept in seq order whatever order they
 * arrive in, with a day separator above the first message of each day.
 */
export class MessageListView {
  constructor(list, scroller, options) {
    this.list = list;
    this.scroller = scroller;
    this.options = options;
    this.nodes = new Map(); // seq -> <li>
    this.order = []; // held seqs, ascending
  }

  has(seq) {
    return this.nodes.has(seq);
  }

  nearBottom(slack = 80) {
    const { scrollTop, scrollHeight, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight < slack;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  _indexFor(seq) {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.order[mid] < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Insert or replace messages; returns how many were new. */
  put(messages) {
    let added = 0;
    for (const message of messages) {
      const element = messageElement(message, this.options);
      const existing = this.nodes.get(message.seq);
      if (existing) {
        existing.replaceWith(element);
        this.nodes.set(message.seq, element);
        this._separate(message.seq);
        continue;
      }
      const index = this._indexFor(message.seq);
      const next = this.nodes.get(this.order[index]);
      this.list.insertBefore(element, next || null);
      this.order.splice(index, 0, message.seq);
      this.nodes.set(message.seq, element);
      this._separate(message.seq);
      if (next) this._separate(this.order[index + 1]);
      added += 1;
    }
    return added;
  }

  /** Insert older messages at the top without moving what the reader sees. */
  prepend(messages) {
    const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
    const added = this.put(messages);
    this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    return added;
  }

  markDeleted(message) {
    if (this.nodes.has(message.seq)) this.put([message]);
  }

  // Give the message at seq a day separator if it starts a new day.
  _separate(seq) {
    const element = this.nodes.get(seq);
    if (!element) return;
    const index = this._indexFor(seq);
    const previous = index > 0 ? this.nodes.get(this.order[index - 1]) : null;
    const date = new Date(element.querySelector("time").dateTime);
    const previousDate = previous ? new Date(previous.querySelector("time").dateTime) : null;
    const needed = !previousDate || dayKey(previousDate) !== dayKey(date);
    const current = element.querySelector(":scope > .day-sep");
    if (!needed) {
      if (current) current.remove();
      return;
    }
    if (current) return;
    const separator = document.createElement("div");
    separator.className = "day-sep";
    separator.setAttribute("role", "separator");
    const label = document.createElement("span");
    label.textContent = dayLabel(date);
    separator.append(label);
    element.prepend(separator);
  }
}
