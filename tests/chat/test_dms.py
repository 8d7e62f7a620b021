"""Direct messages (PROTOCOL.md 1.1): POST /api/dms/, one room per pair."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from chat import dms
from chat.models import Membership, Room
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_user):
    return make_user("ada")


@pytest.fixture
def bob(make_user):
    return make_user("bob", display_name="Bobby")


def test_created_once_whoever_asks(ada, bob):
    first = Api(ada).post("/api/dms/", {"username": "bob"})
    assert first.status_code == 201
    room = first.json()
    low, high = sorted((ada.pk, bob.pk))
    assert room["slug"] == f"dm-{low}-{high}"
    assert (room["kind"], room["private"], room["owner"]) == ("direct", True, None)
    assert room["peer"] == bob.ref() and room["member"] is True
    again = Api(bob).post("/api/dms/", {"username": "ADA"})
    assert again.status_code == 200
    assert again.json()["slug"] == room["slug"]
    assert again.json()["peer"] == ada.ref()
    assert Room.objects.filter(kind="direct").count() == 1
    assert set(
        Membership.objects.filter(room__slug=room["slug"]).values_list(
            "user_id", flat=True
        )
    ) == {ada.pk, bob.pk}


def test_notes_to_self(ada):
    response = Api(ada).post("/api/dms/", {"username": "ada"})
    assert response.status_code == 201
    assert response.json()["slug"] == f"dm-{ada.pk}-{ada.pk}"
    assert response.json()["peer"] == ada.ref()
    assert Membership.objects.filter(room__slug=f"dm-{ada.pk}-{ada.pk}").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody"},
        {"username": "inactive"},
        {"username": ""},
        {"username": "x" * 10_000},
        {"username": "nul\x00"},
        {"username": 1},
        {"username": None},
        {},
        ["bob"],
    ],
)
def test_unknown_inactive_or_bad_username_is_400(ada, make_user, body):
    make_user("inactive", is_active=False)
    response = Api(ada).post("/api/dms/", body)
    assert response.status_code == 400
    assert "username" in response.json()["errors"] or body == ["bob"]
    assert not Room.objects.filter(kind="direct").exists()


def test_only_its_two_users_can_open_it(ada, bob, make_user):
    slug = Api(ada).post("/api/dms/", {"username": "bob"}).json()["slug"]
    eve = Api(make_user("eve", is_staff=True))
    for path in ("messages/", "presence/"):
        assert eve.get(f"/api/rooms/{slug}/{path}").status_code == 404
    assert eve.post(f"/api/rooms/{slug}/join/", {}).status_code == 404
    assert eve.post(f"/api/rooms/{slug}/read/", {"seq": 0}).status_code == 404
    assert slug not in [r["slug"] for r in eve.get("/api/rooms/").json()["rooms"]]
    assert Api(bob).get(f"/api/rooms/{slug}/messages/").status_code == 200


def test_members_bans_rename_and_leave_are_400(ada, bob, make_user):
    make_user("eve")
    api = Api(ada)
    slug = api.post("/api/dms/", {"username": "bob"}).json()["slug"]
    for action, username in (("members", "eve"), ("bans", "bob")):
        response = api.post(f"/api/rooms/{slug}/{action}/", {"username": username})
        assert response.status_code == 400
    patch = api.patch(f"/api/rooms/{slug}/", '{"name": "x"}')
    assert patch.status_code == 400
    assert api.post(f"/api/rooms/{slug}/leave/", {}).status_code == 400
    assert Membership.objects.filter(room__slug=slug).count() == 2


def test_a_room_slug_like_a_dm_is_refused(ada):
    response = Api(ada).post("/api/rooms/", {"name": "x", "slug": "dm-1-2"})
    assert response.status_code == 400
    assert "slug" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_from_both_sides_make_one_room(make_user, general_room):
    ada, bob = make_user("ada"), make_user("bob")
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []

    def ask(user, other: str) -> None:
        try:
            barrier.wait()
            room, created = dms.direct_room(user=user, username=other)
            results.append((room.slug, created))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=ask, args=(ada, "bob") if n % 2 else (bob, "ada"))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len({slug for slug, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Room.objects.filter(kind="direct").count() == 1
