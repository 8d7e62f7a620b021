"""#17 finding 9: a client whose network vanished stayed present for good
(server pings were off, and the heartbeat refreshed every local socket
whether its client was alive or not).

Now the server pings every WS_PING_INTERVAL seconds and closes a socket
that has not answered within WS_PING_TIMEOUT, and its presence leaves with
it. The client here completes the handshake on a raw TCP socket and then
never reads or answers again, as a laptop whose Wi-Fi went.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

import pytest
from asgiref.sync import sync_to_async

from tests.helpers.sockets import ORIGIN
from tests.security.conftest import next_frame, online_ids

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

SERVER_ENV = {"WS_PING_INTERVAL": "1", "WS_PING_TIMEOUT": "1"}


def silent_socket(server, session_key: str) -> socket.socket:
    """A room socket that answers the handshake and then nothing."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET /ws/chat/general/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {ORIGIN}\r\nCookie: sessionid={session_key}\r\n\r\n"
        ).encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


async def test_a_client_that_stops_answering_is_closed_and_leaves(asignup, server):
    alice, bob = await asignup(), await asignup()
    watcher, _ = await bob.room()
    gone = await sync_to_async(silent_socket)(server, alice.key)
    joined = await next_frame(watcher, "presence.join")
    assert joined["user"]["id"] == alice.user.pk
    started = time.monotonic()
    leave = await next_frame(watcher, "presence.leave", timeout=15)
    assert leave["user"]["id"] == alice.user.pk
    assert time.monotonic() - started < 10  # ping interval + timeout, not TTLs
    await asyncio.sleep(0.2)
    assert alice.user.pk not in await sync_to_async(online_ids)(bob)
    gone.close()
    await watcher.close()
