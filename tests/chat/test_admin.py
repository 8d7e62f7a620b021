"""Admin of rooms and messages: fast list pages, tombstoning bulk delete."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services, store
from chat.admin import CappedPaginator
from chat.models import Message, Room
from chat.search.terms import document

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


@pytest.fixture
def many_messages(make_user) -> Room:
    """3,000 messages by 30 authors in two rooms."""
    authors = [make_user() for _ in range(30)]
    rooms = [
        Room.objects.get(slug="general"),
        Room.objects.create(slug="other", name="Other"),
    ]
    bodies = [
        f"message number {n}" + (" needle" if n % 500 == 0 else "") for n in range(3000)
    ]
    Message.objects.bulk_create(
        Message(
            room=rooms[n % 2],
            author=authors[n % 30],
            seq=n // 2 + 1,
            body=body,
            search_terms=document(body),
        )
        for n, body in enumerate(bodies)
    )
    return rooms[0]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=needle",
        "?q=user7",
        "?q=other",
        "?room__id__exact=1",
        "?deleted__exact=0",
        "?created_at__gte=2000-01-01T00:00:00%2B00:00",
        "?p=5",
    ],
)
def test_message_list_is_fast(
    staff_client, many_messages, query, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = staff_client.get(f"/admin/chat/message/{query}")
    assert page.status_code == 200


def test_message_search_finds_by_body_author_and_room(staff_client, many_messages):
    def found(query: str) -> int:
        return (
            staff_client.get(f"/admin/chat/message/?q={query}")
            .context["cl"]
            .result_count
        )

    assert found("needle") == 6
    assert found("other") == 1500  # the room's slug, matched exactly
    assert found("user30") == 100


def test_message_list_counts_no_further_than_its_cap(
    staff_client, many_messages, monkeypatch, django_assert_max_num_queries
):
    """A common word must not make the changelist count every match."""
    monkeypatch.setattr(CappedPaginator, "CAP", 100)
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/admin/chat/message/?q=other")
    assert page.context["cl"].result_count == 101
    assert "More than 100 messages" in page.content.decode()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 101" in sql for sql in counts), counts
    # Under the cap the page says how many, as before.
    assert (
        "6 messages"
        in staff_client.get("/admin/chat/message/?q=needle").content.decode()
    )


def test_message_change_page_and_room_pages(staff_client, many_messages):
    message = Message.objects.first()
    assert (
        staff_client.get(f"/admin/chat/message/{message.pk}/change/").status_code == 200
    )
    assert staff_client.get("/admin/chat/message/add/").status_code == 403
    assert staff_client.get("/admin/chat/room/").status_code == 200
    page = staff_client.get(f"/admin/chat/room/{many_messages.pk}/change/")
    assert page.status_code == 200


def test_bulk_delete_leaves_tombstones(
    staff_client, make_user, django_capture_on_commit_callbacks
):
    room = Room.objects.get(slug="general")
    author = make_user()
    ids = [
        store.message_create(room=room, author=author, body=f"m{n}", client_id=None)[
            0
        ].pk
        for n in range(3)
    ]
    actions = staff_client.get("/admin/chat/message/").context["action_form"]
    assert "delete_selected" not in str(actions)
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(
            "/admin/chat/message/",
            {"action": "tombstone_messages", "_selected_action": ids[:2]},
        )
    assert response.status_code == 302
    assert len(callbacks) == 2  # one message.deleted broadcast each
    rows = list(Message.objects.order_by("seq").values_list("seq", "deleted", "body"))
    assert rows == [(1, True, ""), (2, True, ""), (3, False, "m2")]


def test_ban_in_admin_removes_membership_and_kicks(
    staff_client, make_user, django_capture_on_commit_callbacks
):
    owner, bob = make_user("owner"), make_user("bob")
    room = services.room_create(
        owner=owner, name="Den", slug="den", private=False, members=["bob"]
    )
    form = {
        "slug": "den",
        "name": "Den",
        "description": "",
        "kind": "public",
        "owner": owner.pk,
        "banned": [bob.pk],
        # The memberships inline, left as it is.
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(f"/admin/chat/room/{room.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    # The kick, and room.removed to bob, and the room's recheck (saved).
    assert len(callbacks) == 3
    assert not room.members.filter(pk=bob.pk).exists()
    assert room.banned.filter(pk=bob.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/chat/room/",
        "/admin/chat/room/?private__exact=0",
        "/admin/accounts/user/",
        "/admin/accounts/user/?is_active__exact=1&q=user",
    ],
)
def test_room_and_user_lists_are_fast(
    staff_client, many_messages, make_user, path, django_assert_max_num_queries
):
    for n in range(60):
        Room.objects.create(slug=f"room-{n}", name=f"Room {n}", owner=make_user())
    with django_assert_max_num_queries(8):
        page = staff_client.get(path)
    assert page.status_code == 200


def test_room_page_lists_and_edits_memberships_inline(
    staff_client, make_user, django_capture_on_commit_callbacks
):
    owner, bob, eve = make_user("owner"), make_user("bob"), make_user("eve")
    room = services.room_create(
        owner=owner, name="Den", slug="den", private=True, members=["bob"]
    )
    page = staff_client.get(f"/admin/chat/room/{room.pk}/change/")
    assert page.status_code == 200
    assert b"memberships-TOTAL_FORMS" in page.content
    assert b"bob" in page.content
    rows = list(room.memberships.order_by("pk"))
    form = {
        "slug": "den",
        "name": "Den",
        "description": "",
        "kind": "private",
        "owner": owner.pk,
        "memberships-TOTAL_FORMS": str(len(rows) + 1),
        "memberships-INITIAL_FORMS": str(len(rows)),
    }
    for n, row in enumerate(rows):
        form |= {
            f"memberships-{n}-id": row.pk,
            f"memberships-{n}-room": room.pk,
            f"memberships-{n}-user": row.user_id,
            f"memberships-{n}-last_read": row.last_read,
            f"memberships-{n}-muted": "on" if row.user_id == bob.pk else "",
        }
    form |= {
        f"memberships-{len(rows)}-room": room.pk,
        f"memberships-{len(rows)}-user": eve.pk,
        f"memberships-{len(rows)}-last_read": 0,
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = staff_client.post(f"/admin/chat/room/{room.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    assert set(room.memberships.values_list("user__username", "muted")) == {
        ("owner", False),
        ("bob", True),
        ("eve", False),
    }


def test_user_page_shows_their_rooms(staff_client, make_user):
    ada = make_user("ada")
    services.room_create(
        owner=ada, name="Ada's den", slug="adas-den", private=True, members=[]
    )
    page = staff_client.get(f"/admin/accounts/user/{ada.pk}/change/")
    assert page.status_code == 200
    assert b"adas-den" in page.content and b"general" in page.content
