"""The room's next seqs, raised in the caller's transaction: the one place
with SQL of its own, because the vendors differ (RETURNING, row locks)."""

from __future__ import annotations

import contextlib
import sqlite3

from django.db import connection
from django.db.models import F

from chat.models import Room


def next_seq(room_id: int, count: int = 1) -> int:
    """Raise the room's last_seq by `count` and return it, in the caller's
    transaction. The UPDATE takes the room row's lock (PostgreSQL) or the
    write lock (SQLite, BEGIN IMMEDIATE), so writers to one room queue here
    and each reads back its own increment: seqs are contiguous, and a failed
    insert rolls the increment back with it."""
    table = Room._meta.db_table
    if connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_seq = last_seq + %s WHERE id = %s "
                "RETURNING last_seq",
                [count, room_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise Room.DoesNotExist(f"Room {room_id} no longer exists.")
        return row[0]
    if not Room.objects.filter(pk=room_id).update(last_seq=F("last_seq") + count):
        raise Room.DoesNotExist(f"Room {room_id} no longer exists.")
    return Room.objects.filter(pk=room_id).values_list("last_seq", flat=True)[0]


def next_seqs(counts: dict[int, int]) -> dict[int, int]:
    """next_seq for several rooms at once: room id -> its new last_seq
    (missing: the room no longer exists). Rows are locked in id order, so
    processes raising the same rooms' seqs never deadlock."""
    if connection.vendor != "postgresql" or len(counts) == 1:
        found = {}
        for room_id in sorted(counts):
            with contextlib.suppress(Room.DoesNotExist):
                found[room_id] = next_seq(room_id, counts[room_id])
        return found
    # Two round trips whatever the number of rooms: lock in order, then one
    # UPDATE for all of them.
    table = Room._meta.db_table
    ids = sorted(counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids]
        )
        cursor.execute(
            f"UPDATE {table} AS room SET last_seq = room.last_seq + v.n "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, n) "
            "WHERE room.id = v.id RETURNING room.id, room.last_seq",
            [ids, [counts[i] for i in ids]],
        )
        return dict(cursor.fetchall())
