"""The chat through real uvicorn processes sharing one Redis and one database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import websockets
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection

from chat.models import Message
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import session_cookie_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

FAST_ENV = {"CHAT_RATE_LIMIT": "100000/10"}


@pytest.fixture
def two_servers() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    servers = [ServerProcess(env=FAST_ENV) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def one_server() -> Iterator[ServerProcess]:
    server = ServerProcess(env=FAST_ENV).start()
    yield server
    server.stop()


async def open_socket(server: ServerProcess, key: str) -> ClientConnection:
    return (await server.room_socket(key))[0]


async def read_messages(ws: ClientConnection, count: int, timeout: float = 30):
    """The next `count` message frames' seqs, in arrival order."""
    seqs: list[int] = []
    async with asyncio.timeout(timeout):
        while len(seqs) < count:
            frame = json.loads(await ws.recv())
            if frame["type"] == "message":
                seqs.append(frame["seq"])
    return seqs


async def test_concurrent_senders_on_two_processes_get_contiguous_seqs(
    two_servers, make_user
):
    users = [await sync_to_async(make_user)() for _ in range(4)]
    keys = [await sync_to_async(session_cookie_for)(u) for u in users]
    sockets = [await open_socket(two_servers[n % 2], key) for n, key in enumerate(keys)]
    readers = [asyncio.create_task(read_messages(ws, 200)) for ws in sockets]

    async def send_fifty(ws: ClientConnection, n: int) -> None:
        for i in range(50):
            await ws.send(json.dumps({"type": "message.send", "body": f"{n}:{i}"}))

    await asyncio.gather(*(send_fifty(ws, n) for n, ws in enumerate(sockets)))
    seen = await asyncio.gather(*readers)
    stored = await sync_to_async(
        lambda: list(Message.objects.order_by("seq").values_list("seq", flat=True))
    )()
    assert stored == list(range(1, 201))
    # Every client, on either process, saw every message once, in seq order.
    for seqs in seen:
        assert seqs == list(range(1, 201))
    for ws in sockets:
        await ws.close()


async def test_idle_socket_still_receives_after_twenty_seconds(one_server, make_user):
    # redis-py 8 gave idle channel-layer connections a socket timeout that
    # closed sockets with 1011 after a few seconds (channels_redis#422).
    idle_user = await sync_to_async(make_user)()
    talker = await sync_to_async(make_user)()
    idle = await open_socket(
        one_server, await sync_to_async(session_cookie_for)(idle_user)
    )
    await asyncio.sleep(20)
    other = await open_socket(
        one_server, await sync_to_async(session_cookie_for)(talker)
    )
    await other.send(json.dumps({"type": "message.send", "body": "still there?"}))
    assert await read_messages(idle, 1) == [1]
    await idle.close()
    await other.close()


async def test_frame_over_64_kib_closes_with_1009_and_chat_goes_on(
    one_server, make_user
):
    user = await sync_to_async(make_user)()
    key = await sync_to_async(session_cookie_for)(user)
    ws = await open_socket(one_server, key)
    await ws.send(json.dumps({"type": "message.send", "body": "x" * (70 * 1024)}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    assert closed.value.rcvd.code == 1009
    assert await sync_to_async(Message.objects.count)() == 0
    again = await open_socket(one_server, key)
    await again.send(json.dumps({"type": "message.send", "body": "small"}))
    assert await read_messages(again, 1) == [1]
    await again.close()


async def test_empty_text_frame_is_bad_json(one_server, make_user):
    key = await sync_to_async(session_cookie_for)(await sync_to_async(make_user)())
    ws = await open_socket(one_server, key)
    await ws.send("")
    assert json.loads(await ws.recv())["code"] == "bad_json"
    await ws.close()
