// How one message looks: avatars, names, the body, the actions, and the list
// that keeps them in seq order. User text only ever reaches the page through
// textContent or attributes set from parsed URLs, never parsed as markup.
//
// The places later features plug into (one module renders messages):
//  - renderBody(message): the body's nodes: safe Markdown (markdown.js,
//    through messageparts.js).
//  - messageParts: functions (message, element, context) called after the
//    body is built, to add parts under it (an "edited" marker, reactions).
//  - context.actions(message): the buttons of a message ([{name, label,
//    run(message, button)}]); app code decides which apply (delete today;
//    edit and react later). They are reachable from the focused message
//    (listnav.js) and shown on hover, focus and on touch screens.
//  - context.author(message): an element for the author's name instead of
//    the plain one, or null (a button opening a direct message, directs.js).

import { gettext, interpolate } from "./i18n.js";
import { bodyNodes, parts } from "./messageparts.js";
import { dayKey, dayLabel, timeElement } from "./time.js";

const LINK_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}]+$/;
// Messages of one person closer together than this share one header.
const GROUP_MS = 5 * 60 * 1000;

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

export const shownName = (user) => user.display_name || user.username;

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
  element.textContent = shownName(user);
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

/** The nodes of a message's body: safe Markdown (messageparts.js). */
export function renderBody(message) {
  return bodyNodes(message);
}

/** Parts added under the body: functions (message, element, context). */
export const messageParts = [...parts];

function fillBody(element, message) {
  element.replaceChildren();
  if (message.deleted) {
    element.classList.add("tombstone");
    element.textContent = gettext("This message was deleted.");
  } else {
    element.append(renderBody(message));
  }
}

function actionBar(message, context) {
  const actions = message.deleted || !context.actions ? [] : context.actions(message);
  if (!actions.length) return null;
  const bar = document.createElement("div");
  bar.className = "msg-actions";
  for (const action of actions) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `msg-action link msg-${action.name}`;
    button.dataset.action = action.name;
    // Only the focused message's actions are Tab stops (listnav.js).
    button.tabIndex = -1;
    button.textContent = action.label;
    if (action.ariaLabel) button.setAttribute("aria-label", action.ariaLabel);
    button.addEventListener("click", () => action.run(message, button));
    bar.append(button);
  }
  return bar;
}

/**
 * The <li> of one message. context: isOwn(message) marks the reader's own,
 * actions(message) lists its buttons.
 */
export function messageElement(message, context) {
  const item = document.createElement("li");
  item.className = "msg";
  item.id = `msg-${message.seq}`;
  item.dataset.seq = String(message.seq);
  item.dataset.user = String(message.user.id);
  item.tabIndex = -1;
  if (context.isOwn(message)) item.classList.add("own");
  if (message.deleted) item.classList.add("deleted");

  const row = document.createElement("div");
  row.className = "msg-row";
  const main = document.createElement("div");
  main.className = "msg-main";
  const meta = document.createElement("div");
  meta.className = "msg-meta";
  const author = context.author ? context.author(message) : null;
  meta.append(author || userName(message.user), " ", timeElement(new Date(message.created_at)));
  // A <div>: Markdown makes paragraphs, lists, quotes and code blocks.
  const body = document.createElement("div");
  body.className = "msg-body";
  fillBody(body, message);
  main.append(meta, body);
  row.append(avatar(message.user), main);
  item.append(row);
  for (const part of messageParts) part(message, item, context);
  const bar = actionBar(message, context);
  if (bar) row.append(bar);
  return item;
}

/**
 * The list of messages on screen, kept in seq order whatever order they
 * arrive in, with a day separator above the first message of each day and
 * consecutive messages of one person grouped under one name.
 */
export class MessageListView {
  constructor(list, scroller, context) {
    this.list = list;
    this.scroller = scroller;
    this.context = context;
    this.nodes = new Map(); // seq -> <li>
    this.order = []; // held seqs, ascending
    this.messages = new Map(); // seq -> message, for grouping
    this.onReplace = null; // (old, new) when a message's element is rebuilt
  }

  has(seq) {
    return this.nodes.has(seq);
  }

  clear() {
    this.list.replaceChildren();
    this.nodes.clear();
    this.messages.clear();
    this.order = [];
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
      const element = messageElement(message, this.context);
      const existing = this.nodes.get(message.seq);
      this.messages.set(message.seq, message);
      if (existing) {
        const hadFocus = existing.contains(document.activeElement);
        existing.replaceWith(element);
        this.nodes.set(message.seq, element);
        this._decorate(message.seq);
        if (this.onReplace) this.onReplace(existing, element);
        if (hadFocus) element.focus({ preventScroll: true });
        continue;
      }
      const index = this._indexFor(message.seq);
      const next = this.nodes.get(this.order[index]);
      this.list.insertBefore(element, next || null);
      this.order.splice(index, 0, message.seq);
      this.nodes.set(message.seq, element);
      this._decorate(message.seq);
      if (next) this._decorate(this.order[index + 1]);
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

  element(seq) {
    return this.nodes.get(seq) || null;
  }

  // Day separator and grouping of the message at seq, from its predecessor.
  _decorate(seq) {
    const element = this.nodes.get(seq);
    if (!element) return;
    const index = this._indexFor(seq);
    const message = this.messages.get(seq);
    const previous = index > 0 ? this.messages.get(this.order[index - 1]) : null;
    const date = new Date(message.created_at);
    const previousDate = previous ? new Date(previous.created_at) : null;
    const newDay = !previousDate || dayKey(previousDate) !== dayKey(date);
    const grouped =
      !newDay &&
      previous.user.id === message.user.id &&
      previous.seq === message.seq - 1 &&
      date - previousDate < GROUP_MS;
    element.classList.toggle("continued", grouped);
    const current = element.querySelector(":scope > .day-sep");
    if (!newDay) {
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

/** "Delete message from Ada" and the like, for an action's aria-label. */
export function actionLabel(format, message) {
  return interpolate(format, { name: shownName(message.user) });
}
