"""Settings of the chat app, read and parsed in one place (as allauth's
app_settings), and checked at start-up by chat.checks: a bad value stops
`manage.py check` and the server with one sentence, not the first message."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def parse_rate(
    text: str, name: str = "CHAT_RATE_LIMIT", what: str = "messages"
) -> tuple[int, float]:
    """ "N/S" → (N events, S seconds); ImproperlyConfigured says how to fix."""
    count, _, seconds = str(text).partition("/")
    try:
        parsed = int(count.strip()), float(seconds.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed[0] < 1 or not 0 < parsed[1] < 10**9:
        raise ImproperlyConfigured(
            f"{name} must look like '20/10' (at most 20 {what} in any "
            f"10 seconds; N a whole number ≥ 1, S seconds > 0), got {text!r}."
        )
    return parsed


_parsed: dict[tuple[str, str], tuple[int, float]] = {}


def _rate(name: str, what: str) -> tuple[int, float]:
    # Read on each use (tests override it), parsed once per distinct value.
    text = getattr(settings, name)
    found = _parsed.get((name, text))
    if found is None:
        found = _parsed[name, text] = parse_rate(text, name, what)
    return found


def rate_limit() -> tuple[int, float]:
    """CHAT_RATE_LIMIT as (messages, seconds)."""
    return _rate("CHAT_RATE_LIMIT", "messages")


def room_create_limit() -> tuple[int, float]:
    """CHAT_ROOM_CREATE_LIMIT as (rooms, seconds): rooms one user may create."""
    return _rate("CHAT_ROOM_CREATE_LIMIT", "rooms")


def invite_limit() -> tuple[int, float]:
    """CHAT_INVITE_LIMIT as (rooms, seconds): how many private rooms others
    may add one user to in that window (chat.invites)."""
    return _rate("CHAT_INVITE_LIMIT", "private rooms")
