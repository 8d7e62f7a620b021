"""The 1.1 Room fields (chat.roomviews) and the room list's query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import memberships, roomviews, services, store
from chat.models import Membership, Mention, Message, Room, RoomKind
from protocol.wire import RoomDict
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


def _rooms_for(user, count: int) -> None:
    """`count` rooms of every kind with messages, deletions and mentions."""
    other = type(user).objects.create_user(username=f"other{count}", password="x")
    rooms = Room.objects.bulk_create(
        Room(
            slug=f"r{count}-{n}",
            name=f"R {n}",
            kind=(RoomKind.PUBLIC, RoomKind.PRIVATE)[n % 2],
            private=bool(n % 2),
            owner=other,
            last_seq=3,
        )
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(room=room, user=user, last_read=1) for room in rooms
    )
    messages = Message.objects.bulk_create(
        Message(room=room, seq=seq, author=other, body="x", deleted=seq == 3)
        for room in rooms
        for seq in (1, 2, 3)
    )
    Mention.objects.bulk_create(
        Mention(message=m, user=user, room_id=m.room_id, seq=m.seq)
        for m in messages
        if m.seq == 2
    )


def _list_queries(user) -> tuple[int, list[dict]]:
    api = Api(user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/rooms/")
    assert response.status_code == 200
    return len(queries), response.json()["rooms"]


def test_room_list_takes_the_same_queries_for_5_and_500_rooms(make_user):
    few, many = make_user("few"), make_user("many")
    _rooms_for(few, 5)
    _rooms_for(many, 500)
    dms = [make_user(f"peer{n}") for n in range(3)]
    from chat import dms as direct

    for peer in dms:
        direct.direct_room(user=many, username=peer.username)
        direct.direct_room(user=few, username=peer.username)
    few_count, _ = _list_queries(few)
    many_count, many_rooms = _list_queries(many)
    # The session, the user, the rooms, the direct rooms' peers.
    assert few_count == many_count == 4
    # Its own, the direct rooms, general, and the public ones of `few`.
    assert len(many_rooms) == 500 + 3 + 1 + 3
    mine = [r for r in many_rooms if r["slug"].startswith("r500-")]
    assert {(r["unread"], r["mentions"], r["last_read"]) for r in mine} == {(1, 1, 1)}
    assert sorted(r["peer"]["username"] for r in many_rooms if r["peer"]) == [
        "peer0",
        "peer1",
        "peer2",
    ]


def test_selector_is_two_queries(make_user, django_assert_num_queries):
    user = make_user("ada")
    _rooms_for(user, 20)
    with django_assert_num_queries(1):  # no direct rooms: no peer query
        rooms = roomviews.visible_rooms(user)
        [roomviews.room_dict(room, 0) for room in rooms]
    assert len(rooms) == 21


def test_room_fields_for_member_and_non_member(make_user):
    ada, bob = make_user("ada"), make_user("bob", display_name="Bobby")
    room = services.room_create(
        owner=bob, name="Den", slug="den", private=False, members=[]
    )
    store.message_create(room=room, author=bob, body="hi @ada", client_id=None)
    (view,) = [r for r in roomviews.visible_rooms(ada) if r.slug == "den"]
    assert roomviews.room_dict(view, 2) == {
        "slug": "den",
        "name": "Den",
        "private": False,
        "owner": bob.ref(),
        "online": 2,
        "kind": "public",
        "description": "",
        "member": False,
        "last_seq": 1,
        "last_read": 0,
        "unread": 0,
        "mentions": 0,
        "muted": False,
        "peer": None,
    }
    memberships.join(room=room, user=ada)  # starts with nothing unread
    store.message_create(room=room, author=bob, body="@ada again", client_id=None)
    memberships.set_muted(room=room, user=ada, muted=True)
    view = roomviews.room_view(room.pk, ada)
    fields = roomviews.room_dict(view, 0)
    assert {k: fields[k] for k in ("member", "last_read", "unread", "mentions")} == {
        "member": True,
        "last_read": 1,
        "unread": 1,
        "mentions": 1,
    }
    assert fields["muted"] is True


def test_every_answer_with_a_room_has_the_11_fields(make_user):
    ada = make_user("ada")
    make_user("bob")
    api = Api(ada)
    fields = set(RoomDict.__annotations__)
    answers = [
        api.post("/api/rooms/", {"name": "Den"}),
        api.post("/api/rooms/den/join/", {}),
        api.post("/api/rooms/", {"name": "Lair", "private": True}),
        api.post("/api/rooms/lair/members/", {"username": "bob"}),
        api.post("/api/rooms/den/bans/", {"username": "bob"}),
        api.post("/api/rooms/den/settings/", {"muted": True}),
        api.post("/api/dms/", {"username": "bob"}),
        api.patch("/api/rooms/den/", '{"description": "d"}'),
    ]
    for response in answers:
        assert response.status_code in (200, 201), response.content
        assert set(response.json()) == fields
    for room in api.get("/api/rooms/").json()["rooms"]:
        assert set(room) == fields


def test_openapi_schema_names_every_room_field(make_user):
    schema = Api(make_user()).get("/api/openapi.json").json()
    room = schema["components"]["schemas"]["RoomOut"]
    fields = set(RoomDict.__annotations__)
    assert set(room["properties"]) == fields
    assert set(room["required"]) == fields
    assert room["properties"]["kind"]["enum"] == ["public", "private", "direct"]
    message = schema["components"]["schemas"]["MessageOut"]
    assert message["properties"]["mentions"]["items"]["type"] == "integer"
    paths = schema["paths"]
    for path in (
        "/api/rooms/{slug}/join/",
        "/api/rooms/{slug}/leave/",
        "/api/rooms/{slug}/read/",
        "/api/rooms/{slug}/settings/",
        "/api/rooms/{slug}/",
        "/api/dms/",
    ):
        assert path in paths, path
