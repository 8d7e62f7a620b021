"""The wire format of PROTOCOL.md as plain dicts, built in one place.

Sockets, the JSON API and the admin all describe rooms and messages through
these functions, so a field can only ever be spelt one way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chat.models import Message, Room


def user_ref(user) -> dict:
    """PROTOCOL.md UserRef: id, username, display_name (falls back to username)."""
    return user.ref()


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as pydantic writes it (so the JSON API's
    response schemas re-serialize a wire dict to the very same text)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def message_dict(message: Message) -> dict:
    """PROTOCOL.md Message (the `message` frame without `type`).

    Reads message.room and message.author: load them with select_related
    (or through room.messages, which caches the room) to avoid a query each.
    """
    return {
        "id": message.pk,
        "seq": message.seq,
        "room": message.room.slug,
        "user": user_ref(message.author),
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
        "owner": user_ref(room.owner) if room.owner is not None else None,
        "online": online,
    }
