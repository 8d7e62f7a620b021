// `@` autocomplete in the composer: typing @ and the start of a username
// offers the matching people (case-insensitive prefix of the username or
// the shown name) from those the page knows in this room: who is here now,
// the authors of the messages held, the other person of a direct room.
//
// The ARIA combobox pattern: the textarea is the combobox (aria-expanded,
// aria-controls, aria-activedescendant), the list a listbox of options.
// Up and Down move, Enter or Tab accept (inserting `@username `), Escape
// dismisses. While the list is closed Enter sends, as always: the picker's
// keydown listener runs first (the form's capture phase) and lets every key
// through unless the list is open.

import { interpolate, ngettext } from "./i18n.js";
import { avatar, shownName } from "./render.js";

const MAX_SHOWN = 8;
// The @word just before the caret: the character before @ is not a letter,
// digit or _ (PROTOCOL.md's mention rule), the word has username characters.
const TOKEN = /(^|[^\p{L}\p{N}_])@([\p{L}\p{N}_.+-]+)$/u;

export class MentionPicker {
  /**
   * input: the composer's <textarea> (role=combobox); list: the <ul
   * role=listbox>; candidates(): the UserRefs one may mention here;
   * status: a polite live element saying how many match (optional).
   */
  constructor({ input, list, candidates, status }) {
    this.input = input;
    this.list = list;
    this.candidates = candidates;
    this.status = status;
    this.matches = [];
    this.index = -1;
    this.token = null; // {start, end, prefix} of the @word being completed
    this.dismissed = null; // the token text Escape closed the list for
    input.form.addEventListener("keydown", (event) => this.keydown(event), true);
    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    input.addEventListener("blur", () => this.close());
    // A click on an option must not take focus from the textarea first.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.accept(Number(option.dataset.index));
    });
  }

  get isOpen() {
    return this.matches.length > 0;
  }

  /** The @word at the caret, or null. */
  currentToken() {
    const { value, selectionStart, selectionEnd } = this.input;
    if (selectionStart !== selectionEnd) return null;
    const match = value.slice(0, selectionStart).match(TOKEN);
    if (!match) return null;
    const prefix = match[2];
    return { start: selectionStart - prefix.length - 1, end: selectionStart, prefix };
  }

  update() {
    const token = this.currentToken();
    const key = token && `${token.start}:${token.prefix}`;
    if (!token || key === this.dismissed) {
      this.close();
      return;
    }
    this.dismissed = null;
    this.token = token;
    const wanted = token.prefix.toLocaleLowerCase();
    const seen = new Set();
    const matches = [];
    for (const user of this.candidates()) {
      if (!user || !user.username || seen.has(user.username)) continue;
      seen.add(user.username);
      const names = [user.username, shownName(user)].map((name) => name.toLocaleLowerCase());
      if (names.some((name) => name.startsWith(wanted))) matches.push(user);
    }
    matches.sort((a, b) => a.username.localeCompare(b.username));
    this.show(matches.slice(0, MAX_SHOWN));
  }

  show(matches) {
    const previous = this.matches[this.index];
    this.matches = matches;
    const keep = previous ? matches.findIndex((user) => user.username === previous.username) : -1;
    this.index = matches.length ? Math.max(0, keep) : -1;
    this.render();
  }

  close() {
    if (!this.matches.length && this.input.getAttribute("aria-expanded") === "false") return;
    this.matches = [];
    this.index = -1;
    this.token = null;
    this.render();
  }

  render() {
    const options = this.matches.map((user, index) => {
      const option = document.createElement("li");
      option.id = `mention-option-${index}`;
      option.className = "mention-option";
      option.setAttribute("role", "option");
      option.dataset.index = String(index);
      option.setAttribute("aria-selected", String(index === this.index));
      const name = document.createElement("span");
      name.className = "mention-name";
      name.textContent = shownName(user);
      const handle = document.createElement("span");
      handle.className = "mention-username";
      handle.textContent = `@${user.username}`;
      option.append(avatar(user), name);
      if (shownName(user) !== user.username) option.append(" ", handle);
      return option;
    });
    this.list.replaceChildren(...options);
    this.list.hidden = !options.length;
    this.input.setAttribute("aria-expanded", String(options.length > 0));
    if (this.index >= 0) {
      this.input.setAttribute("aria-activedescendant", `mention-option-${this.index}`);
      options[this.index].scrollIntoView({ block: "nearest" });
    } else this.input.removeAttribute("aria-activedescendant");
    if (this.status) {
      this.status.textContent = options.length
        ? interpolate(
            ngettext(
              "%(count)s person matches; Up and Down to choose, Enter to insert.",
              "%(count)s people match; Up and Down to choose, Enter to insert.",
              options.length,
            ),
            { count: options.length },
          )
        : "";
    }
  }

  move(step) {
    const count = this.matches.length;
    this.index = (this.index + step + count) % count;
    this.render();
  }

  /** Put `@username ` in place of the @word. */
  accept(index = this.index) {
    const user = this.matches[index];
    const token = this.token;
    if (!user || !token) return;
    const { value } = this.input;
    const after = value.slice(token.end);
    const insert = `@${user.username}${after.startsWith(" ") ? "" : " "}`;
    this.input.value = value.slice(0, token.start) + insert + after;
    const caret = token.start + insert.length + (after.startsWith(" ") ? 1 : 0);
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.input.focus();
    // The composer's own listeners (size, counter, typing) hear of it.
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  keydown(event) {
    if (event.target !== this.input || !this.isOpen || event.isComposing) return;
    const plain = !(event.altKey || event.ctrlKey || event.metaKey);
    let handled = true;
    if (event.key === "ArrowDown" && plain) this.move(1);
    else if (event.key === "ArrowUp" && plain) this.move(-1);
    else if ((event.key === "Enter" || event.key === "Tab") && plain && !event.shiftKey) this.accept();
    else if (event.key === "Escape") {
      this.dismissed = this.token && `${this.token.start}:${this.token.prefix}`;
      this.close();
    } else handled = false;
    if (handled) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }
}
