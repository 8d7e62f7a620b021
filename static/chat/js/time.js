// Relative times ("5 minutes ago") and day labels in the reader's language
// (<html lang>) and time zone, all from Intl.

import { gettext, language, locale } from "./i18n.js";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

let formats = null;
function intl() {
  const lang = locale();
  if (formats && formats.lang === lang) return formats;
  formats = {
    lang,
    relative: new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "long" }),
    clock: new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }),
    full: new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short" }),
    day: new Intl.DateTimeFormat(lang, { weekday: "long", year: "numeric", month: "long", day: "numeric" }),
  };
  return formats;
}

const capitalized = (text) => text.charAt(0).toLocaleUpperCase(language()) + text.slice(1);

export function relativeTime(date, now = new Date()) {
  const age = now - date;
  if (age < 45 * 1000) return gettext("just now");
  if (age < HOUR) return intl().relative.format(-Math.max(1, Math.round(age / MINUTE)), "minute");
  if (age < 6 * HOUR) return intl().relative.format(-Math.round(age / HOUR), "hour");
  return intl().clock.format(date);
}

export function absoluteTime(date) {
  return intl().full.format(date);
}

/** A key that is equal for two dates on the same local day. */
export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

export function dayLabel(date, now = new Date()) {
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(now)) return capitalized(intl().relative.format(0, "day"));
  if (dayKey(date) === dayKey(yesterday)) return capitalized(intl().relative.format(-1, "day"));
  return intl().day.format(date);
}

/** A <time> element showing a relative time, the exact one in its title. */
export function timeElement(date) {
  const element = document.createElement("time");
  element.dateTime = date.toISOString();
  element.title = absoluteTime(date);
  element.textContent = relativeTime(date);
  return element;
}

/** Refresh every <time datetime> under root; cheap enough every 30 s. */
export function refreshTimes(root, now = new Date()) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    element.textContent = relativeTime(new Date(element.dateTime), now);
  }
}
