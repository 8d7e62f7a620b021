"""A slow or stuck client never delays the others; it is closed with 1013
once too many frames wait for it (chat/fanout.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket

import pytest
from asgiref.sync import sync_to_async

from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import session_cookie_for
from tests.helpers.sockets import ORIGIN


def stuck_client(port: int, key: str) -> socket.socket:
    """A WebSocket client that completes the handshake, then reads nothing."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    handshake_key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET /ws/chat/general/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\n"
            f"Cookie: sessionid={key}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {handshake_key}\r\n\r\n"
        ).encode()
    )
    return sock


def close_code(sock: socket.socket, timeout: float) -> tuple[int | None, int]:
    """Read on to the server's close frame: (its code, text frames before it)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    data = data.split(b"\r\n\r\n", 1)[1]
    frames = 0
    while True:
        while True:  # parse what is there (server frames are unmasked)
            if len(data) < 2:
                break
            opcode, length, start = data[0] & 0x0F, data[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(data[2:4]), 4
            elif length == 127:
                length, start = int.from_bytes(data[2:10]), 10
            if len(data) < start + length:
                break
            payload, data = data[start : start + length], data[start + length :]
            if opcode == 0x8:
                return int.from_bytes(payload[:2]), frames
            frames += 1
        chunk = sock.recv(65536)
        if not chunk:
            return None, frames
        data += chunk


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("general_room")
async def test_a_stuck_reader_is_closed_with_1013_and_the_others_keep_up(make_user):
    server = ServerProcess(
        env={
            "CHAT_RATE_LIMIT": "100000/10",
            "CHAT_SOCKET_BACKLOG": "100",
            # The stuck client answers no ping either: on a slow machine the
            # ping timeout (1011) would close it before its backlog (1013)
            # overflows, and this test is about the backlog.
            "WS_PING_INTERVAL": "0",
        }
    ).start()
    try:
        keys = []
        for _ in range(3):
            user = await sync_to_async(make_user)()
            keys.append(await sync_to_async(session_cookie_for)(user))

        stuck = stuck_client(server.port, keys[0])
        healthy, _ = await server.room_socket(keys[1])
        sender, _ = await server.room_socket(keys[2])
        # 5.8 MB: more than loopback's TCP buffers (about 4 MB) hold, so the
        # stuck socket's transport stops being writable and 100 frames queue.
        total, body = 1500, "x" * 3900

        async def read_all(ws) -> list[int]:
            seqs = []
            async with asyncio.timeout(120):
                while len(seqs) < total:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "message":
                        seqs.append(frame["seq"])
            return seqs

        readers = [asyncio.create_task(read_all(ws)) for ws in (healthy, sender)]
        for _ in range(total):
            await sender.send(json.dumps({"type": "message.send", "body": body}))
        for reader in readers:
            assert await reader == list(range(1, total + 1))

        # Now it reads: what was buffered for it, then the 1013 close.
        code, frames = await asyncio.to_thread(close_code, stuck, 30)
        assert code == 1013
        assert frames < total
        stuck.close()
        await healthy.close()
        await sender.close()
    finally:
        server.stop()
