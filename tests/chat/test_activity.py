"""The site socket's 1.1 frames (PROTOCOL.md, Activity, mentions and the site
socket) through the real ASGI application and the real Redis layer."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import memberships, services, site
from chat.models import Membership, Room
from tests.helpers.api import Api
from tests.helpers.sockets import open_room, open_site, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@database_sync_to_async
def private_room(owner, *members, slug="den"):
    return services.room_create(
        owner=owner,
        name=slug.title(),
        slug=slug,
        private=True,
        members=[m.username for m in members],
    )


async def muted_here(room, user, muted: bool) -> None:
    """Wait until this process's site sockets of `user` follow the mute
    (it travels as an event; no frame tells the client)."""
    relay = site._activity.get()
    for _ in range(100):
        found = any(
            key == room.pk and sock.user_id == user.pk for key, sock in relay.muted
        )
        if found == muted:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the mute never reached the site socket")


def activities(frames: list[dict]) -> list[tuple]:
    return [
        (f["room"], f["seq"], f["user"]["username"], f["mention"])
        for f in frames
        if f["type"] == "room.activity"
    ]


async def test_members_site_sockets_hear_activity_but_the_author_does_not(
    amake_user,
):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    ada_site, bob_site = await open_site(ada), await open_site(bob)
    room = await open_room(ada)
    await send_message(room, "hello")
    assert activities(await bob_site.frames()) == [("general", 1, "ada", False)]
    # The author's site socket gets the moved marker, never the activity.
    assert await ada_site.frames() == [
        {"type": "read", "room": "general", "last_read": 1, "unread": 0, "mentions": 0}
    ]
    for sock in (ada_site, bob_site, room):
        await sock.close()


async def test_a_private_rooms_message_never_reaches_a_non_member(amake_user):
    ada, bob, eve = [await amake_user(n) for n in ("ada", "bob", "eve")]
    await private_room(ada, bob)
    eve_site, bob_site = await open_site(eve), await open_site(bob)
    room = await open_room(ada, "den")
    # Not as activity, not as a mention: eve cannot open the room.
    await send_message(room, "@eve @bob look")
    assert await eve_site.frames() == []
    got = await bob_site.frames()
    assert activities(got) == [("den", 1, "ada", True)]
    assert [f["type"] for f in got] == ["room.activity", "mention"]
    for sock in (eve_site, bob_site, room):
        await sock.close()


async def test_mention_reaches_a_non_member_of_a_public_room(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await database_sync_to_async(Room.objects.create)(slug="den", name="Den")
    bob_site = await open_site(bob)
    room = await open_room(ada, "den")
    sent = await send_message(room, "hi @BOB!")
    (frame,) = await bob_site.frames()
    message = {k: v for k, v in sent.items() if k != "type"}
    assert frame == {"type": "mention", "room": "den", "message": message}
    assert sent["mentions"] == [bob.pk]
    await bob_site.close()
    await room.close()


async def test_muted_room_sends_activity_only_with_a_mention(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    bob_site = await open_site(bob)
    general = await database_sync_to_async(Room.objects.get)(slug="general")
    await database_sync_to_async(memberships.set_muted)(
        room=general, user=bob, muted=True
    )
    await muted_here(general, bob, True)
    room = await open_room(ada)
    await send_message(room, "quiet")
    assert await bob_site.frames() == []
    await send_message(room, "@bob loud")
    got = await bob_site.frames()
    assert activities(got) == [("general", 2, "ada", True)]
    # Unmuted again: every message.
    await database_sync_to_async(memberships.set_muted)(
        room=general, user=bob, muted=False
    )
    await muted_here(general, bob, False)
    await send_message(room, "normal")
    assert activities(await bob_site.frames()) == [("general", 3, "ada", False)]
    await bob_site.close()
    await room.close()


async def test_room_added_and_removed_follow_the_membership(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await private_room(ada)
    bob_site = await open_site(bob)
    room = await open_room(ada, "den")
    await send_message(room, "before bob")
    assert await bob_site.frames() == []

    den = await database_sync_to_async(Room.objects.get)(slug="den")
    await database_sync_to_async(services.room_add_member)(
        room=den, by=ada, username="Bob"
    )
    (added,) = await bob_site.frames()
    assert added["type"] == "room.added"
    assert added["room"]["slug"] == "den" and added["room"]["member"] is True
    assert (added["room"]["unread"], added["room"]["last_read"]) == (0, 1)
    await send_message(room, "with bob")
    assert activities(await bob_site.frames()) == [("den", 2, "ada", False)]

    await database_sync_to_async(memberships.leave)(room=den, user=bob)
    assert await bob_site.frames() == [{"type": "room.removed", "room": "den"}]
    await send_message(room, "after bob")
    assert await bob_site.frames() == []
    await bob_site.close()
    await room.close()


async def test_rename_reaches_the_room_and_members_site_sockets(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    await private_room(ada, bob)
    bob_site, bob_room = await open_site(bob), await open_room(bob, "den")
    api = await database_sync_to_async(Api)(ada)
    response = await database_sync_to_async(api.client.patch)(
        "/api/rooms/den/",
        '{"name": " Lair ", "description": "Ours"}',
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["description"]) == (
        "Lair",
        "Ours",
    )
    expected = {
        "type": "room.updated",
        "room": "den",
        "name": "Lair",
        "description": "Ours",
    }
    assert await bob_room.recv_type("room.updated") == expected
    assert await bob_site.frames() == [expected]
    await bob_site.close()
    await bob_room.close()


async def test_site_socket_follows_rooms_joined_while_it_is_open(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    den = await database_sync_to_async(Room.objects.create)(slug="den", name="Den")
    bob_site = await open_site(bob)
    room = await open_room(ada, "den")
    await send_message(room, "not yet")
    assert await bob_site.frames() == []
    assert await database_sync_to_async(memberships.join)(room=den, user=bob)
    assert [f["type"] for f in await bob_site.frames()] == ["room.added"]
    await send_message(room, "now")
    assert activities(await bob_site.frames()) == [("den", 2, "ada", False)]
    await bob_site.close()
    await room.close()


async def test_sending_in_a_public_room_joins_it(amake_user):
    ada = await amake_user("ada")
    await database_sync_to_async(Room.objects.create)(slug="den", name="Den")
    ada_site = await open_site(ada)
    room = await open_room(ada, "den")
    await send_message(room, "hi")
    got = await ada_site.frames()
    assert [f["type"] for f in got] == ["room.added", "read"]
    assert got[0]["room"]["slug"] == "den"
    assert await database_sync_to_async(
        Membership.objects.filter(room__slug="den", user=ada, last_read=1).exists
    )()
    await ada_site.close()
    await room.close()
