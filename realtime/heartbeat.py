"""A periodic task per event loop, running only while there is work.

Presence (presence.local) and the socket cap (realtime.socketcap) keep
records of this process's sockets in Redis that expire unless refreshed;
each refreshes all of its records in one go per interval with one of these,
never with a timer per socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Heartbeat:
    """Calls `tick()` every `interval()` seconds while `busy()` is true.

    `ensure_running()` starts the task unless it runs already; it ends by
    itself once `busy()` is false, and is cancelled with its loop otherwise
    (asyncio.run and pytest's runners cancel pending tasks before closing a
    loop), so it never outlives its loop. A failing tick (Redis away) is
    logged once and retried on the next beat.
    """

    def __init__(
        self,
        name: str,
        tick: Callable[[], Awaitable[object]],
        busy: Callable[[], bool],
        interval: Callable[[], float],
    ) -> None:
        self.name = name
        self.tick = tick
        self.busy = busy
        self.interval = interval
        self.task: asyncio.Task | None = None
        self.failing = False

    def ensure_running(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(
                self._beat(), name=self.name
            )

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                # Our own cancellation is re-raised; only the task's is eaten.
                if asyncio.current_task().cancelling():
                    raise

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self.busy():
            # A fixed schedule, not sleep(interval) after the work: slow ticks
            # must not stretch the time between refreshes past the interval.
            next_at = max(next_at + self.interval(), loop.time())
            await asyncio.sleep(next_at - loop.time())
            if not self.busy():
                break
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not self.failing:
                    logger.warning(
                        "%s failed (%s: %s); retrying every %ss.",
                        self.name,
                        type(error).__name__,
                        error,
                        self.interval(),
                    )
                self.failing = True
            else:
                if self.failing:
                    logger.info("%s recovered.", self.name)
                self.failing = False
        # No await between the check above and here: a caller on this loop
        # either sees the task still running or starts a new one.
        if self.task is asyncio.current_task():
            self.task = None
