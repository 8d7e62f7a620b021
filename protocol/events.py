"""What travels on the channel layer between processes (like Zulip's event
types): one TypedDict and one constructor per event.

Room events go to realtime.groups.room_group(room_id) and reach each
process's room relay (chat.fanout); presence events also go to SITE_GROUP;
account events go to ACCOUNTS_GROUP (realtime.account_events); what one
user's sockets must hear goes to user_group(user_id) (realtime.user_events);
what members' site sockets must hear goes to activity_group(room_id)
(chat.activity). Frames that
many sockets receive travel pre-encoded (`frame`), so a process encodes them
once, not once per socket.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from protocol.wire import UserRef


class ChatMessage(TypedDict):
    type: Literal["chat.message"]
    seq: int
    frame: str


class ChatTyping(TypedDict):
    type: Literal["chat.typing"]
    user_id: int
    frame: str


class ChatChange(TypedDict):
    """An edit, deletion or reaction change: the frame for every socket."""

    type: Literal["chat.change"]
    frame: str


class PresenceChange(TypedDict):
    type: Literal["presence.join", "presence.leave"]
    user: UserRef
    room_id: int | None


class PresenceChanges(TypedDict):
    """The presence changes one process decided for one scope, in order:
    [kind, UserRef] pairs, kind presence.join or presence.leave (one event
    for many, so a storm of connects is a few publishes, not one each)."""

    type: Literal["presence.changes"]
    room_id: int | None
    changes: list[list]


class UserRecheck(TypedDict):
    type: Literal["user.recheck"]
    user_id: int


class UserKick(TypedDict):
    type: Literal["user.kick"]
    user_id: int
    room_id: int | None
    code: int


class SessionKick(TypedDict):
    type: Literal["session.kick"]
    user_id: int
    session: str
    code: int


class RoomRecheck(TypedDict):
    """Who may open the room changed (a member removed, the kind changed):
    each process checks its own sockets of the room again."""

    type: Literal["room.recheck"]


class RoomChanged(TypedDict):
    """Name or description changed: to the room and to members' site sockets."""

    type: Literal["room.changed"]
    room_id: int
    frame: str


class RoomActivity(TypedDict):
    """A message was stored: to activity_group(room_id), once per message;
    each process decides which of its site sockets hear it."""

    type: Literal["room.activity"]
    room_id: int
    slug: str
    seq: int
    user: UserRef
    mentions: list[int]


class UserFrame(TypedDict):
    """A frame for every socket of one user (`site_only`: only their
    /ws/presence/ sockets)."""

    type: Literal["user.frame"]
    user_id: int
    frame: str
    site_only: bool


class UserMembership(TypedDict):
    """The user's membership of a room began, changed or ended: site sockets
    follow the room's activity (or stop), and push `frame` when there is one."""

    type: Literal["user.membership"]
    user_id: int
    room_id: int
    member: bool
    muted: bool
    frame: str | None


def chat_message(*, seq: int, frame: str) -> ChatMessage:
    return {"type": "chat.message", "seq": seq, "frame": frame}


def chat_typing(*, user_id: int, frame: str) -> ChatTyping:
    return {"type": "chat.typing", "user_id": user_id, "frame": frame}


def chat_change(*, frame: str) -> ChatChange:
    return {"type": "chat.change", "frame": frame}


def presence_change(kind: str, *, user: UserRef, room_id: int | None) -> PresenceChange:
    return {"type": kind, "user": user, "room_id": room_id}  # type: ignore[typeddict-item]


def user_recheck(*, user_id: int) -> UserRecheck:
    return {"type": "user.recheck", "user_id": user_id}


def presence_changes(
    *, room_id: int | None, changes: list[tuple[str, UserRef]]
) -> PresenceChanges:
    return {
        "type": "presence.changes",
        "room_id": room_id,
        "changes": [[kind, user] for kind, user in changes],
    }


def user_kick(*, user_id: int, room_id: int | None, code: int) -> UserKick:
    return {"type": "user.kick", "user_id": user_id, "room_id": room_id, "code": code}


def session_kick(*, user_id: int, session: str, code: int) -> SessionKick:
    return {
        "type": "session.kick",
        "user_id": user_id,
        "session": session,
        "code": code,
    }


def room_recheck() -> RoomRecheck:
    return {"type": "room.recheck"}


def room_changed(*, room_id: int, frame: str) -> RoomChanged:
    return {"type": "room.changed", "room_id": room_id, "frame": frame}


def room_activity(
    *, room_id: int, slug: str, seq: int, user: UserRef, mentions: list[int]
) -> RoomActivity:
    return {
        "type": "room.activity",
        "room_id": room_id,
        "slug": slug,
        "seq": seq,
        "user": user,
        "mentions": mentions,
    }


def user_frame(*, user_id: int, frame: str, site_only: bool) -> UserFrame:
    return {
        "type": "user.frame",
        "user_id": user_id,
        "frame": frame,
        "site_only": site_only,
    }


def user_membership(
    *, user_id: int, room_id: int, member: bool, muted: bool, frame: str | None
) -> UserMembership:
    return {
        "type": "user.membership",
        "user_id": user_id,
        "room_id": room_id,
        "member": member,
        "muted": muted,
        "frame": frame,
    }
