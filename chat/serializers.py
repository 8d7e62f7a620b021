"""Rooms and messages as the wire dicts of PROTOCOL.md (protocol.wire).

Sockets, the JSON API and the admin describe rooms and messages through
these functions, so a field can only ever be spelt one way.
"""

from __future__ import annotations

from chat.models import Message, Room
from protocol.wire import MessageDict, timestamp


def message_dict(message: Message) -> MessageDict:
    """PROTOCOL.md Message (the `message` frame without `type`).

    Reads message.room and message.author: load them with select_related
    (or through room.messages, which caches the room) to avoid a query each.
    """
    return {
        "id": message.pk,
        "seq": message.seq,
        "room": message.room.slug,
        "user": message.author.ref(),
        # A tombstone's body is stored empty already; "" here as well keeps
        # the promise even for a row edited by hand.
        "body": "" if message.deleted else message.body,
        "created_at": timestamp(message.created_at),
        "client_id": message.client_id,
        "deleted": message.deleted,
    }


def room_dict(room: Room, online: int) -> dict:
    """PROTOCOL.md Room; `online` comes from presence.api.room_online_counts."""
    return {
        "slug": room.slug,
        "name": room.name,
        "private": room.private,
        "owner": room.owner.ref() if room.owner is not None else None,
        "online": online,
    }
