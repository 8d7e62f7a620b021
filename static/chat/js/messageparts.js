// What a message shows besides its name, time and body (render.js builds
// those): the body as safe Markdown, "(edited)" with its time and, on
// click, every version; and the reactions under it, a small picker to add
// one, and who reacted (on hover and on focus). Every part is built from
// DOM nodes with textContent; user text is never parsed as markup (the
// Markdown goes through markdown.js).
//
// render.js calls renderBody(message) and each function of messageParts
// (message, element, context); room.js gives the context: me, react(message,
// emoji, added), nameOf(userId).

import { getJSON, failureText } from "./api.js";
import { gettext, interpolate } from "./i18n.js";
import { markdownFragment } from "./markdown.js";
import { absoluteTime, relativeTime } from "./time.js";

// The picker's emoji: the ones people use most in chats.
export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "✅", "🔥"];

/** The body's nodes: Markdown, sanitized (markdown.js). */
export function bodyNodes(message) {
  return markdownFragment(message.body);
}

// --- "(edited)" and the versions --------------------------------------------------

function closePopovers(except = null) {
  for (const open of document.querySelectorAll(".msg-popover")) {
    if (open !== except) {
      open.previousElementSibling?.setAttribute("aria-expanded", "false");
      open.remove();
    }
  }
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.querySelector(".msg-popover")) {
    const opener = document.querySelector(".msg-popover")?.previousElementSibling;
    closePopovers();
    opener?.focus();
  }
});
document.addEventListener("click", (event) => {
  if (!event.target.closest(".msg-popover, .msg-edited, .reaction-add")) closePopovers();
});

function popover(button, className, label) {
  const box = document.createElement("div");
  box.className = `msg-popover ${className}`;
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", label);
  button.after(box);
  button.setAttribute("aria-expanded", "true");
  return box;
}

async function showVersions(message, button) {
  if (button.getAttribute("aria-expanded") === "true") {
    closePopovers();
    return;
  }
  closePopovers();
  const box = popover(button, "msg-versions", gettext("Earlier versions"));
  box.textContent = gettext("Loading…");
  const result = await getJSON(`/api/messages/${message.id}/edits/`);
  if (!box.isConnected) return;
  if (!result.ok || !Array.isArray(result.data?.versions)) {
    box.textContent = failureText(result);
    return;
  }
  const list = document.createElement("ol");
  list.className = "versions";
  for (const version of result.data.versions) {
    const item = document.createElement("li");
    const when = document.createElement("time");
    when.dateTime = version.at;
    when.textContent = absoluteTime(new Date(version.at));
    const text = document.createElement("div");
    text.className = "version-body";
    text.textContent = version.body;
    item.append(when, text);
    list.append(item);
  }
  box.replaceChildren(list);
}

function editedPart(message, element) {
  if (!message.edited_at || message.deleted) return;
  const at = new Date(message.edited_at);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "msg-edited link";
  button.tabIndex = -1; // reached like the message's actions (listnav.js)
  button.setAttribute("aria-expanded", "false");
  button.title = interpolate(gettext("Edited %(time)s"), { time: absoluteTime(at) });
  button.setAttribute(
    "aria-label",
    interpolate(gettext("Edited %(time)s; show every version"), { time: relativeTime(at) }),
  );
  button.textContent = gettext("(edited)");
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    showVersions(message, button);
  });
  const meta = element.querySelector(".msg-meta");
  (meta || element).append(" ", button);
}

// --- Reactions ------------------------------------------------------------------------

function whoText(reaction, context) {
  const names = reaction.users.map((id) => (id === context.me.id ? gettext("you") : context.nameOf(id)));
  return interpolate(gettext("%(emoji)s by %(names)s"), { emoji: reaction.emoji, names: names.join(", ") });
}

function reactionButton(message, reaction, context) {
  const mine = reaction.users.includes(context.me.id);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "reaction";
  button.tabIndex = -1;
  button.dataset.emoji = reaction.emoji;
  button.setAttribute("aria-pressed", String(mine));
  const who = whoText(reaction, context);
  button.title = who;
  button.setAttribute("aria-label", who);
  const emoji = document.createElement("span");
  emoji.className = "reaction-emoji";
  emoji.textContent = reaction.emoji;
  const count = document.createElement("span");
  count.className = "reaction-count";
  count.textContent = String(reaction.count);
  // Shown on hover and focus (CSS), for those who do not get the title.
  const tip = document.createElement("span");
  tip.className = "reaction-who";
  tip.setAttribute("aria-hidden", "true");
  tip.textContent = who;
  button.append(emoji, count, tip);
  button.addEventListener("click", () => context.react(message, reaction.emoji, !mine));
  return button;
}

function showPicker(message, button, context) {
  if (button.getAttribute("aria-expanded") === "true") {
    closePopovers();
    return;
  }
  closePopovers();
  const box = popover(button, "reaction-picker", gettext("Add a reaction"));
  for (const emoji of COMMON_EMOJI) {
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "picker-emoji";
    choice.textContent = emoji;
    choice.setAttribute("aria-label", interpolate(gettext("React with %(emoji)s"), { emoji }));
    choice.addEventListener("click", () => {
      closePopovers();
      const held = message.reactions?.find((r) => r.emoji === emoji);
      if (!held || !held.users.includes(context.me.id)) context.react(message, emoji, true);
      button.focus();
    });
    box.append(choice);
  }
  box.querySelector("button")?.focus();
}

function reactionsPart(message, element, context) {
  if (message.deleted || !context.react) return;
  const bar = document.createElement("div");
  bar.className = "reactions";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", gettext("Reactions"));
  for (const reaction of message.reactions || []) bar.append(reactionButton(message, reaction, context));
  const add = document.createElement("button");
  add.type = "button";
  add.className = "reaction-add link";
  add.tabIndex = -1;
  add.setAttribute("aria-expanded", "false");
  add.setAttribute("aria-label", gettext("Add a reaction"));
  add.title = gettext("Add a reaction");
  add.textContent = "☺+";
  add.addEventListener("click", (event) => {
    event.stopPropagation();
    showPicker(message, add, context);
  });
  bar.append(add);
  const main = element.querySelector(".msg-main") || element;
  main.append(bar);
}

export const parts = [editedPart, reactionsPart];
