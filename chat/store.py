"""Storing messages with the room's next seq and rev, one or a batch at a
time (sync ORM; chat.ingest calls these on the database thread), with the
words the full-text indexes hold (chat.search).

In the same transaction as the messages: their mentions (chat.mentions,
parsed before it) and the sender's read marker, moved to the sent seq
(PROTOCOL.md 1.1). So a member's own messages are never past their marker,
which is what lets unread counts be arithmetic (chat.roomviews).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction

from chat import mentions, seqs
from chat.models import Membership, Mention, Message, Room
from chat.search.terms import document
from chat.selectors import message_for_client_id
from protocol.limits import body_problem, client_id_problem
from realtime.failures import is_outage

if TYPE_CHECKING:
    from accounts.models import User


def message_create(
    *, room: Room, author, body: str, client_id: str | None
) -> tuple[Message, bool]:
    """Store a message with the room's next seq; (message, created).

    The same (author, client_id) again stores nothing and returns the stored
    message with created=False. The caller strips and validates `body`; this
    checks again and raises ValueError on an empty or over-long body.
    """
    _check_message(body, client_id)
    (found,) = mentions.resolve([(room, body)])

    # No look-up of the client_id first: retries are rare, and the unique
    # constraint below catches them for the price of a rolled-back insert,
    # where a look-up would cost every message a query (bench/).
    try:
        with transaction.atomic():
            seq, rev = seqs.next_seq(room.pk)
            message = Message.objects.create(
                room=room,
                seq=seq,
                rev=rev,
                author=author,
                body=body,
                client_id=client_id,
                search_terms=document(body),
                mentions=found,
            )
            _index([message])
    except IntegrityError:
        # A concurrent retry with the same client_id won the race.
        existing = (
            message_for_client_id(author=author, client_id=client_id)
            if client_id is not None
            else None
        )
        if existing is None:
            raise
        return existing, False
    room.last_seq = seq
    message.reaction_rows = []  # a new message has none: no query to say so
    message.sender_unread = (0, 0)
    return message, True


@dataclass(frozen=True)
class Draft:
    """A message to store: what message_create takes."""

    room: Room
    author: User
    body: str
    client_id: str | None


def messages_create(drafts: list[Draft]) -> list[tuple[Message, bool] | Exception]:
    """Store several messages, of one room or many, in one transaction; per
    draft, what message_create would return, or the exception it would raise.
    Each room's messages take consecutive seqs in the order given.

    One transaction for many messages is what lets a busy process keep up
    (chat.ingest batches what arrives while the database is busy). Rooms'
    seqs are raised in room-id order, so processes writing to the same rooms
    take the rows' locks in one order and never deadlock.
    """
    results: list[tuple[Message, bool] | Exception | None] = [None] * len(drafts)
    by_room: dict[int, list[int]] = {}
    for index, draft in enumerate(drafts):
        try:
            _check_message(draft.body, draft.client_id)
        except ValueError as error:
            results[index] = error
        else:
            by_room.setdefault(draft.room.pk, []).append(index)
    valid = [i for indexes in by_room.values() for i in indexes]
    found = mentions.resolve([(drafts[i].room, drafts[i].body) for i in valid])
    mentioned = dict(zip(valid, found, strict=True))
    rows: dict[int, Message] = {}
    try:
        with transaction.atomic():
            lasts = seqs.next_seqs(
                {room: len(found) for room, found in by_room.items()}
            )
            for room_id, indexes in by_room.items():
                last = lasts.get(room_id)
                if last is None:
                    for i in indexes:
                        results[i] = Room.DoesNotExist(f"Room {room_id} is gone.")
                    continue
                first = last[0] - len(indexes) + 1
                first_rev = last[1] - len(indexes) + 1
                for offset, i in enumerate(indexes):
                    draft = drafts[i]
                    rows[i] = Message(
                        room=draft.room,
                        seq=first + offset,
                        rev=first_rev + offset,
                        author=draft.author,
                        body=draft.body,
                        client_id=draft.client_id,
                        search_terms=document(draft.body),
                        mentions=mentioned[i],
                    )
            Message.objects.bulk_create(rows.values())
            if rows and next(iter(rows.values())).pk is None:
                _fill_ids(rows.values())  # SQLite before 3.35 returns no ids
            _index(rows.values())
    except Exception as error:
        if is_outage(error):
            raise  # the database is down or locked: every draft fails alike
        # A retry among them (IntegrityError), or a draft the database
        # refuses: one by one, each deciding for itself, so one bad draft
        # never fails the others of its batch.
        for i in rows:
            draft = drafts[i]
            try:
                results[i] = message_create(
                    room=draft.room,
                    author=draft.author,
                    body=draft.body,
                    client_id=draft.client_id,
                )
            except Exception as error:
                results[i] = error
        return results
    _count_unread_after(rows.values())
    for i, row in rows.items():
        row.room.last_seq = max(row.room.last_seq, row.seq)
        row.reaction_rows = []
        results[i] = (row, True)
    return results


def _index(rows) -> None:
    """Mention rows, and each sender's read marker moved to their newest seq
    (monotonic: only ever forward)."""
    Mention.objects.bulk_create(mentions.index_rows(rows))
    newest: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row.room_id, row.author_id)
        newest[key] = max(newest.get(key, 0), row.seq)
    # Written out, one UPDATE per sender in (room, user) order (the order
    # every writer locks membership rows in): the ORM's compile of the same
    # change (a CASE over an OR of every sender) was about 40 % of storing a
    # message, and grew with the senders of a batch.
    table = connection.ops.quote_name(Membership._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_read = %s "
            "WHERE room_id = %s AND user_id = %s AND last_read < %s",
            [
                (seq, room_id, user_id, seq)
                for (room_id, user_id), seq in sorted(newest.items())
            ],
        )


def _count_unread_after(rows) -> None:
    """Each row's `sender_unread`: (unread, mentions) of its sender right
    after it, for the `read` frame that announces the moved marker. The room
    is locked until the batch commits, so the messages after a row are the
    batch's own later ones."""
    by_room: dict[int, list[Message]] = {}
    for row in rows:
        by_room.setdefault(row.room_id, []).append(row)
    for room_rows in by_room.values():
        own_later: dict[int, int] = {}
        mentions_later: dict[int, int] = {}
        newest_first = sorted(room_rows, key=lambda r: r.seq, reverse=True)
        for later, row in enumerate(newest_first):
            author = row.author_id
            row.sender_unread = (
                later - own_later.get(author, 0),
                mentions_later.get(author, 0),
            )
            own_later[author] = own_later.get(author, 0) + 1
            for uid in row.mentions:
                if uid != author:
                    mentions_later[uid] = mentions_later.get(uid, 0) + 1


def _fill_ids(rows) -> None:
    for row in rows:
        row.pk = Message.objects.values_list("pk", flat=True).get(
            room_id=row.room_id, seq=row.seq
        )


def _check_message(body: str, client_id: str | None) -> None:
    # The frame parser refuses these already (chat.frames); this is the
    # last line of defence for every other caller, with the same rules.
    problem = body_problem(body)
    if problem is not None:
        raise ValueError(problem[1])
    sentence = client_id_problem(client_id)
    if sentence is not None:
        raise ValueError(sentence)
