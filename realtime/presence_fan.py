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
see in presence.state (PROTOCOL.md, Presence semantics). A client that
opened its socket with `?presence=diff` gets a tick's changes as one
presence.diff frame instead (README, Presence diffs): a frame to read per
tick, not per newcomer.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from protocol import wire
from protocol.wire import UserRef
from realtime.outbound import JOIN, LocalSocket, PresenceChange
from realtime.transport import encode_text

TICK = 0.05  # seconds; PROTOCOL's joins and leaves may wait this long
BAD_OPTION = (
    "`presence` must be `diff`; this socket gets presence.join and presence.leave."
)


def wants_diff(scope: dict) -> tuple[bool, str | None]:
    """`?presence=diff` (README, Presence diffs): (True, None); (False, why)
    for any other `presence` query; (False, None) without one."""
    query = parse_qs(
        scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    )
    values = query.get("presence")
    if values is None:
        return False, None
    if values != ["diff"]:
        return False, BAD_OPTION
    return True, None


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
            if changes:
                await self._send([self._change(kind, user) for kind, user in changes])
        finally:
            self.task = None
            if self.pending and self.timer is None:
                self.timer = asyncio.get_running_loop().call_later(TICK, self._start)

    def _change(self, kind: str, user: UserRef) -> PresenceChange:
        return PresenceChange(
            kind,
            user["id"],
            wire.presence_change(kind, room=self.room, user=user),
            wire.user_json(user),
        )

    async def _send(self, changes: list[PresenceChange]) -> None:
        # What most sockets get, by the kind of frames they asked for: made
        # once, when the first such socket needs it.
        shared: dict[bool, tuple[list[str], bytes]] = {}
        joined = {c.user_id for c in changes if c.kind == JOIN}
        for sock in list(self.members):
            if not sock.ready:
                sock.hold_presence(changes)
                continue
            news = sock.presence_news(changes)
            if news is None and sock.user_id in joined:
                # Its own user's join: the client has itself in presence.state.
                own = sock.user_id
                news = [c for c in changes if not (c.kind == JOIN and c.user_id == own)]
            # News is in the order of `changes`: all of them (most sockets
            # of a filling room) is the frames every other socket gets.
            if news is not None and len(news) < len(changes):
                if news:  # its own join is never news: it is in its state
                    await sock.push_many(sock.presence_frames(news))
                continue
            kind = sock.presence_diff
            if kind not in shared:
                frames = sock.presence_frames(changes)
                shared[kind] = (frames, encode_text(frames))
            await sock.push_many(*shared[kind])

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None
