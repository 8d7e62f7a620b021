"""The outbound end of one socket: what relays write frames to, with its own
queue for a slow reader and the backlog rule (1013) that keeps one slow
client from holding up the others."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from realtime import conf

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
    """One socket of this process, as a relay sees it.

    A socket whose transport is writable gets a frame at once (uvicorn's send
    then returns without suspending). One that is not writable (a slow
    reader) gets a queue of its own and one task draining it; past
    conf.socket_backlog() waiting frames it loses them and
    `on_overflow` closes it (1013). So no socket waits for another.

    Frames that arrive before `start()` are held: the socket is still
    sending its first state (presence.state, history).
    """

    __slots__ = (
        "closer",
        "drainer",
        "gone",
        "held",
        "last_seq",
        "on_overflow",
        "queue",
        "ready",
        "send",
        "user_id",
        "writable",
    )

    def __init__(
        self, *, user_id: int, send: Send, on_overflow: Callable[[], Awaitable[None]]
    ) -> None:
        self.user_id = user_id
        self.send, self.writable = transport_send(send)
        self.on_overflow = on_overflow
        self.last_seq = 0
        self.ready = False
        self.held: list[tuple[int | None, str]] = []
        # Made when first needed: most sockets never wait for their transport.
        self.queue: deque[str] | None = None
        self.drainer: asyncio.Task | None = None
        self.closer: asyncio.Task | None = None
        self.gone = False

    def start(self, last_seq: int = 0) -> None:
        """The client has its first state (and history up to last_seq): send
        what was held since the socket joined that it still needs, then
        everything live."""
        self.last_seq = last_seq
        self.ready = True
        held, self.held = self.held, []
        for seq, frame in held:
            if seq is None:
                self._enqueue(frame)
            elif seq > self.last_seq:
                self.last_seq = seq
                self._enqueue(frame)
        # Through the queue: frames fanned out meanwhile go behind these.
        if self.queue and self.drainer is None:
            self.drainer = asyncio.ensure_future(self._drain())

    def _enqueue(self, frame: str) -> None:
        if self.queue is None:
            self.queue = deque()
        self.queue.append(frame)

    async def push(self, frame: str) -> None:
        if self.gone:
            return
        if not self.ready:
            self.held.append((None, frame))
            return
        if self.queue or (self.writable is not None and not self.writable.is_set()):
            self._enqueue(frame)
            if len(self.queue) > conf.socket_backlog():
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
            if not self.queue:
                self.queue = None  # most sockets never need it again

    def _overflow(self) -> None:
        logger.info("A socket fell %d frames behind: 1013", len(self.queue))
        self.gone = True
        self.queue.clear()
        self.closer = asyncio.ensure_future(self.on_overflow())

    def cancel(self) -> None:
        self.gone = True
        if self.drainer is not None:
            self.drainer.cancel()
