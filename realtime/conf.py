"""Settings of the socket runtime, read in one place (as allauth's
app_settings) and checked at start-up (realtime.checks)."""

from __future__ import annotations

from django.conf import settings


def socket_backlog() -> int:
    """Frames that may wait for one slow socket before it is closed with 1013
    (CHAT_SOCKET_BACKLOG). Read on each use: tests override it."""
    return settings.CHAT_SOCKET_BACKLOG


def max_sockets_per_user() -> int:
    """Live sockets one user may hold across all processes
    (CHAT_MAX_SOCKETS_PER_USER, PROTOCOL.md 1.1); the next one gets 4429."""
    return settings.CHAT_MAX_SOCKETS_PER_USER


def canary_interval() -> float:
    """Seconds between two checks of this process's pub/sub path
    (PUBSUB_CANARY_INTERVAL; realtime.canary)."""
    return float(settings.PUBSUB_CANARY_INTERVAL)


def canary_timeout() -> float:
    """Seconds the canary's message may take to come back before it counts
    as a miss (PUBSUB_CANARY_TIMEOUT)."""
    return float(settings.PUBSUB_CANARY_TIMEOUT)


def _rate(name: str) -> tuple[int, float]:
    count, _, seconds = str(getattr(settings, name)).partition("/")
    return int(count), float(seconds)


def ping_limit() -> tuple[int, float]:
    """`ping` frames one socket may send in a window (CHAT_PING_LIMIT "N/S",
    realtime.throttle): each refreshes presence in Redis; more are dropped."""
    return _rate("CHAT_PING_LIMIT")


def typing_interval() -> float:
    """Seconds between two forwarded `typing` frames of one socket
    (CHAT_TYPING_INTERVAL; PROTOCOL.md 1.1 says one per second)."""
    return float(settings.CHAT_TYPING_INTERVAL)


def history_budget() -> tuple[int, float]:
    """History rows one socket may pull: a bucket of N rows refilled in S
    seconds (CHAT_HISTORY_BUDGET "N/S"); a bigger pull waits."""
    return _rate("CHAT_HISTORY_BUDGET")
