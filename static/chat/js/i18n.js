// Translations for the client: Django's JavaScriptCatalog (/jsi18n/, loaded
// by base.html before any module) defines globalThis.django with the
// catalog of the page's language (locale/<lang>/LC_MESSAGES/djangojs.po).
// Without it (node tests, a failed load) the English text is shown.
//
// makemessages -d djangojs finds the strings: call gettext / ngettext /
// pgettext with string literals only, and put values in with interpolate's
// named form: interpolate(gettext("%(name)s left"), { name }).

const catalog = () => globalThis.django;

export function gettext(text) {
  return catalog() ? catalog().gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  if (catalog()) return catalog().ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

export function pgettext(context, text) {
  return catalog() ? catalog().pgettext(context, text) : text;
}

/** Replace %(name)s with values[name]; values never pass through gettext. */
export function interpolate(format, values) {
  return format.replace(/%\(([a-z_]+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The page's language (<html lang>). */
export function language() {
  return (globalThis.document && document.documentElement.lang) || "en";
}

/**
 * The locale for Intl formatters: the page's language, in the reader's own
 * variant when the browser names one (en-GB keeps its 24-hour clock on an
 * English page).
 */
export function locale() {
  const lang = language();
  const preferred = (globalThis.navigator && navigator.languages) || [];
  return preferred.find((tag) => tag.toLowerCase().split("-")[0] === lang.toLowerCase().split("-")[0]) || lang;
}
