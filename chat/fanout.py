"""One subscription per room per process, fanning frames out to local sockets.

Per-socket channel-layer groups cost, for every delivery, a decode of the
event, a task, channels' dispatch and a lock (bench/RESULTS.md: ~45 % of
83 µs per delivery). Here each process subscribes once per room it has
sockets in; every event of the room is decoded once, put in seq order once
(chat.delivery, room-wide), encoded once, and written to each local socket.

A socket whose transport is writable gets the frame at once (uvicorn's send
then returns without suspending). One that is not writable (a slow reader)
gets a queue of its own and one task draining it; past
settings.CHAT_SOCKET_BACKLOG waiting frames it loses them and is closed with
1013 ("reconnect and resume with ?after=<seq>"). So no socket waits for another.

The state here is about this process's own sockets only, as it must be:
what users see across processes travels through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from chat.delivery import OrderedDelivery, room_last_seq
from chat.models import Room
from project.groups import room_group

logger = logging.getLogger(__name__)

Send = Callable[[dict], Awaitable[None]]


def transport_send(send: Send) -> tuple[Send, asyncio.Event | None]:
    """The ASGI server's own send under channels' wrappers, and its
    `writable` event where the server has one (uvicorn's WebSocket protocol).

    channels' session middleware wraps `send` only to save sessions on HTTP
    responses; a WebSocket frame needs none of that.
    """
    while hasattr(getattr(send, "__self__", None), "real_send"):
        send = send.__self__.real_send
    writable = getattr(getattr(send, "__self__", None), "writable", None)
    if not isinstance(writable, asyncio.Event):
        writable = None
    return send, writable


class LocalSocket:
    """One socket of this process, as the room's relay sees it."""

    def __init__(
        self, *, user_id: int, send: Send, on_overflow: Callable[[], Awaitable[None]]
    ) -> None:
        self.user_id = user_id
        self.send, self.writable = transport_send(send)
        self.on_overflow = on_overflow
        self.last_seq = 0
        self.ready = False
        self.held: list[tuple[int | None, str]] = []
        self.queue: deque[str] = deque()
        self.drainer: asyncio.Task | None = None
        self.closer: asyncio.Task | None = None
        self.gone = False

    def start(self, last_seq: int) -> None:
        """The client has its history up to last_seq: send what was held
        since the socket joined that it still needs, then everything live."""
        self.last_seq = last_seq
        self.ready = True
        for seq, frame in self.held:
            if seq is None:
                self.queue.append(frame)
            elif seq > self.last_seq:
                self.last_seq = seq
                self.queue.append(frame)
        self.held = []
        # Through the queue: frames fanned out meanwhile go behind these.
        if self.queue and self.drainer is None:
            self.drainer = asyncio.ensure_future(self._drain())

    async def push(self, frame: str) -> None:
        if self.gone:
            return
        if self.queue or (self.writable is not None and not self.writable.is_set()):
            self.queue.append(frame)
            if len(self.queue) > settings.CHAT_SOCKET_BACKLOG:
                self._overflow()
            elif self.drainer is None:
                self.drainer = asyncio.ensure_future(self._drain())
            return
        try:
            await self.send({"type": "websocket.send", "text": frame})
        except Exception:
            self.gone = True  # disconnected; the consumer unregisters it

    async def _drain(self) -> None:
        try:
            while self.queue and not self.gone:
                frame = self.queue.popleft()
                await self.send({"type": "websocket.send", "text": frame})
        except Exception:
            self.gone = True
        finally:
            self.drainer = None

    def _overflow(self) -> None:
        logger.info("A socket fell %d frames behind: 1013", len(self.queue))
        self.gone = True
        self.queue.clear()
        self.closer = asyncio.ensure_future(self.on_overflow())

    def cancel(self) -> None:
        self.gone = True
        if self.drainer is not None:
            self.drainer.cancel()


class RoomRelay:
    """The room's one subscription in this process and its local sockets."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.sockets: set[LocalSocket] = set()
        self.started = asyncio.get_running_loop().create_future()
        self.channel_name: str | None = None
        self.task: asyncio.Task | None = None
        self.ordered: OrderedDelivery | None = None

    async def start(self) -> None:
        layer = get_channel_layer()
        try:
            self.channel_name = await layer.new_channel()
            await layer.group_add(room_group(self.room.pk), self.channel_name)
            # Read after subscribing: anything newer arrives as an event.
            snapshot = await database_sync_to_async(room_last_seq)(room=self.room)
            self.ordered = OrderedDelivery(
                room=self.room, last_seq=snapshot, send=self._fan_message
            )
            self.task = asyncio.ensure_future(self._run(layer))
        except BaseException as error:
            self.started.set_exception(error)
            raise
        self.started.set_result(None)

    async def stop(self) -> None:
        if self.ordered is not None:
            self.ordered.cancel()
        if self.task is not None:
            # Cancelling the receive unsubscribes the channel (channels_redis).
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.channel_name is not None:
            with contextlib.suppress(Exception):
                await get_channel_layer().group_discard(
                    room_group(self.room.pk), self.channel_name
                )

    async def _run(self, layer) -> None:
        while True:
            event = await layer.receive(self.channel_name)
            try:
                await self._handle(event)
            except Exception:
                logger.exception("Room relay failed on %s", event.get("type"))

    async def _handle(self, event: dict) -> None:
        kind = event["type"]
        if kind == "chat.message":
            await self.ordered.deliver(event["seq"], event["frame"])
        elif kind == "chat.typing":
            await self._fan(event["frame"], skip_user=event["user_id"])
        elif kind == "chat.deleted":
            await self._fan(event["frame"])
        elif kind in ("presence.join", "presence.leave"):
            frame = json.dumps(
                {"type": kind, "room": self.room.slug, "user": event["user"]}
            )
            # A socket's own first join: it has itself in presence.state.
            skip = event["user"]["id"] if kind == "presence.join" else None
            await self._fan(frame, skip_user=skip)

    async def _fan_message(self, seq: int, frame: str) -> None:
        for sock in list(self.sockets):
            if not sock.ready:
                sock.held.append((seq, frame))
            elif seq > sock.last_seq:
                sock.last_seq = seq
                await sock.push(frame)

    async def _fan(self, frame: str, skip_user: int | None = None) -> None:
        for sock in list(self.sockets):
            if sock.user_id == skip_user:
                continue
            if sock.ready:
                await sock.push(frame)
            else:
                sock.held.append((None, frame))


_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RoomRelay]]
_relays = weakref.WeakKeyDictionary()


async def join(room: Room, sock: LocalSocket) -> None:
    """Receive the room's live frames on `sock` (held until sock.start())."""
    relays = _relays.setdefault(asyncio.get_running_loop(), {})
    relay = relays.get(room.pk)
    if relay is None:
        relay = relays[room.pk] = RoomRelay(room)
        relay.sockets.add(sock)
        try:
            await relay.start()
        except BaseException:
            relays.pop(room.pk, None)
            raise
        return
    relay.sockets.add(sock)
    await asyncio.shield(relay.started)


async def leave(room: Room, sock: LocalSocket) -> None:
    sock.cancel()
    relays = _relays.get(asyncio.get_running_loop(), {})
    relay = relays.get(room.pk)
    if relay is None or sock not in relay.sockets:
        return
    relay.sockets.discard(sock)
    if not relay.sockets:
        del relays[room.pk]
        await relay.stop()
