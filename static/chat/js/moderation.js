// What owners and staff do from the chat page: delete a message, ban
// someone, add a member to a private room. slug() is the open room.

import { failureText, postJSON, request } from "./api.js";
import { isBusy, setBusy, showFieldErrors } from "./forms.js";
import { gettext, interpolate } from "./i18n.js";
import { showNotice } from "./notice.js";
import { shownName } from "./render.js";

/** DELETE the message; onDeleted(message) shows the tombstone. */
export async function deleteMessage(message, button, onDeleted) {
  if (isBusy(button) || !window.confirm(gettext("Delete this message for everyone?"))) return;
  setBusy(button, true);
  const result = await request("DELETE", `/api/messages/${message.id}/`);
  if (result.ok) {
    onDeleted(message);
    return;
  }
  showNotice(failureText(result, gettext("Could not delete that message.")), { kind: "error" });
  setBusy(button, false);
}

export async function banUser(slug, user, button) {
  const name = shownName(user);
  if (isBusy(button) || !window.confirm(interpolate(gettext("Ban %(name)s from this room?"), { name }))) return;
  setBusy(button, true);
  const result = await postJSON(`/api/rooms/${encodeURIComponent(slug)}/bans/`, { username: user.username });
  if (result.ok) showNotice(interpolate(gettext("%(name)s was banned from this room."), { name }));
  else showNotice(failureText(result, interpolate(gettext("Could not ban %(name)s."), { name })), { kind: "error" });
  setBusy(button, false);
}

/** The owner of a private room (or staff) lets someone in. */
export function wireAddMember(form, slug) {
  const input = form.elements.username;
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = input.value.trim();
    if (!username) {
      showFieldErrors(form, { username: [gettext("Type the username of the person to add.")] });
      return;
    }
    if (isBusy(button)) return;
    showFieldErrors(form, {});
    setBusy(button, true);
    try {
      const result = await postJSON(`/api/rooms/${encodeURIComponent(slug())}/members/`, { username });
      if (result.ok) {
        input.value = "";
        showNotice(interpolate(gettext("%(name)s is now a member of this room."), { name: username }));
      } else if (result.data && result.data.errors) {
        showFieldErrors(form, result.data.errors, { fallbackField: "username" });
      } else {
        showFieldErrors(form, { username: [failureText(result, interpolate(gettext("Could not add %(name)s."), { name: username }))] });
      }
    } finally {
      setBusy(button, false);
      input.focus();
    }
  });
}
