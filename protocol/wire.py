"""Every frame the server sends (PROTOCOL.md, Server → client), one function
each, encoded once here so a field can only ever be spelt one way.

The functions take plain values (a UserRef, a MessageDict), never models:
chat.serializers turns a stored Message into a MessageDict. The JSON text is
json.dumps' default spelling, which clients and the benchmark already parse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypedDict


class UserRef(TypedDict):
    id: int
    username: str
    display_name: str


class ReactionDict(TypedDict):
    emoji: str
    count: int
    users: list[int]


class MessageDict(TypedDict):
    """PROTOCOL.md Message: the `message` frame without `type`."""

    id: int
    seq: int
    room: str
    user: UserRef
    body: str
    created_at: str
    client_id: str | None
    deleted: bool
    edited_at: str | None
    rev: int  # the room revision of the message's last change
    reactions: list[ReactionDict]
    mentions: list[int]  # ids of the users the body mentions, ascending


class RoomDict(TypedDict):
    """PROTOCOL.md Room, as one viewer sees it (1.0 fields, then 1.1)."""

    slug: str
    name: str
    private: bool
    owner: UserRef | None
    online: int
    kind: str
    description: str
    member: bool
    last_seq: int
    last_read: int
    unread: int
    mentions: int
    muted: bool
    peer: UserRef | None


def user_ref(*, id: int, username: str, display_name: str) -> UserRef:
    """UserRef with display_name falling back to the username."""
    return {
        "id": int(id),
        "username": str(username),
        "display_name": str(display_name or username),
    }


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as pydantic writes it (so the JSON API's
    response schemas re-serialize a wire dict to the very same text)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame)


def message(msg: MessageDict) -> str:
    return encode({"type": "message", **msg})


def message_deleted(*, id: int, seq: int, room: str, rev: int) -> str:
    return encode(
        {"type": "message.deleted", "id": id, "seq": seq, "room": room, "rev": rev}
    )


def message_edited(
    *,
    id: int,
    seq: int,
    room: str,
    body: str,
    edited_at: str,
    mentions: list[int],
    rev: int,
) -> str:
    return encode(
        {
            "type": "message.edited",
            "id": id,
            "seq": seq,
            "room": room,
            "body": body,
            "edited_at": edited_at,
            "mentions": mentions,
            "rev": rev,
        }
    )


def reaction(
    *, room: str, id: int, seq: int, emoji: str, user: UserRef, added: bool, rev: int
) -> str:
    return encode(
        {
            "type": "reaction",
            "room": room,
            "id": id,
            "seq": seq,
            "emoji": emoji,
            "user": user,
            "added": added,
            "rev": rev,
        }
    )


def history(
    *, room: str, messages: Iterable[MessageDict], has_more: bool, **echo: Any
) -> str:
    """`echo`: the `before` or `after` of the request being answered; on the
    first frame, the room's `rev` (and on a resume `changed`)."""
    return encode(
        {
            "type": "history",
            "room": room,
            "messages": list(messages),
            "has_more": has_more,
            **echo,
        }
    )


def presence_state(*, room: str | None, users: list[UserRef]) -> str:
    return encode({"type": "presence.state", "room": room, "users": users})


def presence_change(kind: str, *, room: str | None, user: UserRef) -> str:
    """`presence.join` or `presence.leave` (`kind`)."""
    if kind not in ("presence.join", "presence.leave"):
        raise ValueError(kind)
    return encode({"type": kind, "room": room, "user": user})


def user_json(user: UserRef) -> str:
    """A UserRef as it stands inside a frame: a `presence.diff` part."""
    return encode(user)


def presence_diff(*, room: str | None, joins: list[str], leaves: list[str]) -> str:
    """`presence.diff` (README, Presence diffs) from its users' `user_json`:
    put together, not encoded again, since each socket of a filling room may
    need its own part of one tick's changes. The same text as encode()."""
    return (
        f'{{"type": "presence.diff", "room": {encode(room)}, '
        f'"joins": [{", ".join(joins)}], "leaves": [{", ".join(leaves)}]}}'
    )


def typing(*, room: str, user: UserRef, active: bool) -> str:
    return encode({"type": "typing", "room": room, "user": user, "active": active})


def read(*, room: str, last_read: int, unread: int, mentions: int) -> str:
    """A read marker moved: to every socket of its user (PROTOCOL.md 1.1)."""
    return encode(
        {
            "type": "read",
            "room": room,
            "last_read": last_read,
            "unread": unread,
            "mentions": mentions,
        }
    )


def room_activity(*, room: str, seq: int, user: UserRef, mention: bool) -> str:
    return encode(
        {
            "type": "room.activity",
            "room": room,
            "seq": seq,
            "user": user,
            "mention": mention,
        }
    )


def mention(*, room: str, message: MessageDict) -> str:
    return encode({"type": "mention", "room": room, "message": message})


def room_added(room: RoomDict) -> str:
    return encode({"type": "room.added", "room": room})


def room_removed(*, room: str) -> str:
    return encode({"type": "room.removed", "room": room})


def room_updated(*, room: str, name: str, description: str) -> str:
    return encode(
        {"type": "room.updated", "room": room, "name": name, "description": description}
    )


PONG = '{"type": "pong"}'


def error(code: str, detail: str, ref: str | None = None) -> str:
    """An `error` frame; `ref` is the offending frame's client_id."""
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if ref is not None:
        frame["ref"] = ref
    return encode(frame)
