// Relative times ("2 min ago") and day labels, in the reader's time zone.

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long", year: "numeric", month: "long", day: "numeric",
});

export function relativeTime(date, now = new Date()) {
  const age = now - date;
  if (age < 45 * 1000) return "just now";
  if (age < HOUR) return `${Math.max(1, Math.round(age / MINUTE))} min ago`;
  if (age < 6 * HOUR) return `${Math.round(age / HOUR)} h ago`;
  return clock.format(date);
}

export function absoluteTime(date) {
  return full.format(date);
}

/** A key that is equal for two dates on the same local day. */
export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

export function dayLabel(date, now = new Date()) {
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(now)) return "Today";
  if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
  return dayFormat.format(date);
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
