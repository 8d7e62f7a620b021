"""realtime/outbound.py against uvicorn itself: an accepted socket drops what
only its handshake needed, and still talks, answers pings and takes frames
written straight to its transport."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
import websockets

from realtime.outbound import LocalSocket
from realtime.transport import encode_text, shed_handshake


class EchoApp:
    """An ASGI app whose sockets shed their handshake once accepted, then
    echo each text frame, once through `send` and once written raw."""

    def __init__(self) -> None:
        self.protocols: list = []
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        shed_handshake(send, scope)
        self.protocols.append(send.__self__)
        self.scopes.append(scope)
        local = LocalSocket(user_id=1, send=send, on_overflow=asyncio.sleep)
        local.start()
        while (message := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message["text"]})
            await local.push(message["text"], encode_text([message["text"]]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app, **options):
    port = _free_port()
    config = uvicorn.Config(
        app, port=port, log_level="warning", lifespan="off", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn sets a flag, no event)
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/room/?x=1"
    finally:
        server.should_exit = True
        await task


async def test_an_accepted_socket_keeps_no_handshake_headers_and_still_talks():
    app = EchoApp()
    async with (
        serving(app, ws_ping_interval=0.2, ws_ping_timeout=0.5) as url,
        websockets.connect(url, additional_headers={"Cookie": "a=" + "x" * 2000}) as ws,
    ):
        await ws.send("hello")
        assert [await ws.recv(), await ws.recv()] == ["hello", "hello"]
        (proto,) = app.protocols
        assert proto.request is None and proto.response is None
        assert proto.scope["headers"] == [] and app.scopes[0]["headers"] == []
        # What the app is told after the handshake is all still there.
        assert app.scopes[0]["path"] == "/room/"
        assert app.scopes[0]["query_string"] == b"x=1"
        # Pings (every 0.2 s, 0.5 s to answer) go on: the socket stays open.
        await asyncio.sleep(1.5)
        await ws.send("still here")
        assert await ws.recv() == "still here"


async def test_a_refused_or_unfinished_handshake_is_left_alone():
    class Refusing:
        async def __call__(self, scope, receive, send) -> None:
            await receive()
            shed_handshake(send, scope)  # before the accept: nothing to drop
            self.proto = send.__self__
            await send({"type": "websocket.close", "code": 4403})

    app = Refusing()
    async with serving(app) as url:
        with contextlib.suppress(websockets.InvalidStatus):
            async with websockets.connect(url):
                pass
    assert app.proto.request is not None
