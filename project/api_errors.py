"""The JSON API's validation errors in plain words: pydantic's own texts
("String should match pattern '^[-a-z0-9_]{1,50}$'") are for programmers,
and the 400 answers' sentences reach people (the room form shows them by
its fields). One sentence per pydantic error type, in the reader's
language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _pattern(field: str) -> str:
    if field == "slug":
        return _(
            "Use only lower-case letters (a to z), digits, hyphens and underscores."
        )
    return _("This is not in the expected form.")


def plain_error(field: str, error: dict) -> str:
    """A sentence for one pydantic error (its `type` and `ctx`) on `field`."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        count = int(ctx.get("min_length", 1))
        if count <= 1:
            return _("Fill this in.")
        return ngettext(
            "Use at least %(count)s character.",
            "Use at least %(count)s characters.",
            count,
        ) % {"count": count}
    if kind == "string_too_long":
        count = int(ctx.get("max_length", 0))
        return ngettext(
            "Use at most %(count)s character.",
            "Use at most %(count)s characters.",
            count,
        ) % {"count": count}
    if kind == "string_pattern_mismatch":
        return _pattern(field)
    if kind == "too_long":
        count = int(ctx.get("max_length", 0))
        return ngettext(
            "Give at most %(count)s item.", "Give at most %(count)s items.", count
        ) % {"count": count}
    if kind.startswith("string"):
        return _("This must be text.")
    if kind.startswith("bool"):
        return _("This must be true or false.")
    if kind.startswith("int"):
        return _("This must be a whole number.")
    if kind == "greater_than_equal":
        return _("Use a number of at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Use a number of at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind.startswith("list"):
        return _("This must be a list.")
    return _("This value is not valid here.")
