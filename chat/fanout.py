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

from channels.db import database_sync_to_async

from chat.delivery import OrderedDelivery, room_heads, room_last_seq
from chat.models import Room
from protocol import wire
from realtime import canary
from realtime.groups import room_group
from realtime.outbound import LocalSocket
from realtime.relay import GroupRelay, Relays, fan


class RoomRelay(GroupRelay):
    """The room's one subscription in this process; members: LocalSockets."""

    def __init__(self, room: Room) -> None:
        super().__init__(room_group(room.pk))
        self.room = room
        self.members: set[LocalSocket]
        self.ordered: OrderedDelivery | None = None

    async def subscribed(self) -> None:
        # Read after subscribing: anything newer arrives as an event.
        snapshot = await database_sync_to_async(room_last_seq)(room=self.room)
        self.ordered = OrderedDelivery(
            room=self.room, last_seq=snapshot, send=self._fan_message
        )

    async def stop(self) -> None:
        if self.ordered is not None:
            self.ordered.cancel()
        await super().stop()

    async def handle(self, event: dict) -> None:
        kind = event["type"]
        if kind == "chat.message":
            await self.ordered.deliver(event["seq"], event["frame"])
        elif kind == "chat.typing":
            await self._fan(event["frame"], skip_user=event["user_id"])
        elif kind == "chat.change":
            await self._fan(event["frame"])
        elif kind in ("presence.join", "presence.leave"):
            frame = wire.presence_change(kind, room=self.room.slug, user=event["user"])
            # A socket's own first join: it has itself in presence.state.
            skip = event["user"]["id"] if kind == "presence.join" else None
            await self._fan(frame, skip_user=skip)

    async def _fan_message(self, seq: int, frame: str) -> None:
        for sock in list(self.members):
            if not sock.ready:
                sock.held.append((seq, frame))
            elif seq > sock.last_seq:
                sock.last_seq = seq
                await sock.push(frame)

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
