"""Batched storing: many messages of a room in one transaction, seqs intact."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import ingest, services
from chat.models import Message, Room

pytestmark = pytest.mark.django_db(transaction=True)


def test_messages_create_takes_consecutive_seqs_in_order(general_room, make_user):
    ada, bob = make_user(), make_user()
    services.message_create(room=general_room, author=ada, body="first", client_id=None)
    drafts = [
        services.Draft(ada, "a", "c1"),
        services.Draft(bob, "", None),  # invalid: the others still go in
        services.Draft(bob, "b", None),
        services.Draft(ada, "x\x00", None),
    ]
    results = services.messages_create(room=general_room, drafts=drafts)
    assert isinstance(results[1], ValueError) and isinstance(results[3], ValueError)
    (a, a_created), (b, b_created) = results[0], results[2]
    assert (a.seq, b.seq, a_created, b_created) == (2, 3, True, True)
    assert a.pk and b.pk and a.pk != b.pk
    assert Message.objects.get(pk=b.pk).body == "b"
    general_room.refresh_from_db()
    assert general_room.last_seq == 3


def test_a_retry_inside_a_batch_stores_once_and_leaves_no_gap(general_room, make_user):
    ada = make_user()
    stored, _ = services.message_create(
        room=general_room, author=ada, body="hi", client_id="k"
    )
    results = services.messages_create(
        room=general_room,
        drafts=[
            services.Draft(ada, "new", None),
            services.Draft(ada, "hi again", "k"),
            services.Draft(ada, "twice", "t"),
            services.Draft(ada, "twice", "t"),
        ],
    )
    assert results[1] == (stored, False)
    assert results[3][0].pk == results[2][0].pk and results[3][1] is False
    seqs = list(Message.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == [1, 2, 3]


async def test_concurrent_submits_are_batched_with_contiguous_seqs(
    general_room, make_user, monkeypatch
):
    authors = [await database_sync_to_async(make_user)() for _ in range(4)]
    sizes: list[int] = []
    real = services.messages_create

    def recording(*, room: Room, drafts: list) -> list:
        sizes.append(len(drafts))
        return real(room=room, drafts=drafts)

    monkeypatch.setattr(services, "messages_create", recording)

    async def send(n: int):
        return await ingest.submit(
            room=general_room, author=authors[n % 4], body=f"m{n}", client_id=f"c{n}"
        )

    results = await asyncio.gather(*(send(n) for n in range(200)))
    assert sorted(m.seq for m, _ in results) == list(range(1, 201))
    # In submission order: the n-th send got the n-th seq.
    assert [m.seq for m, _ in results] == list(range(1, 201))
    assert all(created for _, created in results)
    assert len(sizes) < 200 and sum(sizes) == 200
    count = await database_sync_to_async(Message.objects.count)()
    assert count == 200
