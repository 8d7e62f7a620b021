"""CHAT_INVITE_LIMIT: others may add one user to only so many private rooms
(counted in Redis, across processes); the added user can leave."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import Membership
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _two_per_hour(settings):
    settings.CHAT_INVITE_LIMIT = "2/3600"


def _private(owner, slug: str, members=()) -> None:
    services.room_create(
        owner=owner, name=slug, slug=slug, private=True, members=list(members)
    )


def test_a_user_can_be_added_to_only_so_many_private_rooms(make_user):
    ada, mallory, other = make_user("ada"), make_user("mallory"), make_user("other")
    api = Api(mallory)
    for n in range(3):
        _private(mallory, f"spam{n}")
    assert api.post("/api/rooms/spam0/members/", {"username": "ada"}).status_code == 200
    assert api.post("/api/rooms/spam1/members/", {"username": "ada"}).status_code == 200
    refused = api.post("/api/rooms/spam2/members/", {"username": "ada"})
    assert refused.status_code == 400
    assert "too many private rooms" in refused.json()["errors"]["username"][0]
    assert not Membership.objects.filter(user=ada, room__slug="spam2").exists()
    # Counted per invited user, whoever invites: `other` still can be added.
    added = api.post("/api/rooms/spam2/members/", {"username": "other"})
    assert added.status_code == 200
    # Creating a room with members counts too, and nothing is made when refused.
    response = api.post(
        "/api/rooms/", {"name": "More", "private": True, "members": ["ada"]}
    )
    assert response.status_code == 400 and "members" in response.json()["errors"]
    assert not Membership.objects.filter(room__slug="more").exists()
    # And the user can leave every one of them.
    ada_api = Api(ada)
    for slug in ("spam0", "spam1"):
        assert ada_api.post(f"/api/rooms/{slug}/leave/", {}).status_code == 204
    assert list(
        Membership.objects.filter(user=ada).values_list("room__slug", flat=True)
    ) == ["general"]
    assert other is not None


def test_public_rooms_staff_and_oneself_are_not_counted(make_user):
    ada, owner = make_user("ada"), make_user("owner")
    staff = make_user("staff", is_staff=True)
    for n in range(3):
        services.room_create(
            owner=owner, name=f"p{n}", slug=f"p{n}", private=False, members=["ada"]
        )
        _private(staff, f"s{n}", ["ada"])
        _private(ada, f"own{n}", ["ada"])
    assert Membership.objects.filter(user=ada).count() == 1 + 3 + 3 + 3


def test_a_bad_setting_stops_the_checks(settings):
    from chat.checks import chat_settings

    settings.CHAT_INVITE_LIMIT = "lots"
    (error,) = chat_settings()
    assert error.id == "chat.E003" and "CHAT_INVITE_LIMIT" in error.msg
