"""Batched storing: many messages of a room in one transaction, seqs intact."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat import ingest, store
from chat.models import Membership, Message, Room

pytestmark = pytest.mark.django_db(transaction=True)


def test_messages_create_takes_consecutive_seqs_in_order(general_room, make_user):
    ada, bob = make_user(), make_user()
    store.message_create(room=general_room, author=ada, body="first", client_id=None)
    drafts = [
        store.Draft(general_room, ada, "a", "c1"),
        store.Draft(general_room, bob, "", None),  # invalid: the others go in
        store.Draft(general_room, bob, "b", None),
        store.Draft(general_room, ada, "x\x00", None),
    ]
    results = store.messages_create(drafts)
    assert isinstance(results[1], ValueError) and isinstance(results[3], ValueError)
    (a, a_created), (b, b_created) = results[0], results[2]
    assert (a.seq, b.seq, a_created, b_created) == (2, 3, True, True)
    assert a.pk and b.pk and a.pk != b.pk
    assert Message.objects.get(pk=b.pk).body == "b"
    general_room.refresh_from_db()
    assert general_room.last_seq == 3


def test_a_batch_moves_each_senders_marker_to_their_newest_seq(general_room, make_user):
    ada, bob, eve = make_user(), make_user(), make_user()
    other = Room.objects.create(slug="other", name="Other")
    for user in (ada, bob, eve):
        Membership.objects.get_or_create(room=general_room, user=user)
    Membership.objects.create(room=other, user=ada)
    # Eve has read further already: a marker never moves back.
    Membership.objects.filter(room=general_room, user=eve).update(last_read=99)
    store.messages_create(
        [
            store.Draft(general_room, ada, "a1", None),
            store.Draft(other, ada, "o1", None),
            store.Draft(general_room, bob, "b1", None),
            store.Draft(general_room, ada, "a2", None),
            store.Draft(general_room, eve, "e1", None),
        ]
    )
    markers = {
        (m.room.slug, m.user_id): m.last_read
        for m in Membership.objects.select_related("room").filter(
            user__in=[ada, bob, eve]
        )
    }
    assert markers == {
        ("general", ada.pk): 3,
        ("other", ada.pk): 1,
        ("general", bob.pk): 2,
        ("general", eve.pk): 99,
    }


def test_a_retry_inside_a_batch_stores_once_and_leaves_no_gap(general_room, make_user):
    ada = make_user()
    stored, _ = store.message_create(
        room=general_room, author=ada, body="hi", client_id="k"
    )
    results = store.messages_create(
        [
            store.Draft(general_room, ada, "new", None),
            store.Draft(general_room, ada, "hi again", "k"),
            store.Draft(general_room, ada, "twice", "t"),
            store.Draft(general_room, ada, "twice", "t"),
        ]
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
    real = store.messages_create

    def recording(drafts: list) -> list:
        sizes.append(len(drafts))
        return real(drafts)

    monkeypatch.setattr(store, "messages_create", recording)

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


def test_one_batch_of_several_rooms_keeps_each_rooms_seqs(general_room, make_user):
    ada = make_user()
    other = Room.objects.create(slug="other", name="Other")
    gone = Room.objects.create(slug="gone", name="Gone")
    Room.objects.filter(pk=gone.pk).delete()  # deleted while its drafts waited
    rooms = [general_room, other, gone, other, general_room, other]
    results = store.messages_create(
        [store.Draft(room, ada, f"m{i}", None) for i, room in enumerate(rooms)]
    )
    assert isinstance(results[2], Room.DoesNotExist)
    stored = [
        (r[0].room_id, r[0].seq, r[0].body) for r in results if r is not results[2]
    ]
    assert stored == [
        (general_room.pk, 1, "m0"),
        (other.pk, 1, "m1"),
        (other.pk, 2, "m3"),
        (general_room.pk, 2, "m4"),
        (other.pk, 3, "m5"),
    ]
    assert Message.objects.count() == 5


def test_processes_writing_the_same_rooms_never_deadlock(make_user):
    # Two "processes" (threads with their own connections) store batches
    # naming the same rooms in opposite orders; each room's seq row is
    # locked in id order, so neither waits for the other forever.
    ada = make_user()
    rooms = [Room.objects.create(slug=f"r{i}", name=f"R{i}") for i in range(4)]
    barrier = threading.Barrier(2)

    def work(reverse: bool) -> None:
        try:
            barrier.wait()
            order = rooms[::-1] if reverse else rooms
            for n in range(25):
                results = store.messages_create(
                    [store.Draft(room, ada, f"{n}", None) for room in order]
                )
                assert all(isinstance(r, tuple) for r in results), results
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(work, (False, True)))
    for room in rooms:
        seqs = sorted(room.messages.values_list("seq", flat=True))
        assert seqs == list(range(1, 51))


async def test_concurrent_submits_to_many_rooms_share_transactions(
    general_room, make_user, monkeypatch
):
    authors = [await database_sync_to_async(make_user)() for _ in range(4)]
    rooms = [general_room] + [
        await Room.objects.acreate(slug=f"room{i}", name=f"Room {i}") for i in range(4)
    ]
    batches: list[set[int]] = []
    real = store.messages_create

    def recording(drafts: list) -> list:
        batches.append({draft.room.pk for draft in drafts})
        return real(drafts)

    monkeypatch.setattr(store, "messages_create", recording)
    results = await asyncio.gather(
        *(
            ingest.submit(
                room=rooms[n % 5], author=authors[n % 4], body=f"m{n}", client_id=None
            )
            for n in range(100)
        )
    )
    assert any(len(rooms_of_batch) > 1 for rooms_of_batch in batches)
    for k, room in enumerate(rooms):
        mine = [m for n, (m, _) in enumerate(results) if n % 5 == k]
        assert {m.room_id for m in mine} == {room.pk}
        assert [m.seq for m in mine] == list(range(1, 21))
