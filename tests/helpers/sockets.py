"""Sockets for tests: the real ASGI application through channels'
WebsocketCommunicator, and helpers for /ws/chat/<slug>/."""

from __future__ import annotations

import asyncio
import json

from channels.testing import WebsocketCommunicator
from django.conf import settings

from tests.helpers.sessions import asession_cookie_for

ORIGIN = "http://localhost"

TIMEOUT = 5


def communicator(
    path: str,
    session_key: str | None = None,
    *,
    origin: str | None = ORIGIN,
    application=None,
) -> WebsocketCommunicator:
    """A WebsocketCommunicator around the real ASGI application."""
    if application is None:
        from project.asgi import application
    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if session_key is not None:
        headers.append(
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())
        )
    return WebsocketCommunicator(application, path, headers=headers)


class RoomSocket:
    """An open, accepted room socket whose first two frames were read."""

    def __init__(self, comm: WebsocketCommunicator, state: dict, history: dict):
        self.comm = comm
        self.state = state
        self.history = history

    async def send(self, frame: dict | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.comm.send_to(text_data=text)

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(await self.comm.receive_from(timeout))

    async def recv_type(self, kind: str, timeout: float = TIMEOUT) -> dict:
        """The next frame of that type, skipping others (presence, typing)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        """True when no frame but presence news, or the user's own read
        markers (sending moves them), arrives within `timeout`."""
        while not await self.comm.receive_nothing(timeout):
            frame = await self.recv()
            if not frame["type"].startswith("presence.") and frame["type"] != "read":
                return False
        return True

    async def close(self) -> None:
        await self.comm.disconnect()


async def open_room(
    user, slug: str = "general", query: str = "", *, session_key: str | None = None
) -> RoomSocket:
    key = session_key or await asession_cookie_for(user)
    path = f"/ws/chat/{slug}/" + (f"?{query}" if query else "")
    comm = communicator(path, key)
    connected, code = await comm.connect(TIMEOUT)
    assert connected, f"handshake refused ({code})"
    state = json.loads(await comm.receive_from(TIMEOUT))
    assert state["type"] == "presence.state", state
    history = json.loads(await comm.receive_from(TIMEOUT))
    assert history["type"] == "history", history
    return RoomSocket(comm, state, history)


async def send_message(sock: RoomSocket, body: str, client_id: str | None = None):
    frame = {"type": "message.send", "body": body}
    if client_id is not None:
        frame["client_id"] = client_id
    await sock.send(frame)
    # Other frames may be queued first (broadcasts of others' messages).
    while True:
        reply = await sock.recv_type("message")
        if reply["client_id"] == client_id and reply["body"] == body.strip():
            return reply


class SiteSocket(RoomSocket):
    """An open /ws/presence/ socket whose presence.state was read."""

    async def frames(self, quiet: float = 0.3) -> list[dict]:
        """Every frame but presence news until none has come for `quiet` s."""
        found = []
        while not await self.comm.receive_nothing(quiet):
            frame = await self.recv()
            if not frame["type"].startswith("presence."):
                found.append(frame)
        return found


async def open_site(user, *, session_key: str | None = None) -> SiteSocket:
    key = session_key or await asession_cookie_for(user)
    comm = communicator("/ws/presence/", key)
    connected, code = await comm.connect(TIMEOUT)
    assert connected, f"handshake refused ({code})"
    state = json.loads(await comm.receive_from(TIMEOUT))
    assert state["type"] == "presence.state", state
    return SiteSocket(comm, state, None)
