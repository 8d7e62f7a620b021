// Direct messages started from a person's name: the "Message" button in
// "Here now" (presence.js) and the author's name on a message, both of which
// POST /api/dms/ (PROTOCOL.md 1.1) and open the direct room in place.

import { failureText, postJSON } from "./api.js";
import { setBusy, isBusy } from "./forms.js";
import { gettext, interpolate } from "./i18n.js";
import { showNotice } from "./notice.js";
import { shownName } from "./render.js";

/** start(user, button): open the direct room with user; sidebar and router are the page's. */
export function directStarter({ sidebar, router }) {
  return async function startDirect(user, button) {
    if (button && isBusy(button)) return;
    if (button) setBusy(button, true);
    const result = await postJSON("/api/dms/", { username: user.username });
    if (button) setBusy(button, false);
    if (result.ok && result.data && result.data.slug) {
      sidebar.upsert(result.data);
      router.go(result.data.slug);
    } else {
      showNotice(failureText(result, gettext("Could not open the direct message. Try again.")), { kind: "error" });
    }
  };
}

/**
 * The author's name of someone else's message as a button that opens a
 * direct message with them (a Tab stop of the focused message only, as its
 * actions are: listnav.js). Own messages keep the plain name (null).
 */
export function authorButton(me, start) {
  return (message) => {
    if (!message.user || message.user.id === me.id || message.deleted) return null;
    const user = message.user;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "author author-button";
    button.tabIndex = -1;
    button.textContent = shownName(user);
    button.title = interpolate(gettext("Send a direct message to @%(username)s"), { username: user.username });
    // The visible name first (WCAG 2.5.3), then what pressing it does.
    button.setAttribute(
      "aria-label",
      interpolate(gettext("%(name)s: send a direct message"), { name: shownName(user) }),
    );
    button.addEventListener("click", () => start(user, button));
    return button;
  };
}
