"""chat.services: contiguous seqs, idempotent sends, deletions, rooms."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from chat import services, store
from chat.models import Message, Room
from realtime.groups import ACCOUNTS_GROUP, room_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(make_user) -> Room:
    return Room.objects.create(slug="lobby", name="Lobby", owner=make_user("owner"))


def _in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads started together, each with its own
    database connection, as separate server processes would."""
    barrier = threading.Barrier(count)

    def run(i: int):
        try:
            barrier.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_contiguous_seqs(make_user):
    room = Room.objects.create(slug="busy", name="Busy")
    authors = [make_user() for _ in range(4)]

    def send(i: int) -> list[int]:
        return [
            store.message_create(
                room=room, author=authors[i], body=f"{i}-{n}", client_id=None
            )[0].seq
            for n in range(50)
        ]

    per_thread = _in_threads(4, send)
    seqs = sorted(Message.objects.filter(room=room).values_list("seq", flat=True))
    assert seqs == list(range(1, 201))
    assert sorted(s for thread in per_thread for s in thread) == seqs
    # Each sender saw its own seqs grow.
    assert all(thread == sorted(thread) for thread in per_thread)
    room.refresh_from_db()
    assert room.last_seq == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_client_id_store_one_message(make_user):
    room = Room.objects.create(slug="race", name="Race")
    author = make_user()

    results = _in_threads(
        4,
        lambda i: store.message_create(
            room=room, author=author, body="hello", client_id="c-1"
        ),
    )
    assert Message.objects.count() == 1
    assert sum(created for _, created in results) == 1
    assert {message.pk for message, _ in results} == {Message.objects.get().pk}
    later, _ = store.message_create(
        room=room, author=author, body="next", client_id=None
    )
    assert later.seq == 2  # no seq was burnt by the losers


def test_lost_race_rolls_back_the_seq_and_returns_the_stored_message(
    room, make_user, monkeypatch
):
    author = make_user()
    first, _ = store.message_create(room=room, author=author, body="a", client_id="x")
    # As if another process inserted between our check and our insert.
    real = store.message_for_client_id
    misses = iter([None])
    monkeypatch.setattr(
        store,
        "message_for_client_id",
        lambda **kw: next(misses, None) or real(**kw),
    )
    again, created = store.message_create(
        room=room, author=author, body="a", client_id="x"
    )
    assert (again.pk, created) == (first.pk, False)
    room.refresh_from_db()
    assert room.last_seq == 1
    assert Message.objects.count() == 1


def test_client_id_is_idempotent_per_author(room, make_user):
    ada, bob = make_user(), make_user()
    m1, c1 = store.message_create(room=room, author=ada, body="hi", client_id="k")
    m2, c2 = store.message_create(room=room, author=ada, body="hi", client_id="k")
    m3, c3 = store.message_create(room=room, author=bob, body="hi", client_id="k")
    assert (c1, c2, c3) == (True, False, True)
    assert m1.pk == m2.pk != m3.pk
    assert [m1.seq, m3.seq] == [1, 2]
    assert Message.objects.count() == 2


def test_messages_without_client_id_are_never_merged(room, make_user):
    ada = make_user()
    for _ in range(3):
        store.message_create(room=room, author=ada, body="same", client_id=None)
    assert Message.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "client_id"),
    [("", None), ("x" * 4001, None), ("ok", "c" * 65), ("nul\x00", None), ("ok", "\0")],
)
def test_message_create_defends_its_input(room, make_user, body, client_id):
    with pytest.raises(ValueError):
        store.message_create(
            room=room, author=make_user(), body=body, client_id=client_id
        )
    room.refresh_from_db()
    assert room.last_seq == 0 and not Message.objects.exists()


def test_message_create_counts_code_points(room, make_user):
    body = "😀" * 4000
    message, _ = store.message_create(
        room=room, author=make_user(), body=body, client_id=None
    )
    message.refresh_from_db()
    assert message.body == body


def test_delete_permissions(room, make_user, django_user_model):
    author, other = make_user(), make_user()
    staff = make_user(is_staff=True)

    def post() -> Message:
        return store.message_create(room=room, author=author, body="x", client_id=None)[
            0
        ]

    with pytest.raises(PermissionDenied):
        services.message_delete(message_id=post().pk, by=other)
    for who in (author, room.owner, staff):
        deleted = services.message_delete(message_id=post().pk, by=who)
        assert deleted.deleted and deleted.body == ""
    with pytest.raises(Message.DoesNotExist):
        services.message_delete(message_id=10**9, by=staff)
    # A tombstone keeps its seq.
    assert list(Message.objects.order_by("seq").values_list("seq", "deleted")) == [
        (1, False),
        (2, True),
        (3, True),
        (4, True),
    ]


def test_delete_in_a_private_room_looks_missing_to_outsiders(make_user):
    owner, outsider = make_user(), make_user()
    secret = services.room_create(
        owner=owner, name="Secret", slug=None, private=True, members=[]
    )
    message, _ = store.message_create(
        room=secret, author=owner, body="psst", client_id=None
    )
    with pytest.raises(Message.DoesNotExist):
        services.message_delete(message_id=message.pk, by=outsider)


@pytest.mark.django_db(transaction=True)
async def test_delete_and_ban_broadcast_after_commit(make_user):
    owner = await database_sync_to_async(make_user)()
    bob = await database_sync_to_async(make_user)()
    room = await database_sync_to_async(services.room_create)(
        owner=owner, name="Loud", slug=None, private=False, members=[bob.username]
    )
    message, _ = await database_sync_to_async(store.message_create)(
        room=room, author=bob, body="oops", client_id=None
    )
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(room_group(room.pk), channel)
    await layer.group_add(ACCOUNTS_GROUP, channel)

    await database_sync_to_async(services.message_delete)(
        message_id=message.pk, by=owner
    )
    event = await asyncio.wait_for(layer.receive(channel), 5)
    assert event["type"] == "chat.change"
    assert json.loads(event["frame"]) == {
        "type": "message.deleted",
        "id": message.pk,
        "seq": 1,
        "room": "loud",
        "rev": 2,
    }

    await database_sync_to_async(services.room_ban)(
        room=room, by=owner, username=bob.username
    )
    event = await asyncio.wait_for(layer.receive(channel), 5)
    assert event == {
        "type": "user.kick",
        "user_id": bob.pk,
        "code": 4403,
        "room_id": room.pk,
    }
    await layer.group_discard(room_group(room.pk), channel)
    await layer.group_discard(ACCOUNTS_GROUP, channel)


def test_room_create_owner_is_member_and_slug_from_name(make_user):
    ada, bob = make_user("ada"), make_user("bob")
    room = services.room_create(
        owner=ada, name="  Café Talk! ", slug=None, private=True, members=["bob", "bob"]
    )
    assert (room.slug, room.name, room.private, room.owner) == (
        "cafe-talk",
        "Café Talk!",
        True,
        ada,
    )
    assert set(room.members.all()) == {ada, bob}


def test_room_create_cuts_a_long_slug_to_50(make_user):
    room = services.room_create(
        owner=make_user(), name="word " * 16, slug=None, private=False, members=[]
    )
    assert len(room.slug) <= 50 and not room.slug.endswith("-")


@pytest.mark.parametrize(
    ("name", "slug", "members", "field"),
    [
        ("", None, [], "name"),
        ("   ", None, [], "name"),
        ("x" * 81, None, [], "name"),
        ("nul\x00", None, [], "name"),
        ("😀😀", None, [], "slug"),
        ("!!!", None, [], "slug"),
        ("Fine", "Upper", [], "slug"),
        ("Fine", "has space", [], "slug"),
        ("Fine", "x" * 51, [], "slug"),
        ("Fine", "nul\x00", [], "slug"),
        ("Fine", None, ["nobody"], "members"),
        ("Fine", None, ["nul\x00"], "members"),
    ],
)
def test_room_create_rejects_bad_input_and_writes_nothing(
    make_user, name, slug, members, field
):
    before = Room.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.room_create(
            owner=make_user(), name=name, slug=slug, private=False, members=members
        )
    assert list(caught.value.message_dict) == [field]
    assert Room.objects.count() == before


def test_room_create_taken_slug(make_user):
    services.room_create(
        owner=make_user(), name="A", slug="a", private=False, members=[]
    )
    with pytest.raises(services.SlugTaken):
        services.room_create(
            owner=make_user(), name="Other", slug="a", private=False, members=[]
        )
    with pytest.raises(services.SlugTaken):
        services.room_create(
            owner=make_user(), name="General", slug=None, private=False, members=[]
        )


def test_room_create_is_atomic(make_user, monkeypatch, django_user_model):
    owner = make_user()
    ghost = django_user_model(username="ghost")  # never saved: add() fails
    monkeypatch.setattr(services, "_users_named", lambda names, field: [ghost])
    with pytest.raises(ValueError):
        services.room_create(
            owner=owner, name="Half", slug=None, private=False, members=["ghost"]
        )
    assert not Room.objects.filter(slug="half").exists()


def test_add_member_and_ban_permissions(room, make_user):
    member, stranger = make_user("member"), make_user("stranger")
    staff = make_user("staff", is_staff=True)
    with pytest.raises(PermissionDenied):
        services.room_add_member(room=room, by=stranger, username="member")
    with pytest.raises(PermissionDenied):
        services.room_ban(room=room, by=stranger, username="member")
    services.room_add_member(room=room, by=room.owner, username="member")
    assert room.members.filter(pk=member.pk).exists()
    with pytest.raises(ValidationError):
        services.room_add_member(room=room, by=room.owner, username="nobody")
    with pytest.raises(ValidationError):
        services.room_ban(room=room, by=staff, username=room.owner.username)

    assert services.room_ban(room=room, by=staff, username="member") == member
    assert not room.members.filter(pk=member.pk).exists()
    assert room.banned.filter(pk=member.pk).exists()
    # Adding again lifts the ban.
    services.room_add_member(room=room, by=staff, username="member")
    assert room.members.filter(pk=member.pk).exists()
    assert not room.banned.filter(pk=member.pk).exists()
