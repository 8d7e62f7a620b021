"""Settings of presence, read in one place (read on each use: tests
override them) and checked at start-up by presence.checks."""

from __future__ import annotations

from django.conf import settings


def ttl() -> float:
    """Seconds after which a connection that stopped refreshing is gone."""
    return float(settings.PRESENCE_TTL)


def heartbeat() -> float:
    """Seconds between two refreshes of this process's live connections."""
    return float(settings.PRESENCE_HEARTBEAT)
