"""message.edit and GET /api/messages/<id>/edits/ (PROTOCOL 1.1), on the room
socket against the real Redis channel layer."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat import services
from chat.models import Message, MessageEdit, Room
from tests.helpers.sockets import open_room, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.CHAT_RATE_LIMIT = "100000/10"


@database_sync_to_async
def room_rev(slug: str = "general") -> int:
    return Room.objects.get(slug=slug).rev


async def edit(sock, message_id, body, **extra) -> None:
    await sock.send({"type": "message.edit", "id": message_id, "body": body, **extra})


async def test_author_edits_and_the_room_hears_it(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    ada_ws, bob_ws = await open_room(ada), await open_room(bob)
    sent = await send_message(ada_ws, "helo wrld")
    await edit(ada_ws, sent["id"], "  hello world  ")
    for sock in (ada_ws, bob_ws):
        edited = await sock.recv_type("message.edited")
        assert edited == {
            "type": "message.edited",
            "id": sent["id"],
            "seq": sent["seq"],
            "room": "general",
            "body": "hello world",  # stripped, as message.send
            "edited_at": edited["edited_at"],
            "mentions": [],
            "rev": sent["rev"] + 1,
        }
        assert edited["edited_at"].endswith("Z")
    await ada_ws.close()
    ada_ws = await open_room(ada)
    (message,) = ada_ws.history["messages"]
    assert message["body"] == "hello world"
    assert message["edited_at"] == edited["edited_at"]
    assert message["rev"] == edited["rev"] == ada_ws.history["rev"]
    await ada_ws.close()
    await bob_ws.close()


async def test_same_body_stores_and_sends_nothing(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "same")
    before = await room_rev()
    await edit(sock, sent["id"], " same ")
    assert await sock.nothing()
    assert await room_rev() == before
    assert not await database_sync_to_async(MessageEdit.objects.exists)()
    await sock.close()


async def test_only_the_author_edits_a_live_message_of_this_room(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await database_sync_to_async(Room.objects.create)(slug="other", name="Other")
    ada_ws = await open_room(ada)
    bob_ws = await open_room(bob)
    other_ws = await open_room(ada, "other")
    mine = await send_message(ada_ws, "ada's")
    elsewhere = await send_message(other_ws, "in other")
    gone = await send_message(ada_ws, "to delete")
    await database_sync_to_async(services.message_delete)(message_id=gone["id"], by=ada)
    rev = await room_rev()

    await edit(bob_ws, mine["id"], "bob was here", client_id="e1")
    refused = await bob_ws.recv_type("error")
    assert (refused["code"], refused["ref"]) == ("forbidden", "e1")
    for target in (elsewhere["id"], gone["id"], 10**12):
        await edit(ada_ws, target, "nope", client_id="e2")
        refused = await ada_ws.recv_type("error")
        assert (refused["code"], refused["ref"]) == ("not_found", "e2")
    assert await room_rev() == rev  # refused edits counted nothing
    stored = await database_sync_to_async(Message.objects.get)(pk=mine["id"])
    assert stored.body == "ada's" and stored.edited_at is None
    for sock in (ada_ws, bob_ws, other_ws):
        await sock.close()


ID = object()  # the id of the message the test sent


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"body": "x"}, "bad_request"),  # no id
        ({"id": "1", "body": "x"}, "bad_request"),
        ({"id": True, "body": "x"}, "bad_request"),
        ({"id": 0, "body": "x"}, "bad_request"),
        ({"id": -5, "body": "x"}, "bad_request"),
        ({"id": 2**70, "body": "x"}, "bad_request"),
        ({"id": 1.5, "body": "x"}, "bad_request"),
        ({"id": ID}, "bad_request"),  # no body
        ({"id": ID, "body": None}, "bad_request"),
        ({"id": ID, "body": ""}, "bad_request"),
        ({"id": ID, "body": "   "}, "bad_request"),
        ({"id": ID, "body": ["x"]}, "bad_request"),
        ({"id": ID, "body": "a\x00b"}, "bad_request"),
        ({"id": ID, "body": "x" * 4001}, "too_long"),
        ({"id": ID, "body": "x", "client_id": "c" * 65}, "bad_request"),
        ({"id": ID, "body": "x", "client_id": 7}, "bad_request"),
    ],
)
async def test_hostile_edit_frames_are_refused(amake_user, frame, code):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "original")
    frame = {k: sent["id"] if v is ID else v for k, v in frame.items()}
    await sock.send({"type": "message.edit", **frame})
    refused = await sock.recv_type("error")
    assert refused["code"] == code, refused
    stored = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert stored.body == "original"
    await sock.close()


async def test_an_edit_of_4000_characters_is_fine(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "short")
    await edit(sock, sent["id"], "é" * 4000)
    assert (await sock.recv_type("message.edited"))["body"] == "é" * 4000
    await sock.close()


# --- versions -------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def test_every_version_is_kept_oldest_first(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "one")
    stamps = [sent["created_at"]]
    for body in ("two", "three"):
        await edit(sock, sent["id"], body)
        stamps.append((await sock.recv_type("message.edited"))["edited_at"])
    await sock.close()
    got = await database_sync_to_async(
        lambda: _client(ada).get(f"/api/messages/{sent['id']}/edits/")
    )()
    assert got.status_code == 200
    assert got.json() == {
        "versions": [
            {"body": body, "at": at}
            for body, at in zip(("one", "two", "three"), stamps, strict=True)
        ]
    }


@pytest.mark.django_db
def test_versions_follow_the_room_rules(make_user):
    from chat import store

    owner, stranger, banned = make_user("owner"), make_user("x"), make_user("b")
    secret = Room.objects.create(slug="secret", name="S", private=True, owner=owner)
    secret.members.add(owner)
    general = Room.objects.get(slug="general")
    general.banned.add(banned)
    hidden, _ = store.message_create(
        room=secret, author=owner, body="hidden", client_id=None
    )
    public, _ = store.message_create(
        room=general, author=owner, body="public", client_id=None
    )
    gone, _ = store.message_create(
        room=general, author=owner, body="gone", client_id=None
    )
    services.message_delete(message_id=gone.pk, by=owner)

    def status(user, path: str) -> int:
        client = _client(user) if user else Client()
        return client.get(path).status_code

    assert status(owner, f"/api/messages/{hidden.pk}/edits/") == 200
    assert status(stranger, f"/api/messages/{hidden.pk}/edits/") == 404
    assert status(stranger, f"/api/messages/{public.pk}/edits/") == 200
    assert status(banned, f"/api/messages/{public.pk}/edits/") == 403
    assert status(owner, f"/api/messages/{gone.pk}/edits/") == 404
    assert status(None, f"/api/messages/{public.pk}/edits/") == 403
    for bad in ("0", "-1", "abc", str(2**64), "1.5"):
        assert status(owner, f"/api/messages/{bad}/edits/") in (400, 404), bad
    assert status(owner, "/api/messages/999999/edits/") == 404


async def test_deleting_an_edited_message_removes_its_versions(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "secret draft")
    await edit(sock, sent["id"], "public text")
    await sock.recv_type("message.edited")
    await database_sync_to_async(services.message_delete)(message_id=sent["id"], by=ada)
    deleted = await sock.recv_type("message.deleted")
    assert deleted["rev"] == sent["rev"] + 2
    assert not await database_sync_to_async(MessageEdit.objects.exists)()
    await edit(sock, sent["id"], "revived?")
    assert (await sock.recv_type("error"))["code"] == "not_found"
    await sock.close()


async def test_edits_share_the_rate_limit_with_sending(amake_user, settings):
    settings.CHAT_RATE_LIMIT = "3/60"
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "one")
    await edit(sock, sent["id"], "two")
    await sock.recv_type("message.edited")
    await sock.send({"type": "reaction.add", "id": sent["id"], "emoji": "👍"})
    await sock.recv_type("reaction")
    await edit(sock, sent["id"], "three", client_id="late")
    refused = await sock.recv_type("error")
    assert (refused["code"], refused["ref"]) == ("rate_limited", "late")
    await sock.send(json.dumps({"type": "message.send", "body": "four"}))
    assert (await sock.recv_type("error"))["code"] == "rate_limited"
    await sock.close()
