"""An edit finds the body's mentions again (PROTOCOL 1.1: `mention` goes to
"every site socket of a user that a new message (or an edit that adds the
mention) mentions"): a user it newly mentions hears it once, one it no
longer mentions loses the unread mention, and a stranger hears nothing."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat import reads, services
from chat.models import Mention, Message, Room
from tests.helpers.sockets import open_room, open_site, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.CHAT_RATE_LIMIT = "100000/10"


async def edit(sock, message_id: int, body: str) -> dict:
    await sock.send({"type": "message.edit", "id": message_id, "body": body})
    return await sock.recv_type("message.edited")


@database_sync_to_async
def mentioned_users(message_id: int) -> set[int]:
    return set(
        Mention.objects.filter(message_id=message_id).values_list("user_id", flat=True)
    )


@database_sync_to_async
def unread_mentions(user, slug: str = "general") -> int:
    return reads.read_state(room=Room.objects.get(slug=slug), user=user).mentions


def mentions_in(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] == "mention"]


async def test_an_edit_that_adds_a_mention_sends_it_once(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    bob_site = await open_site(bob)
    room = await open_room(ada)
    sent = await send_message(room, "hello all")
    assert mentions_in(await bob_site.frames()) == []

    edited = await edit(room, sent["id"], "hello @Bob")
    assert edited["mentions"] == [bob.pk]
    (frame,) = mentions_in(await bob_site.frames())
    assert frame["room"] == "general"
    assert frame["message"]["id"] == sent["id"]
    assert frame["message"]["body"] == "hello @Bob"
    assert frame["message"]["mentions"] == [bob.pk]
    assert frame["message"]["edited_at"] == edited["edited_at"]
    assert await mentioned_users(sent["id"]) == {bob.pk}
    assert await unread_mentions(bob) == 1

    # Still mentioned after a second edit: no second `mention`.
    edited = await edit(room, sent["id"], "hello @bob, again")
    assert edited["mentions"] == [bob.pk]
    assert mentions_in(await bob_site.frames()) == []
    assert await unread_mentions(bob) == 1
    await bob_site.close()
    await room.close()


async def test_an_edit_that_drops_a_mention_lowers_the_count(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    room = await open_room(ada)
    sent = await send_message(room, "@bob look")
    assert await unread_mentions(bob) == 1
    bob_site = await open_site(bob)
    edited = await edit(room, sent["id"], "never mind")
    assert edited["mentions"] == []
    assert mentions_in(await bob_site.frames()) == []
    assert await mentioned_users(sent["id"]) == set()
    assert await unread_mentions(bob) == 0
    stored = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert stored.mentions == []
    await bob_site.close()
    await room.close()


async def test_an_edit_never_mentions_a_stranger_to_a_private_room(amake_user):
    ada, bob, eve = [await amake_user(n) for n in ("ada", "bob", "eve")]
    await database_sync_to_async(services.room_create)(
        owner=ada, name="Den", slug="den", private=True, members=["bob"]
    )
    eve_site, bob_site = await open_site(eve), await open_site(bob)
    room = await open_room(ada, "den")
    sent = await send_message(room, "plain")
    await bob_site.frames()
    edited = await edit(room, sent["id"], "@eve @bob @ada look")
    # Eve cannot open the room and the author is not told of herself.
    assert edited["mentions"] == [ada.pk, bob.pk]
    assert await eve_site.frames() == []
    assert [f["message"]["id"] for f in mentions_in(await bob_site.frames())] == [
        sent["id"]
    ]
    assert await mentioned_users(sent["id"]) == {bob.pk}
    for sock in (eve_site, bob_site, room):
        await sock.close()


async def test_a_hostile_edit_with_many_names_mentions_only_the_first_hundred(
    amake_user,
):
    ada = await amake_user("ada")
    await amake_user("bob")
    room = await open_room(ada)
    sent = await send_message(room, "x")
    # 150 names that are no user, then bob: past the cap nobody more.
    body = " ".join(f"@nobody{n}" for n in range(150)) + " @bob"
    edited = await edit(room, sent["id"], body)
    assert edited["mentions"] == []
    assert await mentioned_users(sent["id"]) == set()
    await room.close()
