"""Session re-checks of live sockets, one database read per session.

An account event (accounts.live: a deactivation, a password change) asks
every socket of the user to check its session again. A user with 100 tabs
open on one browser has 100 sockets and one session: without this, each
asked the one database thread for itself, and a save loop on one account
slowed every other user's messages (#17 finding 8). Here the sockets of a
session share one check, as long as that check has not yet begun: a check
that begins after an event was received reads what the event announced,
so sharing it loses nothing. Per event loop, like everything async here.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from channels.db import database_sync_to_async

from realtime import metrics


class _Check:
    __slots__ = ("begun", "task")

    def __init__(self) -> None:
        self.begun = False
        self.task: asyncio.Task | None = None


_checks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, _Check]] = (
    weakref.WeakKeyDictionary()
)


async def shared_check(key: tuple, check: Callable[[], bool]) -> bool:
    """`check()` on the database thread, or the result of the same `key`'s
    check that is queued and has not begun yet."""
    table = _checks.setdefault(asyncio.get_running_loop(), {})
    entry = table.get(key)
    if entry is None or entry.begun:
        entry = table[key] = _Check()
        entry.task = asyncio.ensure_future(_run(table, key, entry, check))
    return await asyncio.shield(entry.task)


async def _run(table: dict, key: tuple, entry: _Check, check) -> bool:
    def begin() -> bool:
        entry.begun = True  # from here on a new event needs a new read
        metrics.SESSION_CHECKS.inc()
        return check()

    try:
        return await database_sync_to_async(begin)()
    finally:
        if table.get(key) is entry:
            del table[key]
