// Who is present: a set of UserRefs fed by presence.state / join / leave,
// rendered as a list. Joins are set-adds, so a repeated join is harmless.

import { gettext, interpolate } from "./i18n.js";
import { avatar, shownName, userName } from "./render.js";

export class PresenceList {
  /**
   * list: the <ul>; count: an element for the number (optional);
   * me: the reader's UserRef; actions: [{name, label, ariaLabel(user),
   * run(user, button)}] offered beside everyone but the reader (the
   * moderators' "Ban"; later features add theirs).
   */
  constructor({ list, count, me, actions = [], onChange }) {
    this.list = list;
    this.count = count;
    this.me = me;
    this.actions = actions;
    this.onChange = onChange;
    this.users = new Map(); // id -> UserRef
  }

  state(users) {
    this.users = new Map(users.map((user) => [user.id, user]));
    this.render();
  }

  join(user) {
    this.users.set(user.id, user);
    this.render();
  }

  leave(user) {
    if (this.users.delete(user.id)) this.render();
  }

  /** A tick's joins and leaves (README, Presence diffs), drawn once. */
  diff(frame) {
    for (const user of frame.joins || []) this.users.set(user.id, user);
    for (const user of frame.leaves || []) this.users.delete(user.id);
    this.render();
  }

  /** The socket ended for good: nobody is known to be here any more. */
  clear() {
    this.users.clear();
    this.render();
  }

  /** Apply a presence.* frame; true if it was one. */
  apply(frame) {
    if (frame.type === "presence.state") this.state(frame.users || []);
    else if (frame.type === "presence.join") this.join(frame.user);
    else if (frame.type === "presence.leave") this.leave(frame.user);
    else if (frame.type === "presence.diff") this.diff(frame);
    else return false;
    return true;
  }

  render() {
    const sorted = [...this.users.values()].sort((a, b) => shownName(a).localeCompare(shownName(b)));
    const items = sorted.map((user) => {
      const item = document.createElement("li");
      item.className = "user";
      item.dataset.user = String(user.id);
      item.append(avatar(user), userName(user, "user-name"));
      if (this.me && user.id === this.me.id) {
        const you = document.createElement("span");
        you.className = "muted small you";
        you.textContent = gettext("(you)");
        item.append(" ", you);
      } else {
        for (const action of this.actions) {
          if (action.available && !action.available(user)) continue;
          const button = document.createElement("button");
          button.type = "button";
          button.className = `user-action link user-${action.name}`;
          button.textContent = action.label;
          if (action.ariaLabel) button.setAttribute("aria-label", action.ariaLabel(user));
          button.addEventListener("click", () => action.run(user, button));
          item.append(button);
        }
      }
      return item;
    });
    this.list.replaceChildren(...items);
    if (this.count) this.count.textContent = interpolate(gettext("(%(count)s)"), { count: this.users.size });
    if (this.onChange) this.onChange(this.users.size);
  }
}
