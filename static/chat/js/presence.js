// Who is present: a set of UserRefs fed by presence.state / join / leave,
// rendered as a list. Joins are set-adds, so a repeated join is harmless.

import { avatar, userName } from "./render.js";

export class PresenceList {
  /**
   * list: the <ul>; count: an element for the number (optional);
   * me: the reader's UserRef; action: optional {label, run(user, button)}
   * offered beside everyone but the reader (the moderators' "Ban").
   */
  constructor({ list, count, me, action, onChange }) {
    this.list = list;
    this.count = count;
    this.me = me;
    this.action = action;
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

  /** Apply a presence.* frame; true if it was one. */
  apply(frame) {
    if (frame.type === "presence.state") this.state(frame.users || []);
    else if (frame.type === "presence.join") this.join(frame.user);
    else if (frame.type === "presence.leave") this.leave(frame.user);
    else return false;
    return true;
  }

  render() {
    const sorted = [...this.users.values()].sort((a, b) =>
      (a.display_name || a.username).localeCompare(b.display_name || b.username),
    );
    const items = sorted.map((user) => {
      const item = document.createElement("li");
      item.className = "user";
      item.append(avatar(user), userName(user, "user-name"));
      if (this.me && user.id === this.me.id) {
        const you = document.createElement("span");
        you.className = "muted small";
        you.textContent = " (you)";
        item.append(you);
      } else if (this.action) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "user-action link";
        button.textContent = this.action.label;
        button.setAttribute("aria-label", `${this.action.label} ${user.display_name || user.username}`);
        button.addEventListener("click", () => this.action.run(user, button));
        item.append(button);
      }
      return item;
    });
    this.list.replaceChildren(...items);
    if (this.count) this.count.textContent = `(${this.users.size})`;
    if (this.onChange) this.onChange(this.users.size);
  }
}
