"""What travels on the channel layer between processes (like Zulip's event
types): one TypedDict and one constructor per event.

Room events go to realtime.groups.room_group(room_id) and reach each
process's room relay (chat.fanout); presence events also go to SITE_GROUP;
account events go to ACCOUNTS_GROUP (realtime.account_events). Frames that
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
