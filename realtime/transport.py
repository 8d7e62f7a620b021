"""The bytes under a socket: uvicorn's WebSocket protocol behind channels'
`send`, written to directly where that is safe (realtime.outbound), and
what its handshake leaves behind that a long-lived socket does not need."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)

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


def encode_text(frames: list[str]) -> bytes:
    """`frames` as WebSocket text frames from a server (unmasked, no
    extension), ready for the transport: encoded once, written to many."""
    out = []
    for frame in frames:
        data = frame.encode()
        n = len(data)
        if n < 126:
            out.append(bytes((0x81, n)))
        elif n < 65536:
            out.append(struct.pack("!BBH", 0x81, 126, n))
        else:
            out.append(struct.pack("!BBQ", 0x81, 127, n))
        out.append(data)
    return b"".join(out)


def raw_writer(send: Send):
    """uvicorn's WebSocket protocol behind `send`, when frames may be written
    to its transport directly (see LocalSocket.push)."""
    proto = getattr(send, "__self__", None)
    conn = getattr(proto, "conn", None)
    if conn is None or not hasattr(proto, "close_sent") or conn.extensions:
        return None  # another server, or permessage-deflate was negotiated
    return proto


def shed_handshake(send: Send, scope: dict) -> None:
    """Once a socket is accepted, drop what only its handshake needed:
    uvicorn's WebSocket protocol keeps the upgrade request and the 101
    response (their headers, about 4 KB) for the connection's life though it
    reads them only until the accept, and every copy of the ASGI scope shares
    the request's header list, which nothing reads after the handshake
    (accounts.handshake, project.origins and project.proxies run before)."""
    proto = getattr(transport_send(send)[0], "__self__", None)
    if isinstance(proto, WebSocketsSansIOProtocol) and proto.handshake_complete:
        # websockets' parser generator keeps the request alive: empty it.
        for message in (proto.request, proto.response):
            if message is not None:
                message.headers.clear()
        proto.request = proto.response = None
        for headers in (proto.scope.get("headers"), scope.get("headers")):
            if isinstance(headers, list):
                headers.clear()
