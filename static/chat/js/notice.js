// Short notices (errors, confirmations) in a polite live region at the top
// of the page, clear of the composer and its Send button.

import { gettext } from "./i18n.js";

const SHOW_MS = 8000;

export function showNotice(text, { kind = "info", timeout = SHOW_MS } = {}) {
  const region = document.getElementById("notices");
  if (!region) return;
  const item = document.createElement("p");
  item.className = `notice notice-${kind}`;
  const words = document.createElement("span");
  words.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close link";
  close.setAttribute("aria-label", gettext("Dismiss"));
  close.textContent = "×";
  close.addEventListener("click", () => {
    // Focus was on the button: leave it somewhere sensible, not on <body>.
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    const target = next && next.querySelector("button");
    const fallback = document.getElementById("composer-input") || document.getElementById("main");
    (target || fallback)?.focus();
  });
  item.append(words, close);
  region.append(item);
  // Keep the pile short: old notices go first.
  while (region.children.length > 3) region.firstElementChild.remove();
  if (timeout) {
    setTimeout(() => {
      if (!item.contains(document.activeElement)) item.remove();
    }, timeout);
  }
}

/** Announce to screen readers only (new messages, state changes). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region || !text) return;
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  while (region.children.length > 5) region.firstElementChild.remove();
  setTimeout(() => line.remove(), 10_000);
}
