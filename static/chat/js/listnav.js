// The message list is one Tab stop (a roving tabindex, as Slack and Zulip
// do): the current message has tabindex 0, every other -1. Up and Down move
// between messages, Home and End go to the first and the last, Page Up and
// Page Down jump by ten; Tab from a message reaches its author's name (a
// button, directs.js) and its actions (only the current message's buttons
// are Tab stops), and Delete runs its delete action. Up on the first
// message asks for older ones.

const ITEM = "li.msg";
const STEP_PAGE = 10;

export class RovingList {
  /**
   * list: the <ol>; onTop(): called when Up is pressed on the first item
   * (load older messages); focus stays where it is.
   */
  constructor(list, { onTop } = {}) {
    this.list = list;
    this.onTop = onTop;
    this.active = null;
    list.addEventListener("keydown", (event) => this._keydown(event));
    list.addEventListener("focusin", (event) => {
      const item = event.target.closest(ITEM);
      if (item && this.list.contains(item)) this._activate(item);
    });
  }

  items() {
    return [...this.list.querySelectorAll(ITEM)];
  }

  /** After items were added, removed or replaced: keep one Tab stop. */
  sync() {
    if (this.active && !this.list.contains(this.active)) this.active = null;
    if (!this.active) {
      const items = this.list.querySelectorAll(ITEM);
      if (items.length) this._activate(items[items.length - 1]);
    }
  }

  /** A message element was rebuilt: the new one takes its place. */
  replaced(old, element) {
    if (this.active === old) {
      this.active = null;
      this._activate(element);
    }
  }

  /** Focus one message (e.g. the oldest after loading history). */
  focus(item) {
    if (!item) return;
    this._activate(item);
    item.focus();
  }

  reset() {
    this.active = null;
  }

  _activate(item) {
    if (this.active === item) {
      item.tabIndex = 0;
      return;
    }
    if (this.active) this._setStops(this.active, -1);
    this.active = item;
    this._setStops(item, 0);
  }

  _setStops(item, index) {
    item.tabIndex = index;
    for (const button of item.querySelectorAll(".msg-actions button, .msg-meta button")) button.tabIndex = index;
  }

  _keydown(event) {
    const item = event.target;
    if (!(item instanceof HTMLElement) || !item.matches(ITEM)) {
      // Escape from an action goes back to its message.
      if (event.key === "Escape" && event.target.closest(ITEM)) {
        event.preventDefault();
        event.target.closest(ITEM).focus();
      }
      return;
    }
    const items = this.items();
    const index = items.indexOf(item);
    let target = null;
    switch (event.key) {
      case "ArrowUp":
        if (index === 0 && this.onTop) this.onTop();
        target = items[Math.max(0, index - 1)];
        break;
      case "ArrowDown":
        target = items[Math.min(items.length - 1, index + 1)];
        break;
      case "PageUp":
        target = items[Math.max(0, index - STEP_PAGE)];
        break;
      case "PageDown":
        target = items[Math.min(items.length - 1, index + STEP_PAGE)];
        break;
      case "Home":
        target = items[0];
        break;
      case "End":
        target = items[items.length - 1];
        break;
      case "Delete": {
        const button = item.querySelector("[data-action=delete]");
        if (button) {
          event.preventDefault();
          button.click();
        }
        return;
      }
      default:
        return;
    }
    event.preventDefault();
    if (target) {
      this.focus(target);
      target.scrollIntoView({ block: "nearest" });
    }
  }
}
