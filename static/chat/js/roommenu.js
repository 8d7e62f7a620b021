// The room menu in the room header: Mute / Unmute (POST …/settings/),
// Join (a public room one is not a member of), Leave (members, not of a
// direct room) and, for the room's owner (or staff), "Edit name and
// description" in a dialog (PATCH /api/rooms/<slug>/), its errors beside
// the fields. PROTOCOL.md 1.1. The header and the sidebar show a rename
// live from `room.updated` (room.js, badges.js); this module updates them
// at once from the answer too.
//
// The ARIA menu button pattern: Enter, Space or Down open the menu on its
// first item, Up on its last; Up, Down, Home and End move; Escape closes it
// and returns to the button; Tab or a click elsewhere closes it.

import { failureText, postJSON, request } from "./api.js";
import { isBusy, setBusy, showFieldErrors } from "./forms.js";
import { gettext, interpolate } from "./i18n.js";
import { showNotice } from "./notice.js";
import { isDirect, roomLabel } from "./sidebar.js";

const $ = (id) => document.getElementById(id);
const roomApi = (slug, tail = "") => `/api/rooms/${encodeURIComponent(slug)}/${tail}`;

export class RoomMenu {
  /**
   * pane: the RoomPane; sidebar: the reader's rooms; me, isStaff: the
   * reader; leaveTo(slug): where to go after leaving room `slug`.
   */
  constructor({ pane, sidebar, me, isStaff, leaveTo }) {
    this.pane = pane;
    this.sidebar = sidebar;
    this.me = me;
    this.isStaff = isStaff;
    this.leaveTo = leaveTo;
    this.button = $("room-menu-button");
    this.menu = $("room-menu");
    this.items = {
      mute: $("room-mute"),
      join: $("room-join"),
      edit: $("room-edit"),
      leave: $("room-leave"),
    };
    this.dialog = $("room-edit-dialog");
    this.form = $("room-edit-form");
    this.button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.button.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        this.open(event.key === "ArrowUp" ? -1 : 0);
      }
    });
    this.menu.addEventListener("keydown", (event) => this.keydown(event));
    document.addEventListener("click", (event) => {
      if (this.isOpen && !this.menu.contains(event.target) && !this.button.contains(event.target)) this.close(false);
    });
    this.menu.addEventListener("focusout", (event) => {
      if (this.isOpen && !this.menu.contains(event.relatedTarget) && event.relatedTarget !== this.button) this.close(false);
    });
    this.items.mute.addEventListener("click", () => this.toggleMute());
    this.items.join.addEventListener("click", () => this.join());
    this.items.leave.addEventListener("click", () => this.confirmLeave());
    this.items.edit.addEventListener("click", () => this.edit());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    $("room-edit-cancel").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => this.button.focus());
    // Leaving a private room cannot be undone by oneself: asked first.
    this.leaveDialog = $("room-leave-dialog");
    $("room-leave-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.leaveDialog.close("leave");
    });
    $("room-leave-cancel").addEventListener("click", () => this.leaveDialog.close());
    this.leaveDialog.addEventListener("close", () => {
      if (this.leaveDialog.returnValue === "leave") this.leave();
      else this.button.focus();
    });
  }

  /** The open room as the reader knows it best (the sidebar has the API's Room). */
  get room() {
    const room = this.pane.room;
    return room ? { ...room, ...(this.sidebar.room(room.slug) || {}) } : null;
  }

  get isOpen() {
    return !this.menu.hidden;
  }

  available() {
    const room = this.room;
    if (!room) return {};
    const direct = isDirect(room);
    const member = room.member !== undefined ? room.member : Boolean(this.sidebar.room(room.slug));
    const owner = Boolean(room.owner && room.owner.id === this.me.id);
    return {
      mute: member,
      join: !member && !room.private,
      leave: member && !direct,
      edit: !direct && (owner || this.isStaff),
    };
  }

  visibleItems() {
    return Object.values(this.items).filter((item) => !item.hidden);
  }

  open(at = 0) {
    const room = this.room;
    if (!room) return;
    const available = this.available();
    for (const [name, item] of Object.entries(this.items)) item.hidden = !available[name];
    this.items.mute.textContent = room.muted ? gettext("Unmute room") : gettext("Mute room");
    const items = this.visibleItems();
    if (!items.length) return;
    this.menu.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    items.at(at).focus();
  }

  close(refocus = true) {
    if (!this.isOpen) return;
    this.menu.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }

  keydown(event) {
    const items = this.visibleItems();
    const index = items.indexOf(document.activeElement);
    let target = null;
    if (event.key === "ArrowDown") target = items[(index + 1) % items.length];
    else if (event.key === "ArrowUp") target = items[(index - 1 + items.length) % items.length];
    else if (event.key === "Home") target = items[0];
    else if (event.key === "End") target = items.at(-1);
    else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return;
    } else if (event.key === "Tab") {
      this.close(false);
      return;
    } else return;
    event.preventDefault();
    if (target) target.focus();
  }

  /** Take the API's answer for the open room everywhere it shows. */
  took(room) {
    this.sidebar.upsert(room);
    if (this.pane.room && this.pane.room.slug === room.slug) this.pane.showRoom(room);
  }

  async toggleMute() {
    const room = this.room;
    const muted = !room.muted;
    this.close();
    const result = await postJSON(roomApi(room.slug, "settings/"), { muted });
    if (!result.ok || !result.data) {
      showNotice(failureText(result), { kind: "error" });
      return;
    }
    this.took(result.data);
    const text = muted ? gettext("%(room)s is muted: only mentions count as unread.") : gettext("%(room)s is no longer muted.");
    showNotice(interpolate(text, { room: roomLabel(room) }));
  }

  async join() {
    const room = this.room;
    this.close();
    const result = await postJSON(roomApi(room.slug, "join/"));
    if (!result.ok || !result.data) {
      showNotice(failureText(result), { kind: "error" });
      return;
    }
    this.took(result.data);
    showNotice(interpolate(gettext("You joined %(room)s."), { room: roomLabel(room) }));
  }

  confirmLeave() {
    const room = this.room;
    if (!room.private) {
      this.leave();
      return;
    }
    this.close(false);
    this.leaveDialog.returnValue = "";
    this.leaveDialog.showModal();
    $("room-leave-cancel").focus();
  }

  async leave() {
    const room = this.room;
    this.close(false);
    const result = await postJSON(roomApi(room.slug, "leave/"));
    if (!result.ok) {
      showNotice(failureText(result), { kind: "error" });
      this.button.focus();
      return;
    }
    // room.removed says so too (and to the reader's other tabs).
    this.sidebar.remove(room.slug);
    showNotice(interpolate(gettext("You left %(room)s."), { room: roomLabel(room) }));
    this.leaveTo(room.slug);
  }

  edit() {
    const room = this.room;
    this.close(false);
    showFieldErrors(this.form, {}, { focus: false });
    this.form.elements.name.value = room.name || "";
    this.form.elements.description.value = room.description || "";
    this.dialog.showModal();
    this.form.elements.name.focus();
  }

  async save() {
    const submit = this.form.querySelector("button[type=submit]");
    if (isBusy(submit)) return;
    const slug = this.room.slug;
    const body = { name: this.form.elements.name.value.trim(), description: this.form.elements.description.value.trim() };
    setBusy(submit, true);
    const result = await request("PATCH", roomApi(slug), body);
    setBusy(submit, false);
    if (result.ok && result.data) {
      this.took(result.data);
      this.dialog.close();
      showNotice(gettext("The room's name and description are saved."));
      return;
    }
    const errors = result.data && result.data.errors;
    if (result.status === 400 && errors && typeof errors === "object") showFieldErrors(this.form, errors, { fallbackField: "__all__" });
    else showFieldErrors(this.form, { __all__: [failureText(result)] });
  }
}
