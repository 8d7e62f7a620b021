"""This process's own sockets and the one task that keeps them alive in Redis.

The registry below is the only presence state a process holds, and it is about
its own sockets only (which user, which room): who is present anywhere is read
from Redis. Once per PRESENCE_HEARTBEAT one task refreshes all of them in one
pipeline and sweeps what other processes left behind; no timer per socket.

Redis clients belong to one event loop (realtime.redis_clients), so registry and
task are per running loop too: a server has one, the test suite has many.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from presence import conf
from protocol.wire import UserRef
from realtime import metrics

logger = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Socket:
    """One live socket of this process."""

    socket_id: str
    user: UserRef
    room_id: int | None
    # Set by disconnect before it unregisters: a register that raced with the
    # disconnect (a heartbeat, a touch) sees it and undoes itself.
    closed: bool = False


@dataclass(eq=False)
class Registry:
    sockets: dict[str, Socket] = field(default_factory=dict)
    task: asyncio.Task | None = None
    failing: bool = False


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Registry] = (
    weakref.WeakKeyDictionary()
)


def registry() -> Registry:
    """The registry of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _registries.get(loop)
    if found is None:
        found = _registries[loop] = Registry()
    return found


def interval() -> float:
    """Seconds between two refreshes (read on each use: tests override it)."""
    return conf.heartbeat()


def ensure_running(tick: Callable[[], Awaitable[object]]) -> None:
    """Start the loop's heartbeat task unless it runs already.

    The task ends by itself once the loop has no sockets left, and is cancelled
    with the loop otherwise (asyncio.run and pytest's runners cancel pending
    tasks before closing a loop), so it never outlives its loop.
    """
    current = registry()
    if current.task is None or current.task.done():
        current.task = asyncio.get_running_loop().create_task(
            _beat(current, tick), name="presence-heartbeat"
        )


async def stop() -> None:
    """Cancel the running loop's heartbeat task (tests, shutdown)."""
    current = registry()
    task, current.task = current.task, None
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _beat(current: Registry, tick: Callable[[], Awaitable[object]]) -> None:
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    while current.sockets:
        # A fixed schedule, not sleep(interval) after the work: slow ticks must
        # not stretch the time between refreshes past the interval.
        next_at = max(next_at + interval(), loop.time())
        await asyncio.sleep(next_at - loop.time())
        if not current.sockets:
            break
        try:
            with metrics.REDIS_SECONDS.time():
                await tick()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Redis down or restarting: keep beating; the next tick re-registers
            # whatever Redis lost.
            if not current.failing:
                logger.warning(
                    "Presence heartbeat failed (%s: %s); retrying every %ss.",
                    type(error).__name__,
                    error,
                    interval(),
                )
            current.failing = True
        else:
            if current.failing:
                logger.info("Presence heartbeat recovered.")
            current.failing = False
    # No await between the check above and here: a connect() on this loop
    # either sees the task still running or starts a new one.
    if current.task is asyncio.current_task():
        current.task = None
