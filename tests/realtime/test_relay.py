"""project/relay.py: a process subscribes once per group, not once per socket.

Checked on the suite's real Redis: what the pub/sub layer subscribed to is
what PUBSUB CHANNELS lists.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from realtime.redis_clients import get_redis
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator, open_room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


async def subscriptions() -> tuple[list[str], int]:
    """The groups this process subscribed to, and its channels of their own."""
    names = [
        n.decode() if isinstance(n, bytes) else n
        for n in await get_redis().pubsub_channels("chat*")
    ]
    names = [n for n in names if not n.startswith("chatcanary.")]  # realtime.canary
    groups = sorted(n.removeprefix("chat__group__") for n in names if "__group__" in n)
    return groups, len(names) - len(groups)


async def settle_to(groups: list[str], channels: int) -> tuple[list[str], int]:
    for _ in range(50):
        found = await subscriptions()
        if found == (groups, channels):
            break
        await asyncio.sleep(0.1)
    return found


async def test_sockets_share_one_subscription_per_group(make_user):
    users = [await database_sync_to_async(make_user)() for _ in range(3)]
    rooms = [await open_room(user) for user in users]
    presence = communicator("/ws/presence/", await asession_cookie_for(users[0]))
    assert (await presence.connect(TIMEOUT))[0]
    assert json.loads(await presence.receive_from(TIMEOUT))["type"] == "presence.state"
    general = await database_sync_to_async(_general_id)()
    room, activity = f"room.{general}", f"activity.{general}"
    user_groups = [f"user.{user.pk}" for user in users]

    # Four sockets, three relays with a channel each, and one channel for
    # the users' groups and one for the activity groups (realtime.keyed);
    # no socket has a channel of its own.
    expected = sorted(["accounts", room, "site", activity, *user_groups])
    assert await settle_to(expected, 5) == (expected, 5)

    # A relay stays while one of its sockets does; the last one stops it.
    # The two keyed channels stay, with no groups.
    await presence.disconnect()
    await rooms[0].close()
    expected = sorted(["accounts", room, *user_groups[1:]])
    assert await settle_to(expected, 4) == (expected, 4)
    for socket in rooms[1:]:
        await socket.close()
    assert await settle_to([], 2) == ([], 2)


def _general_id() -> int:
    from chat.models import Room

    return Room.objects.get(slug="general").pk
