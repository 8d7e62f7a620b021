// JSON endpoints of PROTOCOL.md: session cookie auth, CSRF header on writes.

import { gettext } from "./i18n.js";

/** The value of the `csrftoken` cookie (the pages set it), or "". */
export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

// How long a socket's "why was I refused?" probe may take (sessionEnded).
export const PROBE_TIMEOUT_MS = 5_000;
// How long any other call may take. fetch itself never gives up on a request
// that went out on a keep-alive connection the network dropped silently: a
// search or a sidebar reload would stay "Loading…" until the browser's own
// limit, minutes later. Longer than the server's own 20 s wait for a locked
// database (SQLITE_BUSY_TIMEOUT), so its answer ("unavailable", with a ref)
// comes first.
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Call one endpoint. Resolves to {status, ok, data}; data is the parsed JSON
 * body or null. Never rejects: when the network fails or the call takes over
 * `timeoutMs`, status is 0 (failureText says the server could not be
 * reached), so no caller is left busy by an exception it did not expect.
 */
export async function request(method, url, body, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", signal: AbortSignal.timeout(timeoutMs) };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    return { status: 0, ok: false, data: null };
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { status: response.status, ok: response.ok, data };
}

export const getJSON = (url, options) => request("GET", url, undefined, options);
export const postJSON = (url, body) => request("POST", url, body);

/** A human sentence for a failed call, from its JSON if it has one. */
export function failureText(result, fallback = gettext("Something went wrong. Try again.")) {
  const data = result && result.data;
  if (data && typeof data.detail === "string") return data.detail;
  if (data && data.errors && typeof data.errors === "object") {
    const first = Object.values(data.errors).flat()[0];
    if (typeof first === "string") return first;
  }
  if (result && result.status === 0) return gettext("Could not reach the server. Check your connection and try again.");
  if (result && result.status === 403) return gettext("You are not allowed to do that (or you were logged out).");
  if (result && result.status >= 500) return gettext("The server had a problem. Try again in a moment.");
  return fallback;
}

/** Parse the JSON a page embedded with Django's json_script. */
export function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

/**
 * What became of this browser's session (GET /accounts/status/): the reason
 * a socket may stop retrying, "logged-out" or "deactivated", or null while
 * the session still works.
 */
export async function sessionEnded(statusUrl) {
  // Bounded: a socket waits for this answer before its next attempt, and a
  // probe that went out on a connection the network dropped would otherwise
  // hold it "Reconnecting…" for good, its Retry button hidden.
  const result = await getJSON(statusUrl, { timeoutMs: PROBE_TIMEOUT_MS });
  const state = result.data && result.data.state;
  if (state === "deactivated") return "deactivated";
  if (state === "anonymous") return "logged-out";
  return null;
}
