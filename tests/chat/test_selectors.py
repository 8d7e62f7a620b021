"""chat.selectors: room access and history pages."""

from __future__ import annotations

import pytest

from chat import roomviews, selectors, serializers, services, store
from chat.models import Message, Room
from protocol import wire

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user("owner", display_name="The Owner")


@pytest.fixture
def secret(owner) -> Room:
    return services.room_create(
        owner=owner, name="Secret", slug="secret", private=True, members=[]
    )


def _fill(room: Room, author, count: int) -> None:
    Message.objects.bulk_create(
        Message(room=room, author=author, seq=n, body=f"m{n}")
        for n in range(1, count + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=count)


@pytest.mark.parametrize(
    "slug", ["nope", "UPPER", "", "a" * 51, "nul\x00", "é", "../x"]
)
def test_missing_or_invalid_slug_is_not_found(make_user, slug):
    with pytest.raises(selectors.RoomNotFound):
        selectors.room_for_user(slug=slug, user=make_user())


def test_private_room_looks_missing_to_non_members(secret, owner, make_user):
    with pytest.raises(selectors.RoomNotFound):
        selectors.room_for_user(slug="secret", user=make_user())
    # Even staff: room_for_user is what sockets use; moderators have their own.
    staff = make_user(is_staff=True)
    with pytest.raises(selectors.RoomNotFound):
        selectors.room_for_user(slug="secret", user=staff)
    assert selectors.room_for_moderator(slug="secret", user=staff) == secret
    assert selectors.room_for_user(slug="secret", user=owner) == secret


def test_banned_user_is_forbidden(secret, owner, make_user):
    bob = make_user("bob")
    services.room_add_member(room=secret, by=owner, username="bob")
    services.room_ban(room=secret, by=owner, username="bob")
    with pytest.raises(selectors.RoomForbidden):
        selectors.room_for_user(slug="secret", user=bob)
    general = Room.objects.get(slug="general")
    general.banned.add(bob)
    with pytest.raises(selectors.RoomForbidden):
        selectors.room_for_user(slug="general", user=bob)


def test_room_for_user_is_one_query(owner, django_assert_num_queries):
    with django_assert_num_queries(1):
        room = selectors.room_for_user(slug="general", user=owner)
    assert room.is_member


def test_visible_rooms(secret, owner, make_user):
    bob = make_user("bob")
    public = services.room_create(
        owner=owner, name="Public", slug=None, private=False, members=[]
    )
    assert [r.slug for r in roomviews.visible_rooms(bob)] == ["general", "public"]
    assert [r.slug for r in roomviews.visible_rooms(owner)] == [
        "general",
        "public",
        "secret",
    ]
    public.banned.add(bob)
    assert [r.slug for r in roomviews.visible_rooms(bob)] == ["general"]


def test_history_pages(owner, django_assert_num_queries):
    room = Room.objects.get(slug="general")
    _fill(room, owner, 10)

    def seqs(**kw) -> tuple[list[int], bool]:
        messages, more = selectors.message_history(room=room, **kw)
        return [m.seq for m in messages], more

    assert seqs(limit=3) == ([8, 9, 10], True)
    assert seqs(limit=10) == (list(range(1, 11)), False)
    assert seqs(before=8, limit=3) == ([5, 6, 7], True)
    assert seqs(before=4, limit=3) == ([1, 2, 3], False)
    assert seqs(before=1, limit=3) == ([], False)
    assert seqs(after=0, limit=3) == ([1, 2, 3], True)
    assert seqs(after=7, limit=3) == ([8, 9, 10], False)
    assert seqs(after=10, limit=3) == ([], False)
    # The page, then the reactions of all its messages.
    with django_assert_num_queries(2):
        messages, _ = selectors.message_history(room=room, limit=50)
        [serializers.message_dict(m) for m in messages]
    with pytest.raises(ValueError):
        selectors.message_history(room=room, before=3, after=1, limit=3)


def test_history_includes_tombstones(owner):
    room = Room.objects.get(slug="general")
    message, _ = store.message_create(
        room=room, author=owner, body="bye", client_id="c"
    )
    services.message_delete(message_id=message.pk, by=owner)
    (tomb,), _ = selectors.message_history(room=room, limit=5)
    assert serializers.message_dict(tomb) == {
        "id": message.pk,
        "seq": 1,
        "room": "general",
        "user": {"id": owner.pk, "username": "owner", "display_name": "The Owner"},
        "body": "",
        "created_at": wire.timestamp(message.created_at),
        "client_id": "c",
        "deleted": True,
        "edited_at": None,
        "rev": 2,  # its creation was rev 1, its deletion rev 2
        "reactions": [],
        "mentions": [],
    }


def test_timestamp_is_utc_with_z():
    from datetime import datetime, timedelta, timezone

    moment = datetime(
        2026, 11, 25, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))
    )
    assert wire.timestamp(moment) == "2026-11-25T17:00:00.123456Z"


def test_message_for_client_id(owner, make_user):
    room = Room.objects.get(slug="general")
    message, _ = store.message_create(room=room, author=owner, body="x", client_id="k")
    assert selectors.message_for_client_id(author=owner, client_id="k") == message
    assert selectors.message_for_client_id(author=make_user(), client_id="k") is None
    assert selectors.message_for_client_id(author=owner, client_id="k\x00") is None
