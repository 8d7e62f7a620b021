"""What the room's sockets and the account relays learn of a stored change:
new messages, edits, deletions, reactions, typing and bans, as channel-layer events
(protocol.events) with the frames already encoded, so a broadcast to many
sockets serializes each frame once (chat.fanout writes it as it is).

Callers send only what is committed: chat.sending after the store, and
services through `after_commit` once their transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat import activity
from chat.models import Message
from chat.serializers import message_dict
from protocol import events, wire
from protocol.wire import UserRef
from realtime import codes
from realtime.account_events import send_event
from realtime.groups import room_group
from realtime.outbox import send_or_later
from realtime.publish import group_send_many

logger = logging.getLogger(__name__)


async def message_created(message: Message) -> str:
    """The stored message to its room, and its activity to members' site
    sockets, mentioned users and the sender's sockets (chat.activity), in
    one Redis round trip; returns the `message` frame. Raises when the room
    did not get it (the outbox sends it all again: duplicates are dropped
    by seq); a lost badge update is logged, never raised to the sender."""
    data = message_dict(message)
    frame = wire.message(data)
    room = (
        room_group(message.room_id),
        events.chat_message(seq=message.seq, frame=frame),
    )
    failed = await group_send_many([room, *activity.message_events(message, data)])
    if failed[0] is not None:
        raise failed[0]
    for error in failed[1:]:
        if error is not None:
            logger.warning("Activity of message %s not sent: %r", message.pk, error)
    return frame


async def message_deleted(
    *, room_id: int, slug: str, message_id: int, seq: int, rev: int
) -> None:
    """Tell the room's sockets that a message became a tombstone."""
    frame = wire.message_deleted(id=message_id, seq=seq, room=slug, rev=rev)
    await message_changed(room_id=room_id, frame=frame)


async def message_changed(*, room_id: int, frame: str) -> None:
    """A committed edit, deletion or reaction change (its frame, with its
    rev) to every socket of the room."""
    await get_channel_layer().group_send(
        room_group(room_id), events.chat_change(frame=frame)
    )


async def typing(*, room_id: int, slug: str, user: UserRef, active: bool) -> None:
    frame = wire.typing(room=slug, user=user, active=active)
    await get_channel_layer().group_send(
        room_group(room_id), events.chat_typing(user_id=user["id"], frame=frame)
    )


async def room_recheck(*, room_id: int) -> None:
    """Who may open the room changed: its sockets that may not stay close."""
    await get_channel_layer().group_send(room_group(room_id), events.room_recheck())


async def room_updated(*, room_id: int, slug: str, name: str, description: str) -> None:
    """The new name and description to the room and to its members' site
    sockets (their room lists show the name)."""
    frame = wire.room_updated(room=slug, name=name, description=description)
    await asyncio.gather(
        get_channel_layer().group_send(
            room_group(room_id), events.room_changed(room_id=room_id, frame=frame)
        ),
        activity.room_changed(room_id=room_id, frame=frame),
    )


async def user_kicked(
    *, user_id: int, room_id: int | None, code: int = codes.FORBIDDEN
) -> None:
    """Close the user's sockets to one room (room_id None: all of them)."""
    await send_event(events.user_kick(user_id=user_id, room_id=room_id, code=code))


def after_commit(send: Callable[..., Awaitable[None]], **kwargs: object) -> None:
    """Run the broadcast `send(**kwargs)` once the current transaction commits
    (from sync code: a service, the admin). Redis down then: the outbox
    sends it once Redis answers (a kick must not be lost)."""

    def run() -> None:
        async_to_sync(send_or_later)(send, **kwargs)

    # A named function, not a partial: Django's robust on_commit logs a
    # failure by the callback's __qualname__.
    run.__qualname__ = f"broadcast.{send.__name__}"
    transaction.on_commit(run, robust=True)
