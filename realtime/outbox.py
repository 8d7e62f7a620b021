"""Channel-layer sends that met a Redis outage, retried until Redis answers.

A change that is committed (a stored message, a ban, a deletion) must reach
the sockets it concerns even when Redis was away at that moment: the kick
of a banned user, above all, is not repaired by anything else on a socket
that stays open. So a broadcast that fails with an outage is handed here,
and this process's one outbox thread sends it again, oldest first, backing
off from RETRY_FIRST to RETRY_MAX seconds, until it goes through.

A thread with its own event loop, not a task: sync code (a service's
on_commit, the admin, a management command) hands sends over too, and a
task on async_to_sync's short-lived loop would die with that loop. What a
process holds here is lost if it dies before Redis returns: room messages
are then repaired by seq (chat.delivery, resume), and a banned user's next
handshake is refused; only an open socket on another process would miss
its kick. Duplicates are harmless: a message is dropped by seq, a second
close does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from realtime.failures import is_outage

logger = logging.getLogger(__name__)

RETRY_FIRST = 0.5  # seconds
RETRY_MAX = 5.0
MAX_WAITING = 10_000  # sends held at once; past it new ones are dropped (logged)
SEND_TIMEOUT = 5.0  # a hung Redis (SIGSTOP, a partition) counts as down

Send = Callable[..., Awaitable[object]]


class Outbox:
    def __init__(self) -> None:
        self.waiting: queue.Queue[tuple[Send, dict[str, Any]]] = queue.Queue(
            MAX_WAITING
        )
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.sent_late = 0  # for /metrics and tests

    def put(self, send: Send, kwargs: dict[str, Any]) -> None:
        """Retry `send(**kwargs)` until it succeeds (thread-safe, no wait)."""
        try:
            self.waiting.put_nowait((send, kwargs))
        except queue.Full:
            logger.error(
                "Outbox full (%d sends waiting for Redis): %s dropped",
                MAX_WAITING,
                getattr(send, "__name__", send),
            )
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._work, name="outbox", daemon=True
                )
                self.thread.start()

    def backlog(self) -> int:
        return self.waiting.qsize()

    def _work(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                send, kwargs = self.waiting.get()
                self._until_sent(loop, send, kwargs)
        finally:  # pragma: no cover (a daemon thread ends with the process)
            loop.close()

    def _until_sent(self, loop, send: Send, kwargs: dict[str, Any]) -> None:
        delay = RETRY_FIRST
        while True:
            time.sleep(delay)
            try:
                loop.run_until_complete(asyncio.wait_for(send(**kwargs), SEND_TIMEOUT))
            except Exception as error:
                if not is_outage(error):
                    logger.exception("Outbox: %s failed for good", send.__name__)
                    return
                delay = min(delay * 2, RETRY_MAX)
                continue
            self.sent_late += 1
            logger.info("Outbox: %s sent after an outage", send.__name__)
            return


outbox = Outbox()


DEFERRED = object()  # what send_or_later returns for a send left to the outbox


async def send_or_later(send: Send, **kwargs: Any) -> Any:
    """`send(**kwargs)` now and its result; on an outage, hand it to the
    outbox and return DEFERRED (it waits for Redis)."""
    try:
        # No wait_for here (a task per message): the layer's connections
        # time out by themselves (realtime.redis_options).
        return await send(**kwargs)
    except Exception as error:
        if not is_outage(error):
            raise
        logger.warning(
            "Redis unavailable for %s (%s: %s); retrying until it answers",
            send.__name__,
            type(error).__name__,
            error,
        )
        outbox.put(send, kwargs)
        return DEFERRED
