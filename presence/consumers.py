"""The site-wide presence socket, /ws/presence/ (PROTOCOL.md, Sockets).

Thin: authorize, register with presence.api, forward the site group's joins
and leaves. The only client frame it knows is `ping`.
"""

from __future__ import annotations

import json
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.live import LiveSessionMixin
from presence import api as presence
from project.groups import SITE_GROUP

ERROR_WINDOW = 10.0  # seconds
ERROR_LIMIT = 20  # error replies per window; the next one closes with 4429
CLOSE_FLOODING = 4429


class FrameError(Exception):
    def __init__(self, code: str, detail: str, ref: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.ref = code, detail, ref


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The client frame as a dict with a string `type`, or a FrameError."""
    if text_data is None:
        raise FrameError("bad_request", "Send text frames holding one JSON object.")
    try:
        frame = json.loads(text_data)
    except ValueError:
        raise FrameError("bad_json", "That frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_request", "Send one JSON object per frame.")
    ref = frame.get("client_id")
    ref = ref if isinstance(ref, str) else None
    if not isinstance(frame.get("type"), str):
        raise FrameError("bad_request", "The frame needs a string `type`.", ref)
    if frame["type"] != "ping":
        raise FrameError("unknown_type", "This socket only understands `ping`.", ref)
    return frame


class PresenceConsumer(LiveSessionMixin, AsyncWebsocketConsumer):
    registered = False

    async def dispatch(self, message: dict) -> None:
        # As chat.consumers.RoomConsumer: skip channels' per-event worker-thread
        # hop that closes stale DB connections. Every site-wide join and leave
        # reaches every socket here, and the only ORM use (LiveSessionMixin)
        # goes through database_sync_to_async, which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.user = self.scope["user"]
        if not self.user.is_authenticated or not self.user.is_active:
            await self.close()  # before accept: the client sees HTTP 403
            return
        self.errors: deque[float] = deque()
        # Subscribe before registering and reading: whatever changes after the
        # read arrives as an event, queued until connect returns.
        self.groups = [SITE_GROUP, *self.live_groups()]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await presence.connect(
            channel_name=self.channel_name, user=self.user.ref(), room_id=None
        )
        self.registered = True
        users = await presence.online_users()
        await self.send(
            json.dumps({"type": "presence.state", "room": None, "users": users})
        )

    async def disconnect(self, code: int) -> None:
        if self.registered:
            self.registered = False
            await presence.disconnect(channel_name=self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        try:
            parse_frame(text_data, bytes_data)
        except FrameError as error:
            await self._send_error(error)
            return
        await presence.touch(channel_name=self.channel_name)
        await self.send('{"type": "pong"}')

    async def _send_error(self, error: FrameError) -> None:
        now = time.monotonic()
        while self.errors and now - self.errors[0] > ERROR_WINDOW:
            self.errors.popleft()
        if len(self.errors) >= ERROR_LIMIT:
            await self._close_with(CLOSE_FLOODING)
            return
        self.errors.append(now)
        frame = {"type": "error", "code": error.code, "detail": error.detail}
        if error.ref is not None:
            frame["ref"] = error.ref
        await self.send(json.dumps(frame))

    # --- channel-layer events ----------------------------------------------

    async def presence_join(self, event: dict) -> None:
        # The socket's own user: the client has itself in presence.state.
        if event["user"]["id"] != self.user.id:
            await self._forward("presence.join", event)

    async def presence_leave(self, event: dict) -> None:
        await self._forward("presence.leave", event)

    async def _forward(self, kind: str, event: dict) -> None:
        if event.get("room_id") is None:
            await self.send(
                json.dumps({"type": kind, "room": None, "user": event["user"]})
            )

    async def close_forbidden(self, code: int) -> None:
        await self._close_with(code)

    async def _close_with(self, code: int) -> None:
        # Leave presence now: the others must see the leave even if the
        # disconnect that follows the close never comes.
        await self.disconnect(code)
        await self.close(code)
