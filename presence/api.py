"""Presence: who is where, kept in Redis and shared by every server process.

THIS IS A STUB with the agreed signatures; the presence work replaces the
bodies (see PROTOCOL.md, Presence semantics).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict


class UserRef(TypedDict):
    id: int
    username: str
    display_name: str


async def connect(*, channel_name: str, user: UserRef, room_id: int | None) -> None:
    """Register one live socket (room_id None: a /ws/presence/ socket)."""


async def disconnect(*, channel_name: str) -> None:
    """Unregister one socket; idempotent."""


async def touch(*, channel_name: str) -> None:
    """Refresh one socket now (the client's `ping`)."""


async def room_members(room_id: int) -> list[UserRef]:
    return []


async def online_users() -> list[UserRef]:
    return []


async def room_online_counts(room_ids: Iterable[int]) -> dict[int, int]:
    return dict.fromkeys(room_ids, 0)


async def sweep() -> int:
    return 0
