// Form errors in plain words, each beside its field, all at once.
//
// A field's errors go into the list marked data-errors-for="<field>" (the
// field's aria-describedby names it), the field gets aria-invalid, and the
// first invalid field takes focus. Errors for no known field go to
// data-errors-for="__all__". The JSON API words its own errors; should a
// validator's raw text still come through ("String should match pattern
// …"), plainError() turns it into a sentence a person can act on.

import { gettext, interpolate } from "./i18n.js";

const FIELD_PATTERN_TEXT = {
  slug: () => gettext("Use only lower-case letters (a–z), digits, hyphens and underscores."),
  username: () => gettext("Use only letters, digits and @ . + - _ in a username."),
};

/** A plain sentence for one error text about one field. */
export function plainError(field, text) {
  const raw = String(text);
  let match = raw.match(/^String should have at most (\d+) characters?/);
  if (match) return interpolate(gettext("Use at most %(count)s characters."), { count: match[1] });
  match = raw.match(/^String should have at least (\d+) characters?/);
  if (match) return match[1] === "1" ? gettext("Fill this in.") : interpolate(gettext("Use at least %(count)s characters."), { count: match[1] });
  if (/^String should match pattern/.test(raw)) return (FIELD_PATTERN_TEXT[field] || (() => gettext("This is not in the expected form.")))();
  if (/^Field required/.test(raw)) return gettext("Fill this in.");
  if (/^(Input should be|value is not a valid)/i.test(raw)) return gettext("This value is not valid here.");
  if (/^List should have at most (\d+) items?/.test(raw)) return gettext("That is too many.");
  return raw;
}

function errorItem(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

/**
 * Show errors ({field: [texts]}) in form; {} clears them. fallbackField:
 * where errors for unknown fields go when the form has no __all__ list.
 */
export function showFieldErrors(form, errors, { fallbackField = null, focus = true } = {}) {
  for (const list of form.querySelectorAll("[data-errors-for]")) {
    list.replaceChildren();
    list.hidden = true;
  }
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  let first = null;
  for (const [field, texts] of Object.entries(errors || {})) {
    let list = form.querySelector(`[data-errors-for="${CSS.escape(field)}"]`);
    let target = field;
    if (!list) {
      target = form.querySelector('[data-errors-for="__all__"]') ? "__all__" : fallbackField;
      list = target ? form.querySelector(`[data-errors-for="${CSS.escape(target)}"]`) : null;
    }
    if (!list) continue;
    const sentences = (Array.isArray(texts) ? texts : [texts]).map((text) => plainError(field, text));
    list.append(...sentences.map(errorItem));
    list.hidden = false;
    const input = target && target !== "__all__" ? form.elements[target] : null;
    if (input && input.setAttribute) {
      input.setAttribute("aria-invalid", "true");
      // The first invalid field in the form's own order takes focus.
      if (!first || (first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING)) first = input;
    }
  }
  if (focus && first) first.focus();
  return first;
}

// A button that is busy says so but keeps focus (a disabled button drops
// it to the page); a second press meanwhile does nothing.
export function setBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

export const isBusy = (button) => button.getAttribute("aria-disabled") === "true";
