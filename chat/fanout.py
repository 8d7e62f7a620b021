"""Each room's live frames, from one subscription per room per process to
that process's sockets in the room (realtime.relay).

Per-socket channel-layer groups cost, for every delivery, a decode of the
event, a task, channels' dispatch and a lock (bench/RESULTS.md: ~45 % of
83 µs per delivery). Here each process subscribes once per room it has
sockets in; every event of the room is decoded once, put in seq order once
(chat.delivery, room-wide), encoded once, and written to each local socket,
which never waits for another (realtime.outbound.LocalSocket: a slow one is
closed with 1013 and resumes with ?after=<seq>).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from channels.db import database_sync_to_async

from chat import selectors
from chat.delivery import OrderedDelivery, room_heads, room_last_seq
from chat.models import Room
from realtime import canary, codes
from realtime.groups import room_group
from realtime.outbound import LocalSocket
from realtime.presence_fan import PresenceFan
from realtime.relay import GroupRelay, Relays, fan
from realtime.transport import encode_text

T = TypeVar("T")
# Events after which a room's history reads the same.
UNCHANGING = frozenset({"chat.typing", "presence.changes"})
logger = logging.getLogger(__name__)


class RoomRelay(GroupRelay):
    """The room's one subscription in this process; members: LocalSockets."""

    def __init__(self, room: Room) -> None:
        super().__init__(room_group(room.pk))
        self.room = room
        self.members: set[LocalSocket]
        self.ordered: OrderedDelivery | None = None
        self.presence = PresenceFan(room.slug, self.members)
        # The room's first history frame as last read (see first_history).
        self.history: asyncio.Future | None = None

    def first_history(self, read: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """`read()`'s result, shared by the sockets that join while nothing
        happens in the room: a room that 1,000 people enter is read and
        encoded once, not 1,000 times.

        Valid for a socket that asks after joining: the read saw every
        message delivered before it started (stored before broadcast), and
        whatever the relay gets after the read started (a message, a
        deletion, an edit, any event but typing and presence) drops the
        shared result, so anything newer reaches the socket as a live
        event, held until its history is sent.
        """
        if self.history is None:
            self.history = asyncio.ensure_future(read())
            self.history.add_done_callback(self._read_done)
        return asyncio.shield(self.history)

    def _read_done(self, future: asyncio.Future) -> None:
        failed = future.cancelled() or future.exception() is not None
        if failed and self.history is future:
            self.history = None  # the next socket reads again
        self.rechecks: set[asyncio.Task] = set()

    async def subscribed(self) -> None:
        # Read after subscribing: anything newer arrives as an event.
        snapshot = await database_sync_to_async(room_last_seq)(room=self.room)
        self.ordered = OrderedDelivery(
            room=self.room, last_seq=snapshot, send=self._fan_message
        )

    async def stop(self) -> None:
        if self.ordered is not None:
            self.ordered.cancel()
        self.presence.cancel()
        await super().stop()

    async def handle(self, event: dict) -> None:
        kind = event["type"]
        if kind not in UNCHANGING:
            self.history = None
        if kind == "chat.message":
            await self.ordered.deliver(event["seq"], event["frame"])
        elif kind == "chat.typing":
            await self._fan(event["frame"], skip_user=event["user_id"])
        elif kind in ("chat.change", "room.changed"):
            await self._fan(event["frame"])
        elif kind == "presence.changes":
            for change, user in event["changes"]:
                self.presence.add(change, user)
        elif kind == "room.recheck":
            # In a task: the room's messages keep flowing meanwhile.
            task = asyncio.ensure_future(self._recheck())
            self.rechecks.add(task)
            task.add_done_callback(self.rechecks.discard)

    async def _recheck(self) -> None:
        """Close this process's sockets of users who may no longer open the
        room (removed from a private room, or it became private): they stop
        receiving, posting and paging at once, as after a ban."""
        try:
            refused = await database_sync_to_async(selectors.room_access)(
                room_id=self.room.pk, user_ids={s.user_id for s in self.members}
            )
            for sock in list(self.members):
                reason = refused.get(sock.user_id)
                if reason is not None and sock.close is not None:
                    banned = reason == "banned"
                    await sock.close(codes.FORBIDDEN if banned else codes.NOT_FOUND)
        except Exception:
            logger.exception("Recheck of room %s failed", self.room.pk)

    async def _fan_message(self, seq: int, frame: str) -> None:
        self.history = None  # also for messages a repair read back
        data = encode_text([frame])  # once for every socket
        for sock in list(self.members):
            if not sock.ready:
                sock.held.append((seq, frame))
            elif seq > sock.last_seq:
                sock.last_seq = seq
                await sock.push(frame, data)

    async def _fan(self, frame: str, skip_user: int | None = None) -> None:
        await fan(self.members, frame, skip_user)


# Keyed by Room: model instances hash and compare by pk.
_relays: Relays[RoomRelay] = Relays(RoomRelay)


async def _note_heads() -> None:
    """On every pub/sub canary tick: the stored heads of this process's rooms
    (one query), so a lost last message is read back (OrderedDelivery)."""
    relays = [r for r in _relays.current().values() if r.ordered is not None]
    if relays:
        heads = await database_sync_to_async(room_heads)(
            room_ids=[r.room.pk for r in relays]
        )
        for relay in relays:
            await relay.ordered.note_head(heads.get(relay.room.pk, 0))


canary.on_tick(_note_heads)


async def join(room: Room, sock: LocalSocket) -> RoomRelay:
    """Receive the room's live frames on `sock` (held until sock.start())."""
    return await _relays.join(room, sock)


async def leave(room: Room, sock: LocalSocket) -> None:
    sock.cancel()
    await _relays.leave(room, sock)
