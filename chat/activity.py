"""What users hear beyond the room they look at (PROTOCOL.md 1.1, Activity,
mentions and the site socket), published once per change:

- a stored message: one `room.activity` event to activity_group(room) (each
  process fans it out to its own site sockets of the room's members:
  chat.site), a `mention` frame to each mentioned user, and a `read` frame
  to its sender, whose marker moved (chat.store);
- a membership that begins, ends or is muted: one event to the user's
  group (realtime.user_events), which their site sockets follow.

Nothing here reads the members of a room: publishing costs the same for a
room of two and one of ten thousand.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from accounts.models import User
from chat import roomviews
from chat.models import Message
from chat.serializers import message_dict
from presence import api as presence
from protocol import events, wire
from realtime.groups import activity_group
from realtime.user_events import send_frame, send_to_user

logger = logging.getLogger(__name__)


async def message_stored(message: Message) -> None:
    """A new message to everyone beyond its room's sockets."""
    author = message.author.ref()
    sends = [
        get_channel_layer().group_send(
            activity_group(message.room_id),
            events.room_activity(
                room_id=message.room_id,
                slug=message.room.slug,
                seq=message.seq,
                user=author,
                mentions=list(message.mentions),
            ),
        )
    ]
    unread, mentions = getattr(message, "sender_unread", (0, 0))
    sends.append(
        send_frame(
            message.author_id,
            wire.read(
                room=message.room.slug,
                last_read=message.seq,
                unread=unread,
                mentions=mentions,
            ),
        )
    )
    mentioned = [uid for uid in message.mentions if uid != message.author_id]
    if mentioned:
        frame = wire.mention(room=message.room.slug, message=message_dict(message))
        sends.extend(send_frame(uid, frame, site_only=True) for uid in mentioned)
    # The message is stored and its room told already: a lost badge update
    # is logged, never raised to the sender.
    for result in await asyncio.gather(*sends, return_exceptions=True):
        if isinstance(result, BaseException):
            logger.warning("Activity of message %s not sent: %r", message.pk, result)


async def mention_added(*, user_ids: list[int], frame: str) -> None:
    """An edit that newly mentions `user_ids`: the `mention` frame (built
    in the edit's transaction) to their site sockets."""
    await asyncio.gather(*(send_frame(uid, frame, site_only=True) for uid in user_ids))


async def room_changed(*, room_id: int, frame: str) -> None:
    """room.updated to the site sockets of the room's members."""
    await get_channel_layer().group_send(
        activity_group(room_id), events.room_changed(room_id=room_id, frame=frame)
    )


async def _online(room_id: int) -> int:
    try:
        return (await presence.room_online_counts([room_id])).get(room_id, 0)
    except (RedisError, OSError):
        return 0


async def member_added(*, room_id: int, user_id: int) -> None:
    """room.added to the new member's site sockets, which start following
    the room's activity."""
    user = await _user(user_id)
    room = user and await database_sync_to_async(roomviews.room_view)(room_id, user)
    if room is None or room.membership_id is None:
        return  # gone again before this ran: its removal is on its way
    frame = wire.room_added(roomviews.room_dict(room, await _online(room_id)))
    await send_to_user(
        user_id,
        events.user_membership(
            user_id=user_id,
            room_id=room_id,
            member=True,
            muted=bool(room.my_muted),
            frame=frame,
        ),
    )


async def member_removed(*, room_id: int, slug: str, user_id: int) -> None:
    await send_to_user(
        user_id,
        events.user_membership(
            user_id=user_id,
            room_id=room_id,
            member=False,
            muted=False,
            frame=wire.room_removed(room=slug),
        ),
    )


async def membership_changed(*, user_id: int, room_id: int, muted: bool) -> None:
    """The member muted or unmuted the room: their site sockets follow."""
    await send_to_user(
        user_id,
        events.user_membership(
            user_id=user_id, room_id=room_id, member=True, muted=muted, frame=None
        ),
    )


@database_sync_to_async
def _user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()
