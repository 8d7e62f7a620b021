"""The room's next seqs and revisions, raised in the caller's transaction:
the one place with SQL of its own for them, because the vendors differ
(RETURNING, row locks)."""

from __future__ import annotations

import contextlib
import sqlite3

from django.db import connection
from django.db.models import F

from chat.models import Room


def _returning() -> bool:
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)
    )


def _raise(room_id: int, seqs: int, revs: int) -> tuple[int, int]:
    table = Room._meta.db_table
    if _returning():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_seq = last_seq + %s, rev = rev + %s "
                "WHERE id = %s RETURNING last_seq, rev",
                [seqs, revs, room_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise Room.DoesNotExist(f"Room {room_id} no longer exists.")
        return row[0], row[1]
    rooms = Room.objects.filter(pk=room_id)
    if not rooms.update(last_seq=F("last_seq") + seqs, rev=F("rev") + revs):
        raise Room.DoesNotExist(f"Room {room_id} no longer exists.")
    return rooms.values_list("last_seq", "rev")[0]


def next_seq(room_id: int, count: int = 1) -> tuple[int, int]:
    """Raise the room's last_seq and its rev by `count` and return both, in
    the caller's transaction: (last_seq, rev). The UPDATE takes the room
    row's lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE), so
    writers to one room queue here and each reads back its own increment:
    seqs and revs are contiguous, and a failed insert rolls both back."""
    return _raise(room_id, count, count)


def next_rev(room_id: int) -> int:
    """Raise the room's rev by one for an edit, deletion or reaction change,
    in the caller's transaction, under the same lock as next_seq: every
    change of a room is ordered with its messages."""
    return _raise(room_id, 0, 1)[1]


def next_seqs(counts: dict[int, int]) -> dict[int, tuple[int, int]]:
    """next_seq for several rooms at once: room id -> its new (last_seq,
    rev) (missing: the room no longer exists). Rows are locked in id order,
    so processes raising the same rooms' seqs never deadlock."""
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
            f"UPDATE {table} AS room SET last_seq = room.last_seq + v.n, "
            "rev = room.rev + v.n "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, n) "
            "WHERE room.id = v.id RETURNING room.id, room.last_seq, room.rev",
            [ids, [counts[i] for i in ids]],
        )
        return {room_id: (seq, rev) for room_id, seq, rev in cursor.fetchall()}
