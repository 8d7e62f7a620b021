"""Server-side ordering: a client sees seq grow by exactly one, whatever the
order in which broadcasts reach its process."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat import delivery
from chat.delivery import OrderedDelivery
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def frame(seq: int) -> str:
    return json.dumps({"type": "message", "seq": seq})


class Sink:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    async def __call__(self, seq: int, text: str) -> None:
        assert json.loads(text)["seq"] == seq
        self.seqs.append(seq)


async def test_late_broadcast_is_waited_for_and_duplicates_dropped(general_room):
    sink = Sink()
    ordered = OrderedDelivery(room=general_room, last_seq=0, send=sink)
    for seq in [2, 3, 1, 3, 1, 4]:
        await ordered.deliver(seq, frame(seq))
    assert sink.seqs == [1, 2, 3, 4]
    ordered.cancel()


async def test_lost_broadcast_is_read_from_the_database(
    general_room, make_user, monkeypatch
):
    monkeypatch.setattr(delivery, "GAP_WAIT", 0.05)
    author = await database_sync_to_async(make_user)()

    @database_sync_to_async
    def store(count: int) -> None:
        Message.objects.bulk_create(
            Message(room=general_room, seq=n, author=author, body=f"b{n}")
            for n in range(1, count + 1)
        )

    await store(5)
    sink = Sink()
    ordered = OrderedDelivery(room=general_room, last_seq=1, send=sink)
    # 2 and 3 never arrive (a dropped publish); 4 and 5 do.
    await ordered.deliver(4, frame(4))
    await ordered.deliver(5, frame(5))
    assert sink.seqs == []
    for _ in range(100):
        if sink.seqs:
            break
        await asyncio.sleep(0.02)
    assert sink.seqs == [2, 3, 4, 5]
    await ordered.deliver(3, frame(3))  # the late original: already sent
    assert sink.seqs == [2, 3, 4, 5]
    ordered.cancel()
