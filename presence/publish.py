"""Presence changes to the channel layer, a few events for many changes.

Whoever a script gave a join or a leave broadcasts it (presence.api). In a
reconnect storm that is two publishes per socket; here the changes that
wait while a publish is in flight go out together, one event
(protocol.events.presence_changes) per group, in the order they were
decided. A quiet process publishes each change at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer

from protocol import events
from protocol.wire import UserRef
from realtime.groups import SITE_GROUP, room_group

logger = logging.getLogger(__name__)


class _Publisher:
    def __init__(self) -> None:
        # room id (None: the site) -> [(kind, user)], in decision order
        self.pending: dict[int | None, list[tuple[str, UserRef]]] = {}
        self.waiters: list[asyncio.Future] = []
        self.task: asyncio.Task | None = None

    async def flush(self) -> None:
        try:
            while self.pending:
                pending, self.pending = self.pending, {}
                waiters, self.waiters = self.waiters, []
                layer = get_channel_layer()
                results = await asyncio.gather(
                    *(
                        layer.group_send(
                            SITE_GROUP if room_id is None else room_group(room_id),
                            events.presence_changes(room_id=room_id, changes=changes),
                        )
                        for room_id, changes in pending.items()
                    ),
                    return_exceptions=True,
                )
                # The scripts already decided the transitions; a lost
                # broadcast (Redis down) cannot be retried meaningfully, so it
                # is logged, not raised.
                for result in results:
                    if isinstance(result, BaseException):
                        logger.warning("Presence broadcast failed: %s", result)
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            self.task = None


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Publisher] = (
    weakref.WeakKeyDictionary()
)


async def publish(kind: str, changes: list[tuple[int | None, UserRef]]) -> None:
    """Broadcast `kind` (presence.join or presence.leave) for each (scope,
    user); returns once they were published."""
    if not changes:
        return
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    for room_id, user in changes:
        publisher.pending.setdefault(room_id, []).append((kind, user))
    waiter = loop.create_future()
    publisher.waiters.append(waiter)
    if publisher.task is None:
        publisher.task = loop.create_task(publisher.flush())
    await asyncio.shield(waiter)
