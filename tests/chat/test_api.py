"""The JSON endpoints of rooms and messages (PROTOCOL.md, JSON endpoints)."""

from __future__ import annotations

import pytest

from chat import services, store
from chat.models import Message, Room
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(make_user):
    return make_user("ada")


@pytest.fixture
def api(ada) -> Api:
    return Api(ada)


# The 1.1 fields of a Room for one of its members, nothing sent yet.
MEMBER_OF_NEW_ROOM = {
    "kind": "public",
    "description": "",
    "member": True,
    "last_seq": 0,
    "last_read": 0,
    "unread": 0,
    "mentions": 0,
    "muted": False,
    "peer": None,
}


def _room(owner, slug="den", private=False, members=()) -> Room:
    return services.room_create(
        owner=owner, name=slug.title(), slug=slug, private=private, members=members
    )


# --- anonymous and CSRF ---------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/rooms/", None),
    ("post", "/api/rooms/", {"name": "New"}),
    ("get", "/api/rooms/general/messages/", None),
    ("post", "/api/rooms/general/members/", {"username": "ada"}),
    ("post", "/api/rooms/general/bans/", {"username": "ada"}),
    ("delete", "/api/messages/1/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_gets_403_json(ada, method, path, body):
    anonymous = Api(None)
    call = getattr(anonymous, method)
    response = call(path, body) if body is not None else call(path)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in ENDPOINTS if e[0] != "get"]
)
def test_writes_without_csrf_get_403(ada, method, path, body):
    _room(ada, "general2")
    no_csrf = Api(ada, csrf=False)
    call = getattr(no_csrf, method)
    response = call(path, body) if body is not None else call(path)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Room.objects.filter(name="New").exists()


# --- GET /api/rooms/ ------------------------------------------------------------


def test_list_rooms(api, ada, make_user):
    bob = make_user("bob", display_name="Bobby")
    _room(bob, "bobs", private=True, members=["ada"])
    _room(bob, "hidden", private=True)
    response = api.get("/api/rooms/")
    assert response.status_code == 200
    assert response.json() == {
        "rooms": [
            {
                "slug": "bobs",
                "name": "Bobs",
                "private": True,
                "owner": {"id": bob.pk, "username": "bob", "display_name": "Bobby"},
                "online": 0,
                **MEMBER_OF_NEW_ROOM,
                "kind": "private",
            },
            {
                "slug": "general",
                "name": "General",
                "private": False,
                "owner": None,
                "online": 0,
                **MEMBER_OF_NEW_ROOM,
                "description": "Everyone is welcome here.",
            },
        ]
    }


# --- POST /api/rooms/ -----------------------------------------------------------


def test_create_room(api, ada, make_user):
    make_user("bob")
    response = api.post(
        "/api/rooms/", {"name": "Night Owls", "private": True, "members": ["bob"]}
    )
    assert response.status_code == 201
    assert response.json() == {
        "slug": "night-owls",
        "name": "Night Owls",
        "private": True,
        "owner": ada.ref(),
        "online": 0,
        **MEMBER_OF_NEW_ROOM,
        "kind": "private",
    }
    room = Room.objects.get(slug="night-owls")
    assert set(room.members.values_list("username", flat=True)) == {"ada", "bob"}


def test_create_room_defaults_and_unicode(api):
    response = api.post("/api/rooms/", {"name": "Ünïcödé 🎉 <script>", "slug": "u-1"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Ünïcödé 🎉 <script>"  # JSON is not HTML: no escaping
    assert (body["slug"], body["private"]) == ("u-1", False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "nul\x00"}, "name"),
        ({"name": "ok", "private": "yes"}, "private"),
        ({"name": "ok", "private": 1}, "private"),
        ({"name": "ok", "private": None}, "private"),
        ({"name": "ok", "slug": "Has Caps"}, "slug"),
        ({"name": "ok", "slug": "<script>"}, "slug"),
        ({"name": "ok", "slug": "x" * 10_000}, "slug"),
        ({"name": "ok", "slug": ""}, "slug"),
        ({"name": "ok", "slug": 3}, "slug"),
        ({"name": "ok", "slug": "nul\x00"}, "slug"),
        ({"name": "!!!"}, "slug"),
        ({"name": "ok", "members": ["nobody"]}, "members"),
        ({"name": "ok", "members": "ada"}, "members"),
        ({"name": "ok", "members": [1]}, "members"),
        ({"name": "ok", "members": ["x" * 10_000]}, "members"),
        ({"name": "ok", "members": ["nul\x00"]}, "members"),
        ([], None),
        ("a string", None),
    ],
)
def test_create_room_bad_input_is_400_with_field_errors(api, body, field):
    response = api.post("/api/rooms/", body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors if field else errors
    assert all(isinstance(s, str) and s for e in errors.values() for s in e)
    assert len(response.content) < 2_000  # hostile input is not echoed whole
    assert Room.objects.count() == 1  # only general


def test_create_room_with_unparsable_json_is_400(api):
    response = api.post("/api/rooms/", b"{not json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["__all__"]
    assert Room.objects.count() == 1


def test_create_room_duplicate_slug_is_409(api):
    assert api.post("/api/rooms/", {"name": "Den", "slug": "den"}).status_code == 201
    response = api.post("/api/rooms/", {"name": "Other", "slug": "den"})
    assert response.status_code == 409
    assert "slug" in response.json()["errors"]
    assert api.post("/api/rooms/", {"name": "General"}).status_code == 409


# --- GET /api/rooms/<slug>/messages/ --------------------------------------------


def _post_messages(room: Room, author, count: int) -> None:
    for n in range(count):
        store.message_create(room=room, author=author, body=f"m{n}", client_id=None)


def test_messages_page_through_120_both_ways(api, ada):
    room = Room.objects.get(slug="general")
    _post_messages(room, ada, 120)
    url = "/api/rooms/general/messages/"

    seen: list[int] = []
    page = api.get(url, limit=50).json()
    assert page["has_more"]
    while True:
        seqs = [m["seq"] for m in page["messages"]]
        assert seqs == sorted(seqs)
        seen = seqs + seen
        if not page["has_more"]:
            break
        page = api.get(url, before=seqs[0], limit=50).json()
    assert seen == list(range(1, 121))

    seen, after = [], 0
    while True:
        page = api.get(url, after=after, limit=33).json()
        seen += [m["seq"] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = seen[-1]
    assert seen == list(range(1, 121))


def test_message_fields(api, ada):
    room = Room.objects.get(slug="general")
    message, _ = store.message_create(
        room=room, author=ada, body="<b>hi</b> \U0001f600", client_id="c1"
    )
    (got,) = api.get("/api/rooms/general/messages/").json()["messages"]
    assert got == {
        "id": message.pk,
        "seq": 1,
        "room": "general",
        "user": ada.ref(),
        "body": "<b>hi</b> \U0001f600",
        "created_at": got["created_at"],
        "client_id": "c1",
        "deleted": False,
        "edited_at": None,
        "rev": 1,
        "reactions": [],
        "mentions": [],
    }
    assert got["created_at"].endswith("Z")
    assert len(got["created_at"]) == len("2026-11-25T17:00:00.123456Z") or (
        message.created_at.microsecond == 0
    )


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": -1},
        {"limit": "ten"},
        {"before": -1},
        {"after": "x"},
        {"after": 2**64},
        {"before": "1.5"},
        {"before": 5, "after": 1},
    ],
)
def test_messages_bad_query_is_400(api, query):
    response = api.get("/api/rooms/general/messages/", **query)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_messages_huge_seq_finds_nothing(api):
    response = api.get("/api/rooms/general/messages/", after=2**63 - 1)
    assert response.json() == {"messages": [], "has_more": False}


@pytest.mark.parametrize("slug", ["nope", "UPPER", "x" * 300, "%00", "caf%C3%A9"])
def test_messages_of_missing_room_is_404_json(api, slug):
    response = api.get(f"/api/rooms/{slug}/messages/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such room."}


def test_messages_private_room(api, ada, make_user):
    bob = make_user("bob")
    _room(bob, "secret", private=True)
    missing = api.get("/api/rooms/nope/messages/")
    hidden = api.get("/api/rooms/secret/messages/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    services.room_add_member(
        room=Room.objects.get(slug="secret"), by=bob, username="ada"
    )
    assert api.get("/api/rooms/secret/messages/").status_code == 200


def test_messages_banned_is_403(api, ada, make_user):
    room = _room(make_user("bob"), "den")
    services.room_ban(room=room, by=room.owner, username="ada")
    response = api.get("/api/rooms/den/messages/")
    assert response.status_code == 403


# --- members and bans -----------------------------------------------------------


@pytest.mark.parametrize("action", ["members", "bans"])
def test_moderation_permissions(action, ada, make_user):
    owner, target = make_user("owner"), make_user("target")
    staff = make_user("staff", is_staff=True)
    _room(owner, "den", private=True, members=["ada"])
    url = f"/api/rooms/den/{action}/"

    denied = Api(ada).post(url, {"username": "target"})
    assert denied.status_code == 403
    outsider = Api(make_user("outsider")).post(url, {"username": "target"})
    assert outsider.status_code == 404  # private: looks missing
    for who in (owner, staff):
        response = Api(who).post(url, {"username": "target"})
        assert response.status_code == 200, response.content
        assert response.json()["slug"] == "den"
    room = Room.objects.get(slug="den")
    is_member = room.members.filter(pk=target.pk).exists()
    is_banned = room.banned.filter(pk=target.pk).exists()
    assert (is_member, is_banned) == (action == "members", action == "bans")


@pytest.mark.parametrize("action", ["members", "bans"])
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "nobody"}, 400),
        ({"username": ""}, 400),
        ({"username": 7}, 400),
        ({"username": "x" * 10_000}, 400),
        ({"username": "nul\x00"}, 400),
        ({}, 400),
    ],
)
def test_moderation_bad_input(api, ada, action, body, status):
    _room(ada, "den")
    response = api.post(f"/api/rooms/den/{action}/", body)
    assert response.status_code == status
    assert "username" in response.json()["errors"]


def test_moderation_of_missing_room_is_404(api):
    assert api.post("/api/rooms/nope/members/", {"username": "ada"}).status_code == 404


def test_owner_cannot_be_banned(api, ada, make_user):
    _room(ada, "den")
    staff = make_user("staff", is_staff=True)
    response = Api(staff).post("/api/rooms/den/bans/", {"username": "ada"})
    assert response.status_code == 400


# --- DELETE /api/messages/<id>/ --------------------------------------------------


def test_delete_message_permissions(ada, make_user):
    owner, other = make_user("owner"), make_user("other")
    staff = make_user("staff", is_staff=True)
    room = _room(owner, "den")

    def post() -> int:
        return store.message_create(room=room, author=ada, body="x", client_id=None)[
            0
        ].pk

    target = post()
    assert Api(other).delete(f"/api/messages/{target}/").status_code == 403
    for who in (ada, owner, staff):
        pk = post()
        response = Api(who).delete(f"/api/messages/{pk}/")
        assert response.status_code == 204
        assert response.content == b""
        assert Message.objects.get(pk=pk).deleted
    assert not Message.objects.get(pk=target).deleted
    tombs = Api(ada).get("/api/rooms/den/messages/").json()["messages"]
    assert [(m["seq"], m["deleted"], m["body"]) for m in tombs] == [
        (1, False, "x"),
        (2, True, ""),
        (3, True, ""),
        (4, True, ""),
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/messages/999999/", 404),
        ("/api/messages/0/", 400),
        ("/api/messages/-1/", 400),
        ("/api/messages/abc/", 400),
        (f"/api/messages/{2**64}/", 400),
    ],
)
def test_delete_bad_ids(api, path, status):
    assert api.delete(path).status_code == status


def test_openapi_schema_documents_the_endpoints(api):
    schema = api.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/rooms/"]) >= {"get", "post"}
    assert set(paths["/api/rooms/{slug}/messages/"]) == {"get"}
    assert "409" in paths["/api/rooms/"]["post"]["responses"]
    assert "204" in paths["/api/messages/{message_id}/"]["delete"]["responses"]
