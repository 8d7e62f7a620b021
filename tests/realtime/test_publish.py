"""realtime.publish: a change's events in one Redis round trip, with the
bytes channels_redis's pub/sub layer would publish, on the suite's real
Redis (the round trips are counted at realtime.batch's pipeline)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chat import broadcast, store
from protocol import events
from realtime import batch, publish
from realtime.outbox import DEFERRED, outbox, send_or_later
from realtime.redis_clients import get_redis

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]

TIMEOUT = 5


@pytest.fixture
def pipelines(monkeypatch) -> list[list[tuple]]:
    """The commands of every pipeline realtime.batch sends (still sent)."""
    sent: list[list[tuple]] = []
    real = batch._pipeline

    async def counted(client, calls):
        sent.append([tuple(call.args) for call in calls])
        return await real(client, calls)

    monkeypatch.setattr(batch, "_pipeline", counted)
    return sent


async def raw_subscriber(*channels: str):
    pubsub = get_redis().pubsub()
    await pubsub.subscribe(*channels)
    for _ in channels:
        assert (await pubsub.get_message(timeout=TIMEOUT))["type"] == "subscribe"
    return pubsub


async def next_raw(pubsub) -> tuple[str, bytes]:
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=TIMEOUT)
    assert message is not None, "nothing published"
    return message["channel"].decode(), message["data"]


async def layer_member(*groups: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    return channel


async def test_the_bytes_are_the_layers_own(redis_client):
    event = events.chat_message(seq=7, frame='{"type":"message","body":"é"}')
    pubsub = await raw_subscriber("chat__group__room.1")
    await get_channel_layer().group_send("room.1", event)
    by_layer = await next_raw(pubsub)
    await publish.group_send_many([("room.1", event)])
    assert await next_raw(pubsub) == by_layer
    await pubsub.aclose()


async def test_the_layers_subscribers_get_them_in_order_in_one_pipeline(pipelines):
    layer = get_channel_layer()
    channel = await layer_member("room.1", "user.2")
    sends = [
        ("room.1", events.chat_message(seq=1, frame="one")),
        ("user.2", events.user_frame(user_id=2, frame="read", site_only=False)),
        ("room.1", events.chat_message(seq=2, frame="two")),
    ]
    pipelines.clear()
    assert await publish.group_send_many(sends) == [None, None, None]
    assert len(pipelines) == 1
    assert [args[0] for args in pipelines[0]] == ["PUBLISH"] * 3
    got = [await asyncio.wait_for(layer.receive(channel), TIMEOUT) for _ in sends]
    assert got == [event for _, event in sends]


def _stored(users, body: str):
    room = store.Room.objects.get(slug="general")
    (result,) = store.messages_create([store.Draft(room, users[0], body, "c1")])
    message, created = result
    assert created
    return message


async def test_a_stored_message_is_one_round_trip(amake_user, pipelines):
    author, mentioned = await amake_user("ann"), await amake_user("bob")
    message = await database_sync_to_async(_stored)([author], "hi @bob")
    room_id = message.room_id
    channel = await layer_member(
        f"room.{room_id}", f"activity.{room_id}", f"user.{author.pk}"
    )
    member = await layer_member(f"user.{mentioned.pk}")
    pipelines.clear()
    frame = await broadcast.message_created(message)
    # The room, room.activity, the author's read, the mention: one pipeline.
    assert len(pipelines) == 1
    assert [args[1] for args in pipelines[0]] == [
        f"chat__group__room.{room_id}",
        f"chat__group__activity.{room_id}",
        f"chat__group__user.{author.pk}",
        f"chat__group__user.{mentioned.pk}",
    ]
    layer = get_channel_layer()
    got = [await asyncio.wait_for(layer.receive(channel), TIMEOUT) for _ in range(3)]
    assert [event["type"] for event in got] == [
        "chat.message",
        "room.activity",
        "user.frame",
    ]
    assert got[0] == events.chat_message(seq=message.seq, frame=frame)
    assert '"type":"read"' in got[2]["frame"].replace(" ", "")
    mention = await asyncio.wait_for(layer.receive(member), TIMEOUT)
    assert (mention["type"], mention["site_only"]) == ("user.frame", True)
    assert '"type":"mention"' in mention["frame"].replace(" ", "")


def _acl(redis_client, *rules: str) -> None:
    redis_client.execute_command("ACL", "SETUSER", "default", *rules)


async def test_publish_refused_mid_pipeline_leaves_the_message_to_the_outbox(
    amake_user, redis_client, pipelines
):
    author = await amake_user("ann")
    message = await database_sync_to_async(_stored)([author], "kept")
    channel = await layer_member(f"room.{message.room_id}")
    late_before = outbox.sent_late
    _acl(redis_client, "-publish")  # the rest of the pipeline still runs
    try:
        pipelines.clear()
        rate = ratelimit_check(author.pk)
        sent = send_or_later(broadcast.message_created, message=message)
        allowed, sent = await asyncio.gather(rate, sent)
        assert allowed is not None  # the EVALSHA beside the PUBLISHes ran
        assert sent is DEFERRED
        # One pipeline: the check and the message's three PUBLISHes (a
        # second one may load the script into this fresh Redis).
        assert [args[0] for args in pipelines[0]].count("PUBLISH") == 3
        assert len(pipelines[0]) == 4
    finally:
        _acl(redis_client, "+publish")
    # The outbox sends the whole message again once Redis takes it.
    event = await asyncio.wait_for(get_channel_layer().receive(channel), 15)
    assert (event["type"], event["seq"]) == ("chat.message", message.seq)
    for _ in range(50):
        if outbox.sent_late > late_before:
            break
        await asyncio.sleep(0.1)
    assert outbox.sent_late == late_before + 1


def ratelimit_check(user_id: int):
    from chat import ratelimit

    return ratelimit.acquire(user_id)


async def test_redis_down_defers_the_message(amake_user, redis_server):
    author = await amake_user("ann")
    message = await database_sync_to_async(_stored)([author], "later")
    redis_server.stop()
    try:
        sent = await send_or_later(broadcast.message_created, message=message)
    finally:
        redis_server.start()
    assert sent is DEFERRED


async def test_a_lost_activity_is_logged_but_a_lost_room_event_raises(
    amake_user, redis_client, caplog
):
    author = await amake_user("ann")
    message = await database_sync_to_async(_stored)([author], "half")
    room = f"chat__group__room.{message.room_id}"
    # PUBLISH allowed to the room's channel alone (Redis drops the
    # subscribers this rule shuts out, so nothing here listens).
    _acl(redis_client, "resetchannels", f"&{room}")
    try:
        assert await broadcast.message_created(message)
        assert caplog.text.count(f"Activity of message {message.pk} not sent") == 2
        _acl(redis_client, "resetchannels", "&chat__group__activity.*", "&*user.*")
        with pytest.raises(Exception, match=r"(?i)permission|channel"):
            await broadcast.message_created(message)
    finally:
        _acl(redis_client, "allchannels")


async def test_a_sharded_layer_takes_its_own_group_send(settings, pipelines):
    from channels.layers import channel_layers

    layer = settings.CHANNEL_LAYERS["default"]
    hosts = layer["CONFIG"]["hosts"]
    settings.CHANNEL_LAYERS = {
        "default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": hosts * 2}}
    }
    channel_layers.backends = {}
    channel = await layer_member("room.1")
    event = events.chat_message(seq=1, frame="one")
    pipelines.clear()
    assert await publish.group_send_many([("room.1", event)]) == [None]
    assert pipelines == []  # the layer's shards decide where it goes
    assert await asyncio.wait_for(get_channel_layer().receive(channel), TIMEOUT) == (
        event
    )
    channel_layers.backends = {}
