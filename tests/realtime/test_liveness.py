"""Declared heartbeats (realtime.liveness; README, Liveness): a socket opened
with `?heartbeat=<s>` that then sends nothing for twice that (plus a grace)
is closed with 4408 and leaves presence; one that keeps sending stays; one
that declares nothing keeps PROTOCOL.md 1.0's behaviour; a bad declaration
is ignored with an `error` after the first frames."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime import codes, liveness
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import ORIGIN, TIMEOUT, communicator, open_room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture
def fast(monkeypatch) -> None:
    """1 s heartbeats allowed, closed 2.2 s after the last frame, swept 10
    times a second: the rule at a scale a test can wait for."""
    monkeypatch.setattr(liveness, "MIN_S", 1)
    monkeypatch.setattr(liveness, "GRACE_S", 0.2)
    monkeypatch.setattr(liveness, "SWEEP_S", 0.1)


async def closed_with(comm, timeout: float) -> tuple[int, float]:
    """The close code the server sent (skipping frames), and when."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await comm.receive_output(max(0.01, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return output["code"], time.monotonic()


async def presence_of(sock, kind: str, user, timeout: float = TIMEOUT) -> None:
    while True:
        frame = await sock.recv_type(kind, timeout)
        if frame["user"]["id"] == user.id:
            return


# --- the query parameter ----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "seconds"),
    [(b"", None), (b"after=3", None), (b"heartbeat=5", 5), (b"heartbeat=60", 60)],
)
def test_a_declaration_is_one_whole_number_from_5_to_60(query, seconds):
    assert liveness.declared(query) == seconds


BAD = [
    "heartbeat=0",
    "heartbeat=-1",
    "heartbeat=4",
    "heartbeat=61",
    "heartbeat=1e9",
    "heartbeat=1000000000",
    "heartbeat=abc",
    "heartbeat=",
    "heartbeat",
    "heartbeat=+10",
    "heartbeat=%2010",
    "heartbeat=10.0",
    "heartbeat=%D9%A1%D9%A0",  # Arabic-Indic "10": isdigit() says yes
    "heartbeat=" + "9" * 100_000,
    "heartbeat=10&heartbeat=10",
    "heartbeat=10&heartbeat=20",
]


@pytest.mark.parametrize("query", BAD, ids=[q[:40] for q in BAD])
def test_bad_declarations_are_refused_with_the_rule(query):
    with pytest.raises(liveness.BadHeartbeat, match="from 5 to 60"):
        liveness.declared(query.encode())


@pytest.mark.parametrize("query", BAD[::3], ids=[q[:40] for q in BAD[::3]])
async def test_a_bad_declaration_is_ignored_with_an_error_after_the_first_frames(
    alice, query
):
    sock = await open_room(alice, query=query)  # presence.state, history first
    error = await sock.recv()
    assert error["type"] == "error"
    assert error["code"] == "bad_request"
    assert (
        "`heartbeat` must be one whole number of seconds from 5 to 60"
        in (error["detail"])
    )
    assert liveness.watched() == 0  # the socket has no heartbeat: it stays
    await sock.send({"type": "ping"})
    assert await sock.recv_type("pong")
    await sock.close()


async def test_the_site_socket_says_so_too(alice):
    key = await asession_cookie_for(alice)
    comm = communicator("/ws/presence/?heartbeat=abc", key)
    assert (await comm.connect(TIMEOUT))[0]
    assert (await comm.receive_json_from(TIMEOUT))["type"] == "presence.state"
    error = await comm.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", "bad_request")
    assert liveness.watched() == 0
    await comm.disconnect()


@pytest.mark.parametrize("value", [0, -1, 4, 61, 10**9, "10", 10.5, True, None, []])
async def test_a_bad_heartbeat_in_a_ping_is_refused_and_changes_nothing(alice, value):
    sock = await open_room(alice, query="heartbeat=10")
    await sock.send({"type": "ping", "heartbeat": value, "client_id": "p"})
    error = await sock.recv_type("error")
    assert (error["code"], error["ref"]) == ("bad_request", "p")
    assert "a ping's `heartbeat` must be one whole number" in error["detail"]
    assert liveness.watched() == 1
    await sock.send({"type": "ping"})
    assert await sock.recv_type("pong")
    await sock.close()
    assert liveness.watched() == 0


async def test_the_site_socket_refuses_a_bad_one_too(alice):
    key = await asession_cookie_for(alice)
    comm = communicator("/ws/presence/", key)
    assert (await comm.connect(TIMEOUT))[0]
    assert (await comm.receive_json_from(TIMEOUT))["type"] == "presence.state"
    await comm.send_json_to({"type": "ping", "heartbeat": "soon"})
    error = await comm.receive_json_from(TIMEOUT)
    assert (error["type"], error["code"]) == ("error", "bad_request")
    await comm.send_json_to({"type": "ping", "heartbeat": 30})
    assert (await comm.receive_json_from(TIMEOUT))["type"] == "pong"
    assert liveness.watched() == 1  # declared by its ping
    await comm.disconnect()
    assert liveness.watched() == 0


# --- the rule, in this process ----------------------------------------------


@pytest.mark.usefixtures("fast")
async def test_a_silent_declaring_socket_is_closed_and_leaves_presence(alice, bob):
    watcher = await open_room(bob)
    opened = time.monotonic()
    silent = await open_room(alice, query="heartbeat=1")
    heard = time.monotonic()  # its last frame: the handshake
    await presence_of(watcher, "presence.join", alice)
    assert liveness.watched() == 1
    code, at = await closed_with(silent.comm, 6)
    assert code == codes.SILENT == 4408
    assert at - opened >= 2.2 and at - heard < 5
    await presence_of(watcher, "presence.leave", alice)
    assert liveness.watched() == 0
    await silent.close()
    await watcher.close()


@pytest.mark.usefixtures("fast")
async def test_a_silent_site_socket_goes_offline(alice, bob):
    watcher = await open_room(bob)
    key = await asession_cookie_for(alice)
    site = communicator("/ws/presence/?heartbeat=1", key)
    assert (await site.connect(TIMEOUT))[0]
    assert (await site.receive_json_from(TIMEOUT))["type"] == "presence.state"
    code, _ = await closed_with(site, 5)
    assert code == 4408
    await site.disconnect()
    await watcher.close()


@pytest.mark.usefixtures("fast")
async def test_one_that_keeps_sending_stays(alice, bob):
    watcher = await open_room(bob)
    talker = await open_room(alice, query="heartbeat=1")
    # Past CHAT_PING_LIMIT pings get no pong, but any frame counts as heard.
    for _ in range(10):
        await talker.send({"type": "ping"})
        await asyncio.sleep(0.5)
    assert liveness.watched() == 1
    assert await watcher.nothing(0.1)  # no presence.leave of alice
    await talker.send({"type": "ping"})
    assert await talker.recv_type("pong")
    await talker.close()
    assert liveness.watched() == 0
    await watcher.close()


@pytest.mark.usefixtures("fast")
async def test_one_that_declares_nothing_stays_open_past_the_interval(alice):
    quiet = await open_room(alice)
    assert liveness.watched() == 0
    assert await quiet.comm.receive_nothing(3.5)  # no close
    await quiet.send({"type": "ping"})
    assert await quiet.recv_type("pong")
    await quiet.close()


# --- a real server, whose client answers every WebSocket ping ---------------


@pytest.mark.slow
async def test_a_real_server_closes_a_silent_client_that_answers_pings(make_user):
    server = ServerProcess(env={"WS_PING_INTERVAL": "1", "WS_PING_TIMEOUT": "5"})
    await asyncio.to_thread(server.start)
    try:
        users = [await sync_to_async(make_user)() for _ in range(2)]
        keys = [await asession_cookie_for(user) for user in users]
        # The watcher declares nothing and sends nothing: it stays (its
        # client answers the server's pings, as before this rule).
        watcher, _ = await server.room_socket(keys[0])
        opened = time.monotonic()
        silent = await connect(
            f"{server.ws_url}/ws/chat/general/?heartbeat=5",
            origin=ORIGIN,
            additional_headers={"Cookie": f"sessionid={keys[1]}"},
        )
        left_at = None
        async with asyncio.timeout(25):
            while left_at is None:
                frame = json.loads(await watcher.recv())
                if frame["type"] == "presence.leave":
                    assert frame["user"]["id"] == users[1].id
                    left_at = time.monotonic()
        # Twice 5 s plus 1 s of grace after its last frame (the handshake), swept
        # every second.
        assert 11 <= left_at - opened < 16
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await silent.recv()
        assert closed.value.rcvd.code == 4408
        await watcher.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(5):
            while json.loads(await watcher.recv())["type"] != "pong":
                pass
        await watcher.close()
    finally:
        await asyncio.to_thread(server.stop)


@pytest.mark.usefixtures("fast")
async def test_a_ping_declares_or_changes_the_heartbeat(alice, bob):
    watcher = await open_room(bob)
    # Declared later, by a ping (as a tab that was hidden when it opened).
    late = await open_room(alice)
    await late.send({"type": "ping", "heartbeat": 1})
    assert await late.recv_type("pong")
    assert liveness.watched() == 1
    code, _ = await closed_with(late.comm, 5)
    assert code == 4408
    await presence_of(watcher, "presence.leave", alice)
    await late.close()

    # Lengthened (as a tab that goes hidden): silent past 2.2 s, still open.
    longer = await open_room(alice, query="heartbeat=1")
    await longer.send({"type": "ping", "heartbeat": 5})
    assert await longer.recv_type("pong")
    assert await longer.comm.receive_nothing(3)
    await longer.send({"type": "ping", "heartbeat": 1})  # visible again
    assert await longer.recv_type("pong")
    code, _ = await closed_with(longer.comm, 5)
    assert code == 4408
    await longer.close()
    await watcher.close()
