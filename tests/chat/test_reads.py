"""Read markers (PROTOCOL.md 1.1): the `read` frame, POST …/read/, and the
`read` frame that every socket of the user gets."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from chat import services, store
from chat.models import Membership, Room
from tests.helpers.api import Api
from tests.helpers.sockets import open_room, open_site, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@database_sync_to_async
def fill(slug: str, author, count: int) -> None:
    room = Room.objects.get(slug=slug)
    for n in range(count):
        store.message_create(room=room, author=author, body=f"m{n}", client_id=None)


@database_sync_to_async
def marker(user, slug: str = "general") -> int:
    return Membership.objects.get(user=user, room__slug=slug).last_read


async def test_read_frame_is_monotonic_and_clamped(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await fill("general", bob, 5)
    sock = await open_room(ada)
    await sock.send({"type": "read", "seq": 3})
    assert await sock.recv_type("read") == {
        "type": "read",
        "room": "general",
        "last_read": 3,
        "unread": 2,
        "mentions": 0,
    }
    await sock.send({"type": "read", "seq": 1})  # never back: nothing moves
    await sock.send({"type": "read", "seq": 10**30})  # clamped to last_seq
    frame = await sock.recv_type("read")
    assert (frame["last_read"], frame["unread"]) == (5, 0)
    assert await sock.nothing()
    assert await marker(ada) == 5
    await sock.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "read"},
        {"type": "read", "seq": -1},
        {"type": "read", "seq": "3"},
        {"type": "read", "seq": 1.5},
        {"type": "read", "seq": True},
        {"type": "read", "seq": None},
        {"type": "read", "seq": [1]},
    ],
)
async def test_bad_read_frames_get_bad_request(amake_user, frame):
    sock = await open_room(await amake_user())
    await sock.send(frame)
    assert (await sock.recv_type("error"))["code"] == "bad_request"
    await sock.close()


async def test_non_member_read_is_forbidden_and_the_socket_stays(amake_user):
    ada = await amake_user("ada")
    await database_sync_to_async(Room.objects.create)(slug="den", name="Den")
    sock = await open_room(ada, "den")
    await sock.send({"type": "read", "seq": 0})
    assert (await sock.recv_type("error"))["code"] == "forbidden"
    await sock.send({"type": "ping"})
    assert (await sock.recv_type("pong"))["type"] == "pong"
    await sock.close()


async def test_a_read_reaches_every_socket_of_the_user(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await database_sync_to_async(Room.objects.create)(slug="den", name="Den")
    await fill("general", bob, 2)
    tab1, tab2, other_room = (
        await open_room(ada),
        await open_room(ada),
        await open_room(ada, "den"),
    )
    site, bob_site = await open_site(ada), await open_site(bob)
    await tab1.send({"type": "read", "seq": 2})
    expected = {
        "type": "read",
        "room": "general",
        "last_read": 2,
        "unread": 0,
        "mentions": 0,
    }
    for sock in (tab1, tab2, other_room):
        assert await sock.recv_type("read") == expected
    assert await site.frames() == [expected]
    assert await bob_site.frames() == []  # bob's marker is his own
    for sock in (tab1, tab2, other_room, site, bob_site):
        await sock.close()


async def test_sending_moves_the_senders_marker(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await fill("general", bob, 3)
    sock = await open_room(ada)
    sent = await send_message(sock, "mine")
    frame = await sock.recv_type("read")
    assert (frame["last_read"], frame["unread"]) == (sent["seq"], 0)
    assert await marker(ada) == 4
    await sock.close()


def test_unread_excludes_own_and_deleted_messages(make_user, general_room):
    ada, bob = make_user("ada"), make_user("bob")
    general = Room.objects.get(slug="general")
    for body in ("b1", "b2"):
        store.message_create(room=general, author=bob, body=body, client_id=None)
    mine, _ = store.message_create(room=general, author=ada, body="a", client_id=None)
    later = [
        store.message_create(room=general, author=bob, body=b, client_id=None)[0]
        for b in ("b3", "@ada b4", "b5")
    ]
    services.message_delete(message_id=later[2].pk, by=bob)
    api = Api(ada)
    (room,) = [r for r in api.get("/api/rooms/").json()["rooms"] if r["member"]]
    # Ada's own message moved her marker to 3; of 4 and 5 (b3, @ada b4), both
    # unread, one mentions her; 6 is deleted.
    assert (room["last_read"], room["unread"], room["mentions"]) == (3, 2, 1)
    assert mine.seq == 3
    bob_view = Api(bob).get("/api/rooms/").json()["rooms"]
    assert (bob_view[0]["last_read"], bob_view[0]["unread"]) == (6, 0)


def test_read_endpoint(make_user, general_room):
    ada, bob = make_user("ada"), make_user("bob")
    general = Room.objects.get(slug="general")
    for n in range(4):
        store.message_create(room=general, author=bob, body=f"@ada {n}", client_id=None)
    api = Api(ada)
    response = api.post("/api/rooms/general/read/", {"seq": 2})
    assert response.status_code == 200
    assert response.json() == {
        "room": "general",
        "last_read": 2,
        "unread": 2,
        "mentions": 2,
    }
    # Backwards: the state as it is; beyond the end: clamped.
    assert api.post("/api/rooms/general/read/", {"seq": 0}).json()["last_read"] == 2
    assert api.post("/api/rooms/general/read/", {"seq": 99}).json() == {
        "room": "general",
        "last_read": 4,
        "unread": 0,
        "mentions": 0,
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"seq": -1}, {"seq": "1"}, {"seq": 1.0}, {"seq": True}, {"seq": 2**64}, []],
)
def test_read_endpoint_refuses_bad_input(make_user, general_room, body):
    assert Api(make_user()).post("/api/rooms/general/read/", body).status_code == 400


def test_read_endpoint_access(make_user, general_room):
    ada, owner = make_user("ada"), make_user("owner")
    Room.objects.create(slug="den", name="Den")
    services.room_create(owner=owner, name="S", slug="secret", private=True, members=[])
    api = Api(ada)
    assert api.post("/api/rooms/den/read/", {"seq": 0}).status_code == 403
    assert api.post("/api/rooms/secret/read/", {"seq": 0}).status_code == 404
    assert api.post("/api/rooms/nope/read/", {"seq": 0}).status_code == 404
    general = Room.objects.get(slug="general")
    general.banned.add(ada)
    assert api.post("/api/rooms/general/read/", {"seq": 0}).status_code == 403
    anonymous = Api()
    assert anonymous.post("/api/rooms/general/read/", {"seq": 0}).status_code == 403


def test_read_frame_text_is_what_the_protocol_says():
    from protocol import wire

    assert json.loads(wire.read(room="r", last_read=1, unread=2, mentions=3)) == {
        "type": "read",
        "room": "r",
        "last_read": 1,
        "unread": 2,
        "mentions": 3,
    }
