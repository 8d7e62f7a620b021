"""/ws/presence/ through the real ASGI application, channel layer and Redis."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.broadcast import user_kicked
from presence import api
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import communicator

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/presence/"


async def make_user_async(make_user, username=None, **fields):
    return await sync_to_async(make_user)(username, **fields)


async def open_socket(user):
    socket = communicator(PATH, await asession_cookie_for(user))
    connected, _ = await socket.connect()
    assert connected
    return socket


async def test_anonymous_is_rejected_at_the_handshake():
    socket = communicator(PATH)
    connected, _ = await socket.connect()
    assert not connected
    assert await api.online_users() == []


async def test_inactive_user_is_rejected(make_user):
    user = await make_user_async(make_user, is_active=False)
    socket = communicator(PATH, await asession_cookie_for(user))
    connected, _ = await socket.connect()
    assert not connected


async def test_state_is_sorted_and_includes_the_newcomer(make_user):
    zed = await make_user_async(make_user, "zed")
    amy = await make_user_async(make_user, "amy", display_name="Amy A.")
    first = await open_socket(zed)
    assert await first.receive_json_from() == {
        "type": "presence.state", "room": None, "users": [zed.ref()],
    }  # fmt: skip
    second = await open_socket(amy)
    assert await second.receive_json_from() == {
        "type": "presence.state", "room": None, "users": [amy.ref(), zed.ref()],
    }  # fmt: skip
    assert await first.receive_json_from() == {
        "type": "presence.join", "room": None, "user": amy.ref(),
    }  # fmt: skip
    await second.disconnect()
    assert await first.receive_json_from() == {
        "type": "presence.leave", "room": None, "user": amy.ref(),
    }  # fmt: skip
    await first.disconnect()
    assert await api.online_users() == []


async def test_two_tabs_join_once_and_leave_once(make_user):
    watcher = await make_user_async(make_user, "watcher")
    tabs = await make_user_async(make_user, "tabs")
    observer = await open_socket(watcher)
    await observer.receive_json_from()
    tab1 = await open_socket(tabs)
    tab2 = await open_socket(tabs)
    await tab1.receive_json_from()
    await tab2.receive_json_from()
    assert (await observer.receive_json_from())["type"] == "presence.join"
    await tab1.disconnect()
    assert await observer.receive_nothing(0.3)
    await tab2.disconnect()
    assert await observer.receive_json_from() == {
        "type": "presence.leave", "room": None, "user": tabs.ref(),
    }  # fmt: skip
    assert await observer.receive_nothing(0.3)
    await observer.disconnect()


async def test_own_join_is_not_echoed(make_user):
    user = await make_user_async(make_user)
    socket = await open_socket(user)
    await socket.receive_json_from()
    assert await socket.receive_nothing(0.3)
    await socket.disconnect()


async def test_ping_gets_pong(make_user):
    socket = await open_socket(await make_user_async(make_user))
    await socket.receive_json_from()
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_ping_re_registers_a_connection_redis_lost(make_user, redis_client):
    user = await make_user_async(make_user)
    socket = await open_socket(user)
    await socket.receive_json_from()
    await sync_to_async(redis_client.flushall)()
    assert await api.online_users() == []
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    assert await api.online_users() == [user.ref()]
    await socket.disconnect()


@pytest.mark.parametrize(
    ("frame", "code", "ref"),
    [
        ({"text_data": "{nope"}, "bad_json", None),
        ({"text_data": "[1, 2]"}, "bad_request", None),
        ({"text_data": '"ping"'}, "bad_request", None),
        ({"text_data": '{"type": 3, "client_id": "x"}'}, "bad_request", "x"),
        ({"bytes_data": b'{"type": "ping"}'}, "bad_request", None),
        ({"text_data": '{"type": "message.send", "client_id": "c1"}'},
         "unknown_type", "c1"),
    ],
)  # fmt: skip
async def test_bad_frames_get_errors_and_the_socket_stays(make_user, frame, code, ref):
    socket = await open_socket(await make_user_async(make_user))
    await socket.receive_json_from()
    await socket.send_to(**frame)
    error = await socket.receive_json_from()
    assert error["type"] == "error" and error["code"] == code
    assert error.get("ref") == ref and error["detail"]
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.disconnect()


async def test_flooding_closes_with_4429(make_user):
    socket = await open_socket(await make_user_async(make_user))
    await socket.receive_json_from()
    for _ in range(20):
        await socket.send_to(text_data="{nope")
        assert (await socket.receive_json_from())["code"] == "bad_json"
    await socket.send_to(text_data="{nope")
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4429}
    assert await api.online_users() == []


async def test_a_user_kick_for_every_socket_closes_it_and_leaves(make_user):
    user = await make_user_async(make_user)
    socket = await open_socket(user)
    await socket.receive_json_from()
    await user_kicked(user_id=user.id, room_id=7)
    assert await socket.receive_nothing(0.3)  # a kick from one room only
    await user_kicked(user_id=user.id + 1, room_id=None)
    assert await socket.receive_nothing(0.3)  # another user's kick
    await user_kicked(user_id=user.id, room_id=None)
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4403}
    assert await api.online_users() == []


async def test_deactivating_the_user_closes_with_4403_and_leaves(make_user):
    watcher = await open_socket(await make_user_async(make_user))
    await watcher.receive_json_from()
    user = await make_user_async(make_user)
    socket = await open_socket(user)
    await socket.receive_json_from()
    await watcher.receive_json_from()  # the join
    user.is_active = False
    await user.asave()
    output = await socket.receive_output(3)
    while output["type"] == "websocket.send":  # a late join of the watcher
        output = await socket.receive_output(3)
    assert output == {"type": "websocket.close", "code": 4403}
    assert await watcher.receive_json_from(3) == {
        "type": "presence.leave", "room": None, "user": user.ref(),
    }  # fmt: skip
    await watcher.disconnect()
