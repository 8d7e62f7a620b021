"""The room socket against the real Redis channel layer (PROTOCOL.md, Sockets)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat.models import Message, Room
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator, open_room, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@database_sync_to_async
def make_room(slug: str, *, private: bool = False, members=(), banned=(), owner=None):
    room = Room.objects.create(
        slug=slug, name=slug.title(), private=private, owner=owner
    )
    room.members.add(*members)
    room.banned.add(*banned)
    return room


@database_sync_to_async
def count_messages() -> int:
    return Message.objects.count()


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    # Tests here send hundreds of messages; the limit has a test of its own.
    settings.CHAT_RATE_LIMIT = "100000/10"


# --- handshake ------------------------------------------------------------


async def _refused(path: str, session_key: str | None, **kwargs) -> bool:
    comm = communicator(path, session_key, **kwargs)
    connected, _ = await comm.connect(TIMEOUT)
    await comm.disconnect()
    return not connected


async def test_anonymous_and_bad_sessions_are_refused_at_handshake(amake_user):
    assert await _refused("/ws/chat/general/", None)
    assert await _refused("/ws/chat/general/", "not-a-session")
    assert await _refused("/ws/chat/missing/", None)  # no enumeration either


async def test_inactive_user_is_refused(amake_user):
    user = await amake_user()
    key = await asession_cookie_for(user)
    user.is_active = False
    await database_sync_to_async(user.save)()
    assert await _refused("/ws/chat/general/", key)


@pytest.mark.parametrize(
    "origin", [None, "http://evil.example", "null", "http://localhost.evil.example"]
)
async def test_foreign_or_missing_origin_is_refused(amake_user, origin):
    key = await asession_cookie_for(await amake_user())
    assert await _refused("/ws/chat/general/", key, origin=origin)


async def test_unknown_socket_path_is_refused(amake_user):
    key = await asession_cookie_for(await amake_user())
    assert await _refused("/ws/nothing/", key)


async def _refused_after_accept(user, slug: str) -> tuple[dict, int]:
    comm = communicator(f"/ws/chat/{slug}/", await asession_cookie_for(user))
    connected, _ = await comm.connect(TIMEOUT)
    assert connected
    error = json.loads(await comm.receive_from(TIMEOUT))
    close = await comm.receive_output(TIMEOUT)
    await comm.disconnect()
    return error, close["code"]


@pytest.mark.parametrize("slug", ["missing", "General", "x" * 51, "%20", "a.b"])
async def test_unknown_room_is_not_found_4404(amake_user, slug):
    error, code = await _refused_after_accept(await amake_user(), slug)
    assert error["type"] == "error" and error["code"] == "not_found"
    assert code == 4404


async def test_private_room_looks_missing_to_non_members(amake_user):
    owner, outsider = await amake_user(), await amake_user()
    await make_room("secret", private=True, members=[owner], owner=owner)
    error, code = await _refused_after_accept(outsider, "secret")
    assert (error["code"], code) == ("not_found", 4404)
    sock = await open_room(owner, "secret")
    await sock.close()


async def test_banned_user_gets_forbidden_4403(amake_user):
    user = await amake_user()
    await make_room("strict", banned=[user])
    error, code = await _refused_after_accept(user, "strict")
    assert (error["code"], code) == ("forbidden", 4403)


# --- first frames -----------------------------------------------------------


async def test_first_frames_are_presence_state_then_latest_history(amake_user):
    user = await amake_user("zed")
    sock = await open_room(user)
    assert sock.state == {
        "type": "presence.state",
        "room": "general",
        "users": [{"id": user.id, "username": "zed", "display_name": "zed"}],
    }
    assert sock.history == {
        "type": "history",
        "room": "general",
        "messages": [],
        "has_more": False,
        "rev": 0,
    }
    for n in range(55):
        await send_message(sock, f"m{n}")
    await sock.close()
    again = await open_room(user)
    seqs = [m["seq"] for m in again.history["messages"]]
    assert seqs == list(range(6, 56))
    assert again.history["has_more"] is True
    await again.close()


# --- messages -----------------------------------------------------------------


async def test_message_is_stored_then_broadcast_to_everyone_sender_included(
    amake_user,
):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    a, b = await open_room(ada), await open_room(bob)
    await a.send(
        {"type": "message.send", "body": "  hello <b>bob</b>\n ", "client_id": "c1"}
    )
    mine, theirs = await a.recv_type("message"), await b.recv_type("message")
    assert mine == theirs
    assert mine["type"] == "message"
    assert mine["body"] == "hello <b>bob</b>"
    assert mine["seq"] == 1 and mine["room"] == "general"
    assert mine["user"] == {"id": ada.id, "username": "ada", "display_name": "ada"}
    assert mine["client_id"] == "c1" and mine["deleted"] is False
    assert mine["created_at"].endswith(("Z", "+00:00"))
    stored = await database_sync_to_async(Message.objects.get)(pk=mine["id"])
    assert stored.body == "hello <b>bob</b>" and stored.seq == 1
    await a.close()
    await b.close()


async def test_same_client_id_stores_once_and_answers_the_sender_only(amake_user):
    ada, bob = await amake_user(), await amake_user()
    a, b = await open_room(ada), await open_room(bob)
    first = await send_message(a, "once", client_id="retry-1")
    assert (await b.recv_type("message"))["id"] == first["id"]
    await a.send(
        {"type": "message.send", "body": "once, edited", "client_id": "retry-1"}
    )
    assert await a.recv_type("message") == first
    assert await b.nothing()
    assert await count_messages() == 1
    # Another user may use the same client_id: ids are per user.
    other = await send_message(b, "mine", client_id="retry-1")
    assert other["id"] != first["id"] and other["seq"] == 2
    await a.close()
    await b.close()


async def test_two_rooms_see_only_their_own_messages(amake_user):
    await make_room("other")
    ada, bob = await amake_user(), await amake_user()
    a, b = await open_room(ada, "general"), await open_room(bob, "other")
    await send_message(a, "in general")
    await send_message(b, "in other")
    assert await a.nothing() and await b.nothing()
    await a.close()
    await b.close()


async def test_resume_after_120_messages_has_no_gap_or_duplicate(amake_user):
    ada, bob = await amake_user(), await amake_user()
    a = await open_room(ada)
    for n in range(40):
        await send_message(a, f"early {n}")
    b = await open_room(bob)
    held = [m["seq"] for m in b.history["messages"]]
    await b.close()  # bob goes away; 80 more are sent meanwhile
    for n in range(80):
        await send_message(a, f"late {n}")
    b = await open_room(bob, query=f"after={held[-1]}")
    resumed = [m["seq"] for m in b.history["messages"]]
    assert resumed == list(range(41, 121))
    assert b.history["has_more"] is False
    live = await send_message(a, "after resume")
    assert (await b.recv_type("message"))["seq"] == live["seq"] == 121
    await a.close()
    await b.close()


async def test_history_pagination_walks_every_message_once(amake_user):
    ada = await amake_user()
    a = await open_room(ada)
    for n in range(120):
        await send_message(a, f"n{n}")
    seen: list[int] = []
    oldest = 121
    while True:
        await a.send({"type": "history.before", "before": oldest, "limit": 50})
        page = await a.recv_type("history")
        assert page["before"] == oldest
        seen = [m["seq"] for m in page["messages"]] + seen
        if not page["has_more"]:
            break
        oldest = page["messages"][0]["seq"]
    assert seen == list(range(1, 121))

    forward: list[int] = []
    after = 0
    while True:
        await a.send({"type": "history.after", "after": after, "limit": 45})
        page = await a.recv_type("history")
        assert page["after"] == after
        forward += [m["seq"] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = page["messages"][-1]["seq"]
    assert forward == list(range(1, 121))
    await a.close()


async def test_resume_longer_than_500_is_cut_with_has_more(amake_user):
    ada = await amake_user()
    room = await database_sync_to_async(Room.objects.get)(slug="general")

    @database_sync_to_async
    def bulk():
        Message.objects.bulk_create(
            Message(room=room, seq=n, author=ada, body=f"b{n}") for n in range(1, 601)
        )
        Room.objects.filter(pk=room.pk).update(last_seq=600)

    await bulk()
    sock = await open_room(ada, query="after=0")
    seqs = [m["seq"] for m in sock.history["messages"]]
    assert seqs == list(range(1, 501)) and sock.history["has_more"] is True
    live = await send_message(sock, "newest")
    assert live["seq"] == 601
    await sock.close()


async def test_typing_reaches_others_not_the_sender(amake_user, settings):
    settings.CHAT_TYPING_INTERVAL = 0.3
    ada, bob = await amake_user("ada"), await amake_user("bob")
    a, b = await open_room(ada), await open_room(bob)
    await a.send({"type": "typing", "active": True})
    frame = await b.recv_type("typing")
    assert frame["user"]["username"] == "ada" and frame["active"] is True
    assert frame["room"] == "general"
    # PROTOCOL.md 1.1: one per interval whatever its `active`.
    await a.send({"type": "typing", "active": True})
    await a.send({"type": "typing", "active": False})
    assert await b.nothing(0.2)
    await asyncio.sleep(0.1)
    await a.send({"type": "typing", "active": False})
    assert (await b.recv_type("typing"))["active"] is False
    assert await a.nothing()
    await a.close()
    await b.close()


async def test_ping_gets_pong(amake_user):
    sock = await open_room(await amake_user())
    await sock.send({"type": "ping"})
    assert await sock.recv() == {"type": "pong"}
    await sock.close()


# --- bad input ----------------------------------------------------------------

BAD_FRAMES = [
    ("not json", "bad_json", None),
    ("{'single': 'quotes'}", "bad_json", None),
    ("[1, 2]", "bad_request", None),
    ('"message.send"', "bad_request", None),
    ("null", "bad_request", None),
    ("42", "bad_request", None),
    ("{}", "bad_request", None),
    ('{"type": 5}', "bad_request", None),
    ('{"type": null, "client_id": "r1"}', "bad_request", "r1"),
    ('{"type": "message.delete"}', "unknown_type", None),
    ('{"type": "<script>alert(1)</script>", "client_id": "r2"}', "unknown_type", "r2"),
    ('{"type": "message.send"}', "bad_request", None),
    ('{"type": "message.send", "body": 5, "client_id": "r3"}', "bad_request", "r3"),
    ('{"type": "message.send", "body": ["x"]}', "bad_request", None),
    ('{"type": "message.send", "body": null}', "bad_request", None),
    ('{"type": "message.send", "body": ""}', "bad_request", None),
    ('{"type": "message.send", "body": "   \\n\\t "}', "bad_request", None),
    ('{"type": "message.send", "body": "a\\u0000b"}', "bad_request", None),
    (
        json.dumps({"type": "message.send", "body": "x" * 4001, "client_id": "r4"}),
        "too_long",
        "r4",
    ),
    (json.dumps({"type": "message.send", "body": "é" * 4001}), "too_long", None),
    ('{"type": "message.send", "body": "hi", "client_id": 7}', "bad_request", None),
    ('{"type": "message.send", "body": "hi", "client_id": ""}', "bad_request", ""),
    (
        '{"type": "message.send", "body": "hi", "client_id": "a\\u0000"}',
        "bad_request",
        "a\x00",
    ),
    (
        json.dumps({"type": "message.send", "body": "hi", "client_id": "c" * 65}),
        "bad_request",
        "c" * 65,
    ),
    ('{"type": "history.before"}', "bad_request", None),
    ('{"type": "history.before", "before": "10"}', "bad_request", None),
    ('{"type": "history.before", "before": true}', "bad_request", None),
    ('{"type": "history.before", "before": -1}', "bad_request", None),
    ('{"type": "history.before", "before": 10, "limit": 0}', "bad_request", None),
    ('{"type": "history.before", "before": 10, "limit": 101}', "bad_request", None),
    ('{"type": "history.before", "before": 1.5}', "bad_request", None),
    ('{"type": "history.after", "after": 0, "limit": 501}', "bad_request", None),
    ('{"type": "history.after", "after": 1e400}', "bad_request", None),
    ('{"type": "history.after"}', "bad_request", None),
    ('{"type": "typing"}', "bad_request", None),
    ('{"type": "typing", "active": "yes"}', "bad_request", None),
    ('{"type": "typing", "active": 1}', "bad_request", None),
    ("[" * 100_000 + "]" * 100_000, "bad_json", None),
]


@pytest.mark.parametrize("text, code, ref", BAD_FRAMES)
async def test_bad_frame_gets_its_error_stores_nothing_and_the_socket_still_chats(
    amake_user, text, code, ref
):
    ada, bob = await amake_user(), await amake_user()
    a, b = await open_room(ada), await open_room(bob)
    await a.send(text)
    error = await a.recv()
    while error["type"].startswith("presence."):
        error = await a.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert isinstance(error["detail"], str) and error["detail"]
    assert error.get("ref") == ref
    assert await count_messages() == 0
    assert await b.nothing(0.1)
    ok = await send_message(a, "still here")
    assert (await b.recv_type("message"))["id"] == ok["id"]
    await a.close()
    await b.close()


async def test_binary_frame_is_bad_request(amake_user):
    a = await open_room(await amake_user())
    await a.comm.send_to(bytes_data=b'{"type": "ping"}')
    assert (await a.recv())["code"] == "bad_request"
    await a.send({"type": "ping"})
    assert await a.recv() == {"type": "pong"}
    await a.close()


async def test_bad_resume_point_is_reported_and_latest_history_sent(amake_user):
    user = await amake_user()
    comm = communicator("/ws/chat/general/?after=abc", await asession_cookie_for(user))
    assert (await comm.connect(TIMEOUT))[0]
    frames = [json.loads(await comm.receive_from(TIMEOUT)) for _ in range(3)]
    assert [f["type"] for f in frames] == ["presence.state", "error", "history"]
    assert frames[1]["code"] == "bad_request"
    await comm.disconnect()


async def test_rate_limit_across_sockets_then_retry_is_free(amake_user, settings):
    settings.CHAT_RATE_LIMIT = "3/30"
    ada = await amake_user()
    a1, a2 = await open_room(ada), await open_room(ada)
    await send_message(a1, "1", client_id="k1")
    await send_message(a2, "2")
    await send_message(a1, "3")
    await a2.send({"type": "message.send", "body": "4", "client_id": "k4"})
    error = await a2.recv_type("error")
    assert (error["code"], error["ref"]) == ("rate_limited", "k4")
    assert await count_messages() == 3
    # An idempotent retry is not counted and gets the stored message back.
    again = await send_message(a1, "1", client_id="k1")
    assert again["seq"] == 1
    await a1.close()
    await a2.close()


async def test_twenty_errors_in_ten_seconds_close_with_4429(amake_user):
    user = await amake_user()
    a = await open_room(user)
    for _ in range(20):
        await a.send("nope")
        assert (await a.recv())["code"] == "bad_json"
    await a.send("nope")
    closed = await a.comm.receive_output(TIMEOUT)
    assert closed == {"type": "websocket.close", "code": 4429}
    await a.close()
    again = await open_room(user)  # reconnecting is allowed
    await again.send({"type": "ping"})
    assert await again.recv() == {"type": "pong"}
    await again.close()


@pytest.mark.slow
async def test_socket_outlives_a_short_group_expiry(amake_user, settings):
    # channels-redis' core layer forgets group members after group_expiry
    # (a day by default); a socket must stay subscribed for as long as it is
    # open. The pub/sub layer ties membership to the open subscription, so
    # even a 2-second expiry asked of it changes nothing.
    from channels.layers import channel_layers

    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {
        "default": {**layer, "CONFIG": {**layer["CONFIG"], "group_expiry": 2}}
    }
    channel_layers.backends = {}
    quiet = await open_room(await amake_user())
    await asyncio.sleep(4)
    talker = await open_room(await amake_user())
    sent = await send_message(talker, "after the expiry")
    assert (await quiet.recv_type("message"))["id"] == sent["id"]
    await quiet.close()
    await talker.close()
