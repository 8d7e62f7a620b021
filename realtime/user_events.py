"""What every socket of one user must hear, on every process: read markers,
mentions, memberships beginning and ending (PROTOCOL.md 1.1).

Events go to user_group(user_id) (protocol.events: user.frame,
user.membership). Each process subscribes, on its one channel
(realtime.keyed), to the groups of the users it has sockets of, so an event
reaches only the processes that hold that user's sockets. Each socket of the
user then runs its handler for the event type (`user_frame`,
`user_membership`), in the order the events were published.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

from channels.consumer import get_handler_name
from channels.layers import get_channel_layer

from protocol import events
from realtime.groups import user_group
from realtime.keyed import KeyedRelay, PerLoop

logger = logging.getLogger(__name__)


async def send_to_user(user_id: int, event: dict) -> None:
    """An event (protocol.events, with a `user_id`) to every socket of the user."""
    await get_channel_layer().group_send(user_group(user_id), event)


def frame_event(
    user_id: int, frame: str, *, site_only: bool = False
) -> tuple[str, dict]:
    """The (group, event) of send_frame, for realtime.publish.group_send_many."""
    event = events.user_frame(user_id=user_id, frame=frame, site_only=site_only)
    return user_group(user_id), event


async def send_frame(user_id: int, frame: str, *, site_only: bool = False) -> None:
    """`frame` to every socket of the user (site_only: /ws/presence/ only)."""
    await get_channel_layer().group_send(
        *frame_event(user_id, frame, site_only=site_only)
    )


class UserRelay(KeyedRelay):
    event_key = "user_id"

    async def handle(self, key: Hashable, event: dict, members: set) -> None:
        name = get_handler_name(event)
        for sock in list(members):
            handler = getattr(sock, name, None)
            if handler is None:
                continue
            try:
                await handler(event)
            except Exception:
                logger.exception("A socket failed on %s", event["type"])


_relay = PerLoop(lambda: UserRelay(user_group))


class UserEvents:
    """For sockets: `watch_user_events()` once the user is known, and
    `unwatch_user_events()` when the socket ends; define a handler per event
    type the socket cares about (`user_frame(event)`, ...)."""

    async def watch_user_events(self) -> None:
        await _relay.get().join(self.user.pk, self)

    async def unwatch_user_events(self) -> None:
        await _relay.get().leave(self.user.pk, self)
