"""reaction.add / reaction.remove and Message.reactions (PROTOCOL 1.1), on the
room socket against the real Redis channel layer."""

from __future__ import annotations

import asyncio

import emoji as emoji_data
import pytest
from channels.db import database_sync_to_async

from chat import services, store
from chat.models import Reaction, Room
from protocol.limits import MAX_REACTIONS, emoji_problem
from tests.helpers.sockets import open_room, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]

# Twenty-one distinct emoji, from the pinned package's own table.
MANY = [e for e in emoji_data.EMOJI_DATA if len(e) == 1][:21]


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.CHAT_RATE_LIMIT = "100000/10"


async def react(sock, message_id, emoji, added=True, **extra) -> None:
    kind = "reaction.add" if added else "reaction.remove"
    await sock.send({"type": kind, "id": message_id, "emoji": emoji, **extra})


async def test_add_and_remove_reach_the_room_once_each(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    ada_ws, bob_ws = await open_room(ada), await open_room(bob)
    sent = await send_message(ada_ws, "react to me")
    await react(bob_ws, sent["id"], "👍🏽")
    for sock in (ada_ws, bob_ws):
        assert await sock.recv_type("reaction") == {
            "type": "reaction",
            "room": "general",
            "id": sent["id"],
            "seq": sent["seq"],
            "emoji": "👍🏽",
            "user": bob.ref(),
            "added": True,
            "rev": sent["rev"] + 1,
        }
    await react(bob_ws, sent["id"], "👍🏽")  # again: nothing
    assert await ada_ws.nothing() and await bob_ws.nothing()
    await react(bob_ws, sent["id"], "👍🏽", added=False)
    for sock in (ada_ws, bob_ws):
        removed = await sock.recv_type("reaction")
        assert (removed["added"], removed["rev"]) == (False, sent["rev"] + 2)
    await react(bob_ws, sent["id"], "👍🏽", added=False)  # not there: nothing
    await react(bob_ws, sent["id"], "🎉", added=False)
    assert await ada_ws.nothing() and await bob_ws.nothing()
    assert (await database_sync_to_async(Room.objects.get)(slug="general")).rev == 3
    await ada_ws.close()
    await bob_ws.close()


async def test_message_reactions_in_first_added_order_with_users(amake_user):
    ada, bob, cy = [await amake_user(n) for n in ("ada", "bob", "cy")]
    ada_ws = await open_room(ada)
    sent = await send_message(ada_ws, "hi")
    for user, emoji in [(bob, "🎉"), (ada, "👍"), (cy, "🎉"), (ada, "🎉")]:
        sock = await open_room(user) if user != ada else ada_ws
        await react(sock, sent["id"], emoji)
        await ada_ws.recv_type("reaction")
        if sock is not ada_ws:
            await sock.close()
    fresh = await open_room(cy)
    (message,) = fresh.history["messages"]
    assert message["reactions"] == [
        {"emoji": "🎉", "count": 3, "users": [bob.id, cy.id, ada.id]},
        {"emoji": "👍", "count": 1, "users": [ada.id]},
    ]
    await fresh.close()
    await ada_ws.close()


async def test_at_most_twenty_distinct_emoji_a_message(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    ada_ws, bob_ws = await open_room(ada), await open_room(bob)
    sent = await send_message(ada_ws, "popular")
    for emoji in MANY[:MAX_REACTIONS]:
        await react(ada_ws, sent["id"], emoji)
        await ada_ws.recv_type("reaction")
    await react(ada_ws, sent["id"], MANY[MAX_REACTIONS], client_id="r21")
    refused = await ada_ws.recv_type("error")
    assert (refused["code"], refused["ref"]) == ("bad_request", "r21")
    # One of the twenty is still open to everyone else.
    await react(bob_ws, sent["id"], MANY[0])
    while (frame := await bob_ws.recv_type("reaction"))["user"]["id"] != bob.id:
        pass
    assert frame["emoji"] == MANY[0]
    count = await database_sync_to_async(
        Reaction.objects.values("emoji").distinct().count
    )()
    assert count == MAX_REACTIONS
    await ada_ws.close()
    await bob_ws.close()


@pytest.mark.parametrize(
    "emoji",
    ["a", "", " ", "👍👍", "👍 ", ":thumbsup:", "x" * 10_000, 5, None, ["👍"], "\x00"],
)
async def test_anything_but_one_emoji_is_refused(amake_user, emoji):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "hi")
    await react(sock, sent["id"], emoji)
    assert (await sock.recv_type("error"))["code"] == "bad_request"
    assert not await database_sync_to_async(Reaction.objects.exists)()
    await sock.close()


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👨‍👩‍👧", "🇫🇷", "#️⃣", "👍🏽"])
def test_one_emoji_is_a_grapheme_the_package_accepts(emoji):
    assert emoji_problem(emoji) is None


@pytest.mark.parametrize(
    "frame",
    [
        {"emoji": "👍"},
        {"id": "1", "emoji": "👍"},
        {"id": False, "emoji": "👍"},
        {"id": -1, "emoji": "👍"},
        {"id": 2**64, "emoji": "👍"},
    ],
)
async def test_bad_ids_are_refused(amake_user, frame):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    await sock.send({"type": "reaction.add", **frame})
    assert (await sock.recv_type("error"))["code"] == "bad_request"
    await sock.close()


async def test_only_live_messages_of_this_room(amake_user):
    ada = await amake_user("ada")
    other = await database_sync_to_async(Room.objects.create)(slug="other", name="O")
    sock = await open_room(ada)
    elsewhere, _ = await database_sync_to_async(store.message_create)(
        room=other, author=ada, body="there", client_id=None
    )
    gone = await send_message(sock, "gone")
    await database_sync_to_async(services.message_delete)(message_id=gone["id"], by=ada)
    for target in (elsewhere.pk, gone["id"], 10**12):
        await react(sock, target, "👍", client_id="r")
        refused = await sock.recv_type("error")
        assert (refused["code"], refused["ref"]) == ("not_found", "r")
    await sock.close()


async def test_a_deleted_message_loses_its_reactions(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    sent = await send_message(sock, "hi")
    await react(sock, sent["id"], "👍")
    await sock.recv_type("reaction")
    await database_sync_to_async(services.message_delete)(message_id=sent["id"], by=ada)
    await sock.close()
    sock = await open_room(ada)
    assert sock.history["messages"][0]["reactions"] == []
    assert not await database_sync_to_async(Reaction.objects.exists)()
    await sock.close()


async def test_concurrent_adds_of_the_same_emoji_count_once(amake_user):
    ada = await amake_user("ada")
    socks = [await open_room(ada) for _ in range(4)]
    sent = await send_message(socks[0], "race")
    await asyncio.gather(*(react(s, sent["id"], "🔥") for s in socks))
    assert (await socks[0].recv_type("reaction"))["added"] is True
    assert await socks[0].nothing(0.5)
    assert await database_sync_to_async(Reaction.objects.count)() == 1
    for sock in socks:
        await sock.close()
