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
from realtime.user_events import frame_event, send_frame, send_to_user

logger = logging.getLogger(__name__)


def message_events(message: Message, data: dict | None = None) -> list[tuple]:
    """The (group, event) pairs that tell everyone beyond its room's sockets
    of a new message (realtime.publish.group_send_many sends them with the
    room's); `data`: its message_dict, when the caller has it."""
    slug = message.room.slug
    sends = [
        (
            activity_group(message.room_id),
            events.room_activity(
                room_id=message.room_id,
                slug=slug,
                seq=message.seq,
                user=message.author.ref(),
                mentions=list(message.mentions),
            ),
        )
    ]
    unread, mentions = getattr(message, "sender_unread", (0, 0))
    read = wire.read(room=slug, last_read=message.seq, unread=unread, mentions=mentions)
    sends.append(frame_event(message.author_id, read))
    mentioned = [uid for uid in message.mentions if uid != message.author_id]
    if mentioned:
        frame = wire.mention(room=slug, message=data or message_dict(message))
        sends.extend(frame_event(uid, frame, site_only=True) for uid in mentioned)
    return sends


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
