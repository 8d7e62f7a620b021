"""Channel-layer events about deletions and bans, sent after the database
change commits (services register the sync wrappers with on_commit).

Two event types:
- `chat.deleted` to room_group(room_id), for the room's relays
  (chat.fanout): `frame` is the `message.deleted` frame already encoded, so
  a broadcast to many sockets serializes it once;
- `user.kick` to the account relays (accounts.live): close the user's
  sockets to `room_id` (None: every socket of the user) with `code`.
"""

from __future__ import annotations

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.live import send_event
from project.groups import room_group

BANNED_CLOSE_CODE = 4403


async def message_deleted(
    *, room_id: int, slug: str, message_id: int, seq: int
) -> None:
    """Tell the room's sockets that a message became a tombstone."""
    frame = json.dumps(
        {"type": "message.deleted", "id": message_id, "seq": seq, "room": slug}
    )
    await get_channel_layer().group_send(
        room_group(room_id), {"type": "chat.deleted", "frame": frame}
    )


async def user_kicked(
    *, user_id: int, room_id: int | None, code: int = BANNED_CLOSE_CODE
) -> None:
    """Close the user's sockets to one room (room_id None: all of them)."""
    await send_event(
        {"type": "user.kick", "user_id": user_id, "room_id": room_id, "code": code}
    )


def message_deleted_sync(*, room_id: int, slug: str, message_id: int, seq: int) -> None:
    """message_deleted from sync code (an on_commit callback, the admin)."""
    async_to_sync(message_deleted)(
        room_id=room_id, slug=slug, message_id=message_id, seq=seq
    )


def user_kicked_sync(
    *, user_id: int, room_id: int | None, code: int = BANNED_CLOSE_CODE
) -> None:
    """user_kicked from sync code (an on_commit callback, the admin)."""
    async_to_sync(user_kicked)(user_id=user_id, room_id=room_id, code=code)
