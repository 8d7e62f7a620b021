"""#17 finding 2: one lone surrogate in a body failed a whole ingest batch.

Before: the writer stored every pending message of the process in one
bulk_create; one body holding "\\ud800" made the database driver raise, and
every draft of that batch got the error (31 of 40 other users' messages
refused) with their rate tokens handed back.

Now text that is not valid Unicode is refused at the frame (bad_request,
like NUL), and a draft the database still refuses fails alone: the batch
retries its drafts one by one.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from chat import store
from chat.models import Message, Room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]


async def test_a_lone_surrogate_among_forty_senders_fails_only_its_sender(asignup):
    accounts = [await asignup() for _ in range(40)]
    sockets = [(await account.room())[0] for account in accounts]

    async def send(n: int, ws) -> dict:
        body = "\ud800 bad" if n == 7 else f"hello {n}"
        await ws.send(
            json.dumps({"type": "message.send", "body": body, "client_id": f"c{n}"})
        )
        while True:
            frame = await next_frame_of(ws, ("message", "error"))
            if frame["type"] == "error" or frame["client_id"] == f"c{n}":
                return frame

    replies = await asyncio.gather(*(send(n, ws) for n, ws in enumerate(sockets)))
    assert replies[7]["type"] == "error"
    assert (replies[7]["code"], replies[7]["ref"]) == ("bad_request", "c7")
    assert all(r["type"] == "message" for n, r in enumerate(replies) if n != 7)
    stored = await sync_to_async(lambda: set(Message.objects.values_list("body")))()
    assert stored == {(f"hello {n}",) for n in range(40) if n != 7}
    for ws in sockets:
        await ws.close()


async def next_frame_of(ws, kinds: tuple[str, ...]) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] in kinds:
            return frame


def test_a_draft_the_database_refuses_fails_alone(general_room, make_user):
    # Past the frame's checks, a draft can still be refused by the database
    # (here: an author who was deleted meanwhile, a foreign-key violation).
    alice, gone = make_user(), make_user()
    gone_id = gone.pk
    gone.delete()
    gone.pk = gone_id
    drafts = [
        store.Draft(general_room, alice, "one", None),
        store.Draft(general_room, gone, "refused", None),
        store.Draft(general_room, alice, "\ud800", None),
        store.Draft(general_room, alice, "two", "k2"),
    ]
    results = store.messages_create(drafts)
    assert isinstance(results[1], Exception) and isinstance(results[2], ValueError)
    assert [r[0].body for r in (results[0], results[3])] == ["one", "two"]
    assert list(Message.objects.order_by("seq").values_list("body", "seq")) == [
        ("one", 1),
        ("two", 2),
    ]
    assert Room.objects.get(pk=general_room.pk).last_seq == 2
