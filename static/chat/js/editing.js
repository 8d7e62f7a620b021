// Editing one's own message in place: "Edit" among its actions, or the Up
// arrow in an empty composer (as Slack and Zulip do) for the newest one.
// Enter saves (message.edit), Shift+Enter is a new line, Escape cancels;
// the list shows the new body when the room's `message.edited` arrives.

import { codePoints, MAX_BODY } from "./composer.js";
import { gettext, interpolate } from "./i18n.js";
import { showNotice } from "./notice.js";

export class Editor {
  /** view: MessageListView; send(frame): the room socket's; composer: its <textarea>. */
  constructor({ view, send, composer }) {
    this.view = view;
    this.send = send;
    this.composer = composer;
    this.open = null; // {message, element, form}
    this.count = 0;
    composer.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowUp" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
      if (composer.value !== "" || event.isComposing) return;
      const message = this.lastOwn?.();
      if (!message) return;
      event.preventDefault();
      this.start(message);
    });
  }

  /** Edit `message` in place (its element must be on screen). */
  start(message) {
    this.cancel();
    const element = this.view.element(message.seq);
    const body = element && element.querySelector(".msg-body");
    if (!body) return;
    const form = document.createElement("form");
    form.className = "msg-editor";
    const input = document.createElement("textarea");
    input.className = "msg-editor-input";
    input.value = message.body;
    input.rows = Math.min(8, message.body.split("\n").length + 1);
    input.setAttribute("aria-label", gettext("Edit your message"));
    const hint = document.createElement("p");
    hint.className = "msg-editor-hint muted small";
    hint.textContent = gettext("Enter to save, Escape to cancel");
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "btn btn-small";
    save.textContent = gettext("Save");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link";
    cancel.textContent = gettext("Cancel");
    form.append(input, hint, save, " ", cancel);
    body.hidden = true;
    body.after(form);
    this.open = { message, element, body, form };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.cancel({ refocus: true });
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    cancel.addEventListener("click", () => this.cancel({ refocus: true }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save(input.value);
    });
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  save(text) {
    if (!this.open) return;
    const body = text.trim();
    const { message } = this.open;
    if (!body) {
      showNotice(gettext("A message cannot be empty; delete it instead."), { kind: "error" });
      return;
    }
    if (codePoints(body) > MAX_BODY) {
      showNotice(interpolate(gettext("At most %(max)s characters."), { max: MAX_BODY }), { kind: "error" });
      return;
    }
    if (body !== message.body) {
      this.count += 1;
      const sent = this.send({ type: "message.edit", id: message.id, body, client_id: `edit-${message.id}-${this.count}` });
      if (!sent) {
        showNotice(gettext("Not connected; your edit was not saved."), { kind: "error" });
        return;
      }
    }
    this.cancel({ refocus: true });
  }

  /** Close the editor (the message shows its body again). */
  cancel({ refocus = false } = {}) {
    if (!this.open) return;
    const { form, body } = this.open;
    form.remove();
    body.hidden = false;
    this.open = null;
    if (refocus) this.composer.focus();
  }
}
