"""What counts as an outage (Redis or the database unreachable, locked or
timing out) rather than a bug, and one log line for many of them.

An outage fails the one frame or request that met it, which answers
`unavailable` (PROTOCOL.md 1.1, "Server restarts and outages"); a bug closes
the socket with 1011. During an outage every frame fails the same way, so
the log says it once per interval with a count instead of once per frame.
"""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger("realtime.outage")

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OperationalError,  # SQLite "database is locked", a lost PostgreSQL server
    InterfaceError,  # a closed database connection
    ConnectionError,
    TimeoutError,  # asyncio.TimeoutError too (an alias since Python 3.11)
)


class Unavailable(Exception):
    """A service could not finish because Redis or the database is down."""


def is_outage(error: BaseException) -> bool:
    return isinstance(error, (Unavailable, *OUTAGE_ERRORS))


class OutageLog:
    """At most one warning per `interval` seconds, counting the rest."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.last = 0.0
        self.suppressed = 0

    def warning(self, where: str, error: BaseException) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        logger.warning(
            "Outage: %s failed with %s: %s (%d more since the last report)",
            where,
            type(error).__name__,
            error,
            self.suppressed,
        )
        self.last = now
        self.suppressed = 0


outage_log = OutageLog()
