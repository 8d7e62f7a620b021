"""Memberships (PROTOCOL.md 1.1): join, leave, mute, rename, and `general`
for everyone."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import Membership, Room, RoomKind
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_user):
    return make_user("ada")


@pytest.fixture
def owner(make_user):
    return make_user("owner")


def _patch(api: Api, slug: str, body) -> object:
    return api.patch(f"/api/rooms/{slug}/", body)


def _member(user, slug: str) -> bool:
    return Membership.objects.filter(user=user, room__slug=slug).exists()


def test_every_user_is_a_member_of_general_from_signup(ada, client):
    assert _member(ada, "general")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(
        user__username="newbie", room__slug="general"
    ).exists()


def test_join_a_public_room_twice_and_leave_it(ada, owner):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    api = Api(ada)
    first = api.post("/api/rooms/den/join/", {})
    assert first.status_code == 200 and first.json()["member"] is True
    assert api.post("/api/rooms/den/join/", {}).status_code == 200
    assert Membership.objects.filter(user=ada, room__slug="den").count() == 1
    assert api.post("/api/rooms/den/leave/", {}).status_code == 204
    assert not _member(ada, "den")
    assert api.post("/api/rooms/den/leave/", {}).status_code == 204  # idempotent
    # A public room stays visible to a non-member.
    rooms = {r["slug"]: r for r in api.get("/api/rooms/").json()["rooms"]}
    assert rooms["den"]["member"] is False


def test_private_rooms_cannot_be_joined_by_strangers(ada, owner):
    services.room_create(owner=owner, name="S", slug="secret", private=True, members=[])
    assert Api(ada).post("/api/rooms/secret/join/", {}).status_code == 404
    assert not _member(ada, "secret")


def test_leaving_a_private_room_hides_it_and_the_owner_can_come_back(ada, owner):
    services.room_create(
        owner=owner, name="S", slug="secret", private=True, members=["ada"]
    )
    api = Api(ada)
    assert api.post("/api/rooms/secret/leave/", {}).status_code == 204
    assert api.get("/api/rooms/secret/messages/").status_code == 404
    mine = Api(owner)
    assert mine.post("/api/rooms/secret/leave/", {}).status_code == 204
    assert Room.objects.get(slug="secret").owner == owner
    back = mine.post("/api/rooms/secret/members/", {"username": "owner"})
    assert back.status_code == 200 and back.json()["member"] is True


def test_banned_users_get_403_from_every_room_endpoint(ada, owner):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    services.room_ban(room=Room.objects.get(slug="den"), by=owner, username="ada")
    api = Api(ada)
    for path, body in (
        ("join/", {}),
        ("leave/", {}),
        ("read/", {"seq": 0}),
        ("settings/", {"muted": True}),
    ):
        assert api.post(f"/api/rooms/den/{path}", body).status_code == 403, path
    assert api.get("/api/rooms/den/messages/").status_code == 403
    assert "den" not in [r["slug"] for r in api.get("/api/rooms/").json()["rooms"]]


def test_settings_mute_members_only(ada, owner):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    services.room_create(owner=owner, name="S", slug="secret", private=True, members=[])
    api = Api(ada)
    muted = api.post("/api/rooms/general/settings/", {"muted": True})
    assert muted.status_code == 200 and muted.json()["muted"] is True
    assert Membership.objects.get(user=ada, room__slug="general").muted
    assert api.post("/api/rooms/den/settings/", {"muted": True}).status_code == 403
    assert api.post("/api/rooms/secret/settings/", {"muted": True}).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"muted": "yes"}, {"muted": 1}, {"muted": None}, [True], "x" * 100]
)
def test_settings_refuses_bad_input(ada, body):
    response = Api(ada).post("/api/rooms/general/settings/", body)
    assert response.status_code == 400


def test_rename_and_describe(ada, owner, make_user):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    response = _patch(Api(owner), "den", {"name": "  Lair ", "description": "Ours"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("Lair", "Ours")
    assert _patch(Api(owner), "den", {"description": ""}).json()["description"] == ""
    assert _patch(Api(ada), "den", {"name": "Mine"}).status_code == 403
    staff = Api(make_user("staff", is_staff=True))
    assert _patch(staff, "den", {"name": "Staff's"}).status_code == 200
    assert Room.objects.get(slug="den").name == "Staff's"
    assert _patch(Api(ada), "nope", {"name": "x"}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 81},
        {"name": "nul\x00"},
        {"name": 5},
        {"name": None, "description": "d" * 501},
        {"description": 1},
        {"description": "nul\x00"},
        "not json",
    ],
)
def test_rename_refuses_bad_input(owner, body):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    assert _patch(Api(owner), "den", body).status_code == 400
    assert Room.objects.get(slug="den").name == "Den"


def test_rename_with_nothing_to_change_is_a_no_op(owner):
    services.room_create(owner=owner, name="Den", slug="den", private=False, members=[])
    for body in ({}, [], {"name": None}):
        response = _patch(Api(owner), "den", body)
        assert (response.status_code, response.json()["name"]) == (200, "Den")


def test_kind_and_private_stay_in_step():
    room = Room.objects.create(slug="old-style", name="x", private=True)
    assert (room.kind, room.private) == (RoomKind.PRIVATE, True)
    room.kind = RoomKind.PUBLIC
    room.save()
    room.refresh_from_db()
    assert (room.kind, room.private) == (RoomKind.PUBLIC, False)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=room.pk).update(kind=RoomKind.PRIVATE)


@pytest.mark.parametrize(
    "username", ["ADA", "Ada", " ada", "ada ", "nobody", "", "x" * 10_000, "a\x00"]
)
def test_members_are_matched_case_insensitively(ada, owner, username):
    services.room_create(owner=owner, name="S", slug="secret", private=True, members=[])
    response = Api(owner).post("/api/rooms/secret/members/", {"username": username})
    if username.lower() == "ada":
        assert response.status_code == 200
        assert _member(ada, "secret")
    else:
        assert response.status_code == 400
        assert not _member(ada, "secret")


def test_exact_spelling_wins_over_another_case(make_user, owner):
    upper = make_user("Ada")
    lower = make_user("ada")
    services.room_create(owner=owner, name="S", slug="secret", private=True, members=[])
    Api(owner).post("/api/rooms/secret/members/", {"username": "ada"})
    assert _member(lower, "secret") and not _member(upper, "secret")
    Api(owner).post("/api/rooms/secret/members/", {"username": "ADA"})
    assert _member(upper, "secret")  # the older account of the two
