"""System checks of the presence settings (`manage.py check`).

Registered by PresenceConfig.ready(): `from presence import checks`.
"""

from __future__ import annotations

from django.core.checks import Error, register

from presence import conf


@register()
def presence_timings(app_configs: object = None, **kwargs: object) -> list[Error]:
    """A heartbeat must come well inside the TTL, or live sockets expire."""
    try:
        ttl, heartbeat = conf.ttl(), conf.heartbeat()
    except (TypeError, ValueError):
        return [
            Error(
                "PRESENCE_TTL and PRESENCE_HEARTBEAT must be numbers of seconds.",
                id="presence.E002",
            )
        ]
    if heartbeat <= 0 or ttl <= heartbeat:
        return [
            Error(
                f"PRESENCE_HEARTBEAT ({heartbeat}) must be above 0 and below "
                f"PRESENCE_TTL ({ttl}), or live connections expire between "
                "two refreshes.",
                hint="Keep the defaults (TTL 30, heartbeat 10), or a TTL of at "
                "least twice the heartbeat.",
                id="presence.E001",
            )
        ]
    return []
