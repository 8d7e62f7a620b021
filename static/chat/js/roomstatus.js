// The room's connection line: one sentence per state and per close code
// (PROTOCOL.md, Close codes), each with its next step. The sentence sits in
// a status region, so it is announced when the state changes; the
// reconnect countdown ticks beside it, outside the region, so it is not
// announced every second.

import { gettext, interpolate } from "./i18n.js";
import { State } from "./socket.js";

const RECONNECTING_TEXT = {
  1009: () => gettext("Something sent was too large for the server, so the connection closed. Reconnecting…"),
  1012: () => gettext("The server is restarting. Reconnecting in a few seconds…"),
  1013: () => gettext("This tab fell behind the conversation. Catching up…"),
  4429: () =>
    gettext(
      "The server disconnected this tab: it sent too many refused messages, or too many tabs are open. Close the tabs you do not need; this one reconnects by itself.",
    ),
};

/**
 * The sentence and next step for a socket that ended for good: {text, link:
 * {label, href} | null, action: label | null (reconnect)}.
 */
export function closedStep(detail, urls) {
  const here = encodeURIComponent(window.location.pathname);
  const login = { label: gettext("Log in again"), href: `${urls.loginUrl}?next=${here}` };
  const browse = { label: gettext("Browse rooms"), href: urls.roomListUrl };
  switch (detail.reason) {
    case "banned":
      return { text: gettext("You were banned from this room. Your other rooms still work."), link: browse };
    case "logged-out":
      return {
        text: gettext("You were logged out (in another tab, or your password was changed). Log in again to keep chatting."),
        link: login,
      };
    case "deactivated":
      return {
        text: gettext("Your account was deactivated, so you cannot chat any more. The login page says what to do."),
        link: { label: gettext("Go to the login page"), href: urls.loginUrl },
      };
    default:
      break;
  }
  if (detail.code === 4404) {
    return { text: gettext("This room does not exist, or it is private and you are not a member."), link: browse };
  }
  if (detail.code === 4403) {
    return { text: gettext("You can no longer take part in this room."), link: browse };
  }
  return { text: gettext("Disconnected."), action: gettext("Reconnect") };
}

export class ConnectionStatus {
  /**
   * elements: {box, text, countdown, retry, next}; urls: {loginUrl,
   * roomListUrl}; onRetry(): the "Retry now" / "Reconnect" button.
   */
  constructor({ box, text, countdown, retry, next }, urls, onRetry) {
    Object.assign(this, { box, text, countdown, retry, next, urls });
    this.timer = null;
    retry.addEventListener("click", () => onRetry());
  }

  show(state, detail = {}) {
    const { box, text, countdown, retry, next } = this;
    box.dataset.state = state;
    clearInterval(this.timer);
    countdown.textContent = "";
    next.replaceChildren();
    const hadFocus = retry.contains(document.activeElement);
    retry.hidden = true;
    if (state === State.OPEN) {
      text.textContent = gettext("Connected");
    } else if (state === State.CONNECTING) {
      text.textContent = gettext("Connecting…");
    } else if (state === State.RECONNECTING) {
      const special = RECONNECTING_TEXT[detail.code];
      // The same sentence while attempts come and go: nothing to announce.
      const sentence = special ? special() : gettext("Connection lost. Reconnecting…");
      if (!detail.connecting || !this.reconnecting) {
        if (text.textContent !== sentence) text.textContent = sentence;
      }
      this.reconnecting = true;
      if (!detail.connecting) {
        retry.textContent = gettext("Retry now");
        retry.hidden = false;
        const tick = () => {
          const seconds = Math.max(1, Math.ceil((detail.until - Date.now()) / 1000));
          countdown.textContent = interpolate(gettext("Next try in %(seconds)s s."), { seconds });
        };
        tick();
        this.timer = setInterval(tick, 1000);
      }
    } else {
      const step = closedStep(detail, this.urls);
      text.textContent = step.text;
      if (step.link) {
        const link = document.createElement("a");
        link.href = step.link.href;
        link.textContent = step.link.label;
        next.append(link);
      }
      if (step.action) {
        retry.textContent = step.action;
        retry.hidden = false;
      }
    }
    if (state !== State.RECONNECTING) this.reconnecting = false;
    // The button went away under the reader's focus: keep focus nearby.
    if (hadFocus && retry.hidden) (next.querySelector("a") || document.getElementById("composer-input"))?.focus();
  }
}
