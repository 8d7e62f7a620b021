"""Presence changes to this process's sockets of one group, per short tick.

A room that 1,000 people enter costs every present socket a presence.join
per newcomer. Sent one by one, that is a write per join per socket, and
the server's work grows with the square of the room. Here the changes of
the last TICK seconds go out together: their frames are encoded once and
written to each socket in one write (realtime.outbound), a user who joined
and left within the tick (or left and came back) is not mentioned at all,
and a socket still sending its first state gets only what changes its
presence.state (LocalSocket.start). Each client still sees, per user,
joins and leaves that alternate, one per 0→1 and 1→0 it did not already
see in presence.state (PROTOCOL.md, Presence semantics).
"""

from __future__ import annotations

import asyncio

from protocol import wire
from protocol.wire import UserRef
from realtime.outbound import HeldPresence, LocalSocket, encode_text

TICK = 0.05  # seconds; PROTOCOL's joins and leaves may wait this long
JOIN = "presence.join"


def net_changes(changes: list[tuple[str, UserRef]]) -> list[tuple[str, UserRef]]:
    """Of each user's changes in order, what is left once they are taken
    together: nothing when the first and the last differ (join … leave,
    leave … join), else the last. In the order of each user's last change."""
    first: dict[int, str] = {}
    last: dict[int, tuple[str, UserRef]] = {}
    for kind, user in changes:
        user_id = user["id"]
        first.setdefault(user_id, kind)
        last.pop(user_id, None)
        last[user_id] = (kind, user)
    return [(kind, user) for uid, (kind, user) in last.items() if first[uid] == kind]


class PresenceFan:
    """Collects a group's presence changes and sends them every TICK to
    `members` (LocalSockets), as frames of room `room` (None: the site)."""

    def __init__(self, room: str | None, members: set[LocalSocket]) -> None:
        self.room = room
        self.members = members
        self.pending: list[tuple[str, UserRef]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task | None = None

    def add(self, kind: str, user: UserRef) -> None:
        self.pending.append((kind, user))
        if self.timer is None and self.task is None:
            self.timer = asyncio.get_running_loop().call_later(TICK, self._start)

    def _start(self) -> None:
        self.timer = None
        self.task = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        try:
            changes, self.pending = net_changes(self.pending), []
            frames: list[HeldPresence] = [
                (kind, user["id"], self._frame(kind, user)) for kind, user in changes
            ]
            if frames:
                await self._send(frames)
        finally:
            self.task = None
            if self.pending and self.timer is None:
                self.timer = asyncio.get_running_loop().call_later(TICK, self._start)

    def _frame(self, kind: str, user: UserRef) -> str:
        return wire.presence_change(kind, room=self.room, user=user)

    async def _send(self, frames: list[HeldPresence]) -> None:
        everything = [frame for _, _, frame in frames]
        data = encode_text(everything)
        joined = {user_id for kind, user_id, _ in frames if kind == JOIN}
        for sock in list(self.members):
            if not sock.ready:
                sock.hold_presence(frames)
                continue
            news = sock.presence_news(frames)
            if news is not None:
                if news:  # its own join is never news: it is in its state
                    await sock.push_many(news)
            elif sock.user_id in joined:
                # Its own user's join: the client has itself in presence.state.
                own = sock.user_id
                mine = [f for k, uid, f in frames if not (k == JOIN and uid == own)]
                if mine:
                    await sock.push_many(mine)
            else:
                await sock.push_many(everything, data)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None
