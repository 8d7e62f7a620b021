"""The real ASGI application with one hook: the room sockets of users whose
username starts with `behind` have a link that never drains, as a client
on a network too slow for the room. What the room fans out to such a socket
waits in its queue (realtime.outbound.LocalSocket) and never reaches the
client, so past CHAT_SOCKET_BACKLOG frames the server closes it with 1013,
as it would a real slow reader (tests/chat/test_backpressure.py shows that
one, with megabytes through a stuck TCP socket). What the socket sends
itself (its first frames, history, pongs) goes out as usual. Only
tests/e2e/test_dead_ends.py serves it."""

# isort: off
from project.asgi import application  # first: it sets Django up
from realtime.sockets import JsonSocket

# isort: on

import asyncio

_local_socket = JsonSocket.local_socket


async def _never(message: dict) -> None:
    await asyncio.Event().wait()


def _local_socket_behind(self, room: str | None = None):
    sock = _local_socket(self, room)
    path, user = self.scope.get("path", ""), self.scope.get("user")
    if path.startswith("/ws/chat/") and user.username.startswith("behind"):
        sock.writable = asyncio.Event()  # never set: the transport is full
        sock.raw = None
        sock.send = _never  # its queue never drains
    return sock


JsonSocket.local_socket = _local_socket_behind

__all__ = ["application"]
