"""The outbound end of one socket: what relays write frames to, with its own
queue for a slow reader and the backlog rule (1013) that keeps one slow
client from holding up the others."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from websockets.protocol import State

from protocol import wire
from realtime import conf
from realtime.transport import Send, encode_text, raw_writer, transport_send

logger = logging.getLogger(__name__)

JOIN = "presence.join"
KNOWN_FOR = 3.0  # seconds; see LocalSocket.presence_news


class PresenceChange(NamedTuple):
    """One user's join or leave, ready for either kind of client."""

    kind: str  # presence.join or presence.leave
    user_id: int
    frame: str  # its own presence.join / presence.leave frame
    user: str  # its UserRef as JSON: its part of a presence.diff


class LocalSocket:
    """One socket of this process, as a relay sees it.

    A socket whose transport is writable gets a frame at once. Under uvicorn
    the frame's bytes, encoded once for every socket that gets them
    (`encode_text`), go straight to the transport: that is what uvicorn's
    `send` does after framing, and a server's frames are not masked, so the
    bytes are the same for every socket without an extension. One that is
    not writable (a slow reader) gets a queue of its own and one task
    draining it; past conf.socket_backlog() waiting frames it loses them and
    `on_overflow` closes it (1013). So no socket waits for another.

    Frames that arrive before `start()` are held: the socket is still
    sending its first state (presence.state, history).
    """

    __slots__ = (
        "close",
        "closer",
        "drainer",
        "gone",
        "held",
        "held_presence",
        "known",
        "known_until",
        "last_seq",
        "on_overflow",
        "presence_diff",
        "presence_room",
        "queue",
        "raw",
        "ready",
        "send",
        "user_id",
        "writable",
    )

    def __init__(
        self,
        *,
        user_id: int,
        send: Send,
        on_overflow: Callable[[], Awaitable[None]],
        close: Callable[[int], Awaitable[None]] | None = None,
        presence_diff: bool = False,
        presence_room: str | None = None,
    ) -> None:
        self.user_id = user_id
        # Asked for `presence.diff` frames (README, Presence diffs), of this
        # room (None: the site), instead of a frame per join or leave.
        self.presence_diff = presence_diff
        self.presence_room = presence_room
        # Closes the socket with a close code: a relay that finds the user
        # may no longer be here (chat.fanout's recheck) ends it with this.
        self.close = close
        self.send, self.writable = transport_send(send)
        self.raw = raw_writer(self.send)
        self.on_overflow = on_overflow
        self.last_seq = 0
        self.ready = False
        self.held: list[tuple[int | None, str]] = []
        self.held_presence: list[PresenceChange] = []
        # For a moment after start: who the client knows to be present (the
        # presence.state it got, shared by the sockets that read it together,
        # plus what it was told since: user id -> present). See `presence_news`.
        self.known: tuple[frozenset[int], dict[int, bool]] | None = None
        self.known_until = 0.0
        # Made when first needed: most sockets never wait for their transport.
        self.queue: deque[str] | None = None
        self.drainer: asyncio.Task | None = None
        self.closer: asyncio.Task | None = None
        self.gone = False

    def start(self, last_seq: int = 0, present: frozenset[int] = frozenset()) -> None:
        """The client has its first state (and history up to last_seq; the
        users in `present`): send what was held since the socket joined that
        it still needs, then everything live."""
        self.last_seq = last_seq
        self.ready = True
        held, self.held = self.held, []
        for seq, frame in held:
            if seq is None:
                self._enqueue(frame)
            elif seq > self.last_seq:
                self.last_seq = seq
                self._enqueue(frame)
        # Of the presence changes held meanwhile, only those that change what
        # the client was told: the user's last change against presence.state.
        last: dict[int, PresenceChange] = {}
        for change in self.held_presence:
            last.pop(change.user_id, None)
            last[change.user_id] = change
        self.held_presence = []
        told: dict[int, bool] = {}
        news = []
        for user_id, change in last.items():
            if (change.kind == JOIN) != (user_id in present):
                told[user_id] = change.kind == JOIN
                news.append(change)
        for frame in self.presence_frames(news):
            self._enqueue(frame)
        self.known = (present, told)
        self.known_until = asyncio.get_running_loop().time() + KNOWN_FOR
        # Through the queue: frames fanned out meanwhile go behind these.
        if self.queue and self.drainer is None:
            self.drainer = asyncio.ensure_future(self._drain())

    def _enqueue(self, frame: str) -> None:
        if self.queue is None:
            self.queue = deque()
        self.queue.append(frame)

    def hold_presence(self, changes: list[PresenceChange]) -> None:
        self.held_presence.extend(changes)

    def presence_frames(self, changes: list[PresenceChange]) -> list[str]:
        """`changes` (each user at most once) as this client asked for them:
        a frame each, or one presence.diff."""
        if not self.presence_diff:
            return [change.frame for change in changes]
        if not changes:
            return []
        return [
            wire.presence_diff(
                room=self.presence_room,
                joins=[c.user for c in changes if c.kind == JOIN],
                leaves=[c.user for c in changes if c.kind != JOIN],
            )
        ]

    def presence_news(
        self, changes: list[PresenceChange]
    ) -> list[PresenceChange] | None:
        """Those of `changes` this client needs, or None when it needs all
        of them. A state read together with others' registrations can
        list a user whose join event is still on its way: for KNOWN_FOR
        seconds after start, a join of a user the client knows present (or
        a leave of one it knows absent) is left out."""
        if self.known is None:
            return None
        if asyncio.get_running_loop().time() > self.known_until:
            self.known = None
            return None
        present, told = self.known
        news = []
        for change in changes:
            joined = change.kind == JOIN
            if told.get(change.user_id, change.user_id in present) != joined:
                told[change.user_id] = joined
                news.append(change)
        return news

    def _write_raw(self, data: bytes) -> bool:
        """Write pre-encoded frames to uvicorn's transport; False when the
        socket must go through `send` (no raw path, closing)."""
        proto = self.raw
        if (
            proto is None
            or proto.close_sent
            or proto.conn.state is not State.OPEN
            or proto.transport.is_closing()
        ):
            return False
        proto.transport.write(data)
        return True

    async def push(self, frame: str, data: bytes | None = None) -> None:
        """One frame; `data` is its encode_text([frame]), when the caller
        encoded it once for many sockets."""
        await self.push_many([frame], data)

    async def push_many(self, frames: list[str], data: bytes | None = None) -> None:
        """Several frames in one write when the socket is writable; `data` is
        their encode_text(frames)."""
        if self.gone:
            return
        if not self.ready:
            self.held.extend((None, frame) for frame in frames)
            return
        if self.queue or (self.writable is not None and not self.writable.is_set()):
            for frame in frames:
                self._enqueue(frame)
            if len(self.queue) > conf.socket_backlog():
                self._overflow()
            elif self.drainer is None:
                self.drainer = asyncio.ensure_future(self._drain())
            return
        if self.raw is not None and self._write_raw(
            data if data is not None else encode_text(frames)
        ):
            return
        try:
            for frame in frames:
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
