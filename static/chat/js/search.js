// Message search (GET /api/search/): a search box in the room's header,
// focused with Ctrl+K (⌘K) or "/", results newest first with the matched
// words highlighted from the server's `ranges` (code-point offsets: built
// as text nodes and <mark> elements, never HTML), "More results" with
// `before`, and a click (or Enter) opening the room at that message.

import { getJSON, failureText } from "./api.js";
import { gettext, interpolate } from "./i18n.js";
import { shownName } from "./render.js";
import { relativeTime } from "./time.js";

/** The body as nodes with <mark> around each [start, end) code-point range. */
export function highlighted(body, ranges) {
  const chars = [...body];
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of ranges) {
    if (!(start >= at && end > start && end <= chars.length)) continue;
    fragment.append(document.createTextNode(chars.slice(at, start).join("")));
    const mark = document.createElement("mark");
    mark.textContent = chars.slice(start, end).join("");
    fragment.append(mark);
    at = end;
  }
  fragment.append(document.createTextNode(chars.slice(at).join("")));
  return fragment;
}

function typingInField(target) {
  return target.closest("input, textarea, select, [contenteditable='true']");
}

export class SearchBox {
  /** form, input, panel (results), jump(slug, seq): open a room at a message. */
  constructor({ form, input, panel, jump }) {
    this.form = form;
    this.input = input;
    this.panel = panel;
    this.jump = jump;
    this.query = "";
    this.before = null;
    this.busy = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(input.value);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.hide();
        input.blur();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        this.panel.querySelector(".search-result")?.focus();
      }
    });
    panel.addEventListener("keydown", (event) => this._panelKey(event));
    document.addEventListener("keydown", (event) => {
      const chord = (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
      const slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !typingInField(event.target);
      if (chord || slash) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  hide() {
    this.panel.hidden = true;
    this.panel.replaceChildren();
  }

  async run(text, { more = false } = {}) {
    const q = text.trim();
    if (!q || this.busy) return;
    if (!more) {
      this.query = q;
      this.before = null;
      this.panel.replaceChildren();
    }
    this.busy = true;
    this.panel.hidden = false;
    this.panel.setAttribute("aria-busy", "true");
    const params = new URLSearchParams({ q: this.query, limit: "20" });
    if (this.before !== null) params.set("before", String(this.before));
    const result = await getJSON(`/api/search/?${params}`);
    this.busy = false;
    this.panel.setAttribute("aria-busy", "false");
    this.panel.querySelector(".search-more")?.remove();
    if (!result.ok) {
      this._status(failureText(result));
      return;
    }
    const { results, has_more: hasMore } = result.data;
    if (!more) this._status(
      results.length
        ? interpolate(gettext("Results for “%(q)s”"), { q: this.query })
        : interpolate(gettext("Nothing found for “%(q)s”."), { q: this.query }),
    );
    let list = this.panel.querySelector(".search-results");
    if (!list) {
      list = document.createElement("ol");
      list.className = "search-results";
      this.panel.append(list);
    }
    for (const { message, ranges } of results) list.append(this._result(message, ranges));
    if (results.length) this.before = results[results.length - 1].message.id;
    if (hasMore) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "search-more link";
      button.textContent = gettext("More results");
      button.addEventListener("click", () => this.run(this.query, { more: true }));
      this.panel.append(button);
    }
  }

  _status(text) {
    let status = this.panel.querySelector(".search-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "search-status muted small";
      status.setAttribute("role", "status");
      this.panel.prepend(status);
    }
    status.textContent = text;
  }

  _result(message, ranges) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "search-result";
    button.dataset.room = message.room;
    button.dataset.seq = String(message.seq);
    const meta = document.createElement("span");
    meta.className = "search-meta muted small";
    meta.textContent = `#${message.room} · ${shownName(message.user)} · ${relativeTime(new Date(message.created_at))}`;
    const body = document.createElement("span");
    body.className = "search-body";
    body.append(highlighted(message.body, ranges));
    button.append(meta, body);
    button.addEventListener("click", () => {
      this.hide();
      this.jump(message.room, message.seq);
    });
    item.append(button);
    return item;
  }

  _panelKey(event) {
    const buttons = [...this.panel.querySelectorAll(".search-result")];
    const index = buttons.indexOf(document.activeElement);
    if (event.key === "Escape") {
      this.hide();
      this.input.focus();
    } else if (event.key === "ArrowDown" && index >= 0) {
      event.preventDefault();
      buttons[Math.min(buttons.length - 1, index + 1)].focus();
    } else if (event.key === "ArrowUp" && index >= 0) {
      event.preventDefault();
      if (index === 0) this.input.focus();
      else buttons[index - 1].focus();
    }
  }
}
