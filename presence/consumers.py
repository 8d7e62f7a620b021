"""The site-wide presence socket, /ws/presence/ (PROTOCOL.md, Sockets).

Thin: authorize, register with presence.api, forward the site group's joins
and leaves. The only client frame it knows is `ping`.
"""

from __future__ import annotations

import json

from presence import api as presence
from project.groups import SITE_GROUP
from project.sockets import FrameError, JsonSocket, parse_envelope


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The client frame as a dict with a string `type`, or a FrameError."""
    frame, _kind, ref = parse_envelope(text_data)
    if frame["type"] != "ping":
        raise FrameError("unknown_type", "This socket only understands `ping`.", ref)
    return frame


class PresenceConsumer(JsonSocket):
    registered = False

    async def connect(self) -> None:
        self.user = self.scope["user"]
        if not self.user.is_authenticated or not self.user.is_active:
            await self.close()  # before accept: the client sees HTTP 403
            return
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

    async def leave(self) -> None:
        if self.registered:
            self.registered = False
            await presence.disconnect(channel_name=self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        try:
            parse_frame(text_data, bytes_data)
        except FrameError as error:
            await self.send_error(error.code, error.detail, error.ref)
            return
        await presence.touch(channel_name=self.channel_name)
        await self.send('{"type": "pong"}')

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
