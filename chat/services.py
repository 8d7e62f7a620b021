"""Writes: messages and rooms (sync ORM; async callers wrap them with
database_sync_to_async). Views, consumers and the admin call these; none of
them holds a rule of its own."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.text import slugify

from chat import events
from chat.models import Message, Room, slug_validator
from chat.selectors import message_for_client_id

if TYPE_CHECKING:
    from accounts.models import User

MAX_BODY = 4000
MAX_CLIENT_ID = 64
MAX_NAME = 80
MAX_SLUG = 50


class SlugTaken(Exception):
    """Another room has this slug already (the API answers 409)."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug!r} is taken: choose another one.")
        self.slug = slug


def _shown(text: str) -> str:
    # Error sentences quote user text; keep a hostile 10 KB name out of them.
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _next_seq(room_id: int, count: int = 1) -> int:
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


def _next_seqs(counts: dict[int, int]) -> dict[int, int]:
    """_next_seq for several rooms at once: room id -> its new last_seq
    (missing: the room no longer exists). Rows are locked in id order, so
    processes raising the same rooms' seqs never deadlock."""
    if connection.vendor != "postgresql" or len(counts) == 1:
        found = {}
        for room_id in sorted(counts):
            with contextlib.suppress(Room.DoesNotExist):
                found[room_id] = _next_seq(room_id, counts[room_id])
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


def message_create(
    *, room: Room, author, body: str, client_id: str | None
) -> tuple[Message, bool]:
    """Store a message with the room's next seq; (message, created).

    The same (author, client_id) again stores nothing and returns the stored
    message with created=False. The caller strips and validates `body`; this
    checks again and raises ValueError on an empty or over-long body.
    """
    _check_message(body, client_id)

    # No look-up of the client_id first: retries are rare, and the unique
    # constraint below catches them for the price of a rolled-back insert,
    # where a look-up would cost every message a query (bench/).
    try:
        with transaction.atomic():
            seq = _next_seq(room.pk)
            message = Message.objects.create(
                room=room, seq=seq, author=author, body=body, client_id=client_id
            )
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
    rows: dict[int, Message] = {}
    try:
        with transaction.atomic():
            lasts = _next_seqs({room: len(found) for room, found in by_room.items()})
            for room_id, indexes in by_room.items():
                last = lasts.get(room_id)
                if last is None:
                    for i in indexes:
                        results[i] = Room.DoesNotExist(f"Room {room_id} is gone.")
                    continue
                first = last - len(indexes) + 1
                for offset, i in enumerate(indexes):
                    draft = drafts[i]
                    rows[i] = Message(
                        room=draft.room,
                        seq=first + offset,
                        author=draft.author,
                        body=draft.body,
                        client_id=draft.client_id,
                    )
            Message.objects.bulk_create(rows.values())
    except IntegrityError:
        # A retry among them: one by one, each deciding for itself.
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
    if rows and next(iter(rows.values())).pk is None:
        _fill_ids(rows.values())  # SQLite before 3.35 returns no ids
    for i, row in rows.items():
        row.room.last_seq = max(row.room.last_seq, row.seq)
        results[i] = (row, True)
    return results


def _fill_ids(rows) -> None:
    for row in rows:
        row.pk = Message.objects.values_list("pk", flat=True).get(
            room_id=row.room_id, seq=row.seq
        )


def _check_message(body: str, client_id: str | None) -> None:
    if not isinstance(body, str) or not body or len(body) > MAX_BODY:
        raise ValueError(f"The body must be 1 to {MAX_BODY} characters.")
    if client_id is not None and (
        not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID
    ):
        raise ValueError(f"client_id must be a string of at most {MAX_CLIENT_ID}.")
    # PostgreSQL cannot store NUL in text; refusing it everywhere keeps SQLite
    # and PostgreSQL deployments alike.
    if "\x00" in body or (client_id is not None and "\x00" in client_id):
        raise ValueError("The body and client_id must not contain NUL characters.")


def can_moderate(room: Room, user) -> bool:
    """Owner or staff: may add members, ban, and delete any message."""
    return bool(
        user.is_staff or (room.owner_id is not None and room.owner_id == user.pk)
    )


def message_delete(*, message_id: int, by) -> Message:
    """Turn a message into a tombstone (same seq, empty body, deleted=True).

    Allowed to its author, the room's owner and staff (PermissionDenied
    otherwise; Message.DoesNotExist for an unknown id, or one in a private
    room that `by` is not a member of). The room gets
    `message.deleted` once the change commits. Deleting a tombstone again
    changes nothing and tells nobody.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("room", "author")
            .get(pk=message_id)
        )
        if message.author_id != by.pk and not can_moderate(message.room, by):
            room = message.room
            if room.private and not room.members.filter(pk=by.pk).exists():
                # As for rooms: what a user cannot see does not exist for them.
                raise Message.DoesNotExist(message_id)
            raise PermissionDenied(
                "Only the message's author, the room's owner or staff may delete it."
            )
        if not message.deleted:
            message.deleted = True
            message.body = ""
            message.save(update_fields=["deleted", "body"])
            transaction.on_commit(
                partial(
                    events.message_deleted_sync,
                    room_id=message.room_id,
                    slug=message.room.slug,
                    message_id=message.pk,
                    seq=message.seq,
                ),
                robust=True,
            )
    return message


def _users_named(usernames: list[str], field: str) -> list:
    """The users with these usernames; ValidationError names the unknown ones."""
    wanted = list(dict.fromkeys(usernames))
    # NUL cannot be in a username, and PostgreSQL rejects it in a query.
    lookup = [name for name in wanted if "\x00" not in name]
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=lookup)
    }
    unknown = [name for name in wanted if name not in users]
    if unknown:
        raise ValidationError(
            {field: [f"No user is named {_shown(n)}." for n in unknown]}
        )
    return [users[name] for name in wanted]


def _clean_room_fields(name: str, slug: str | None) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        errors["name"] = [f"Give the room a name of 1 to {MAX_NAME} characters."]
    elif "\x00" in name:
        errors["name"] = ["The name must not contain NUL characters."]
    if slug is None:
        if "name" not in errors:
            slug = slugify(name).lower()[:MAX_SLUG].strip("-_")
            if not slug:
                errors["slug"] = [
                    "This name gives an empty slug: give a slug of lower-case "
                    "letters, digits, hyphens or underscores."
                ]
    else:
        try:
            slug_validator(slug)
        except ValidationError as error:
            errors["slug"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return name, slug


def room_create(
    *, owner, name: str, slug: str | None, private: bool, members: list[str]
) -> Room:
    """Create a room that `owner` owns and is a member of, with `members`.

    Without a slug it is slugify(name), lower case, cut to 50. Raises
    ValidationError({field: [sentences]}) on bad input (an unknown member
    included) and SlugTaken when the slug is in use; nothing is written then.
    """
    name, slug = _clean_room_fields(name, slug)
    others = _users_named(list(members), "members")
    try:
        with transaction.atomic():
            if Room.objects.filter(slug=slug).exists():
                raise SlugTaken(slug)
            room = Room.objects.create(
                slug=slug, name=name, private=bool(private), owner=owner
            )
            room.members.add(owner, *others)
    except IntegrityError:
        # Two creators raced for one slug and the unique index chose.
        if Room.objects.filter(slug=slug).exists():
            raise SlugTaken(slug) from None
        raise
    return room


def room_add_member(*, room: Room, by, username: str) -> Room:
    """Owner or staff adds `username` as a member (lifting a ban on them)."""
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may add members.")
    (user,) = _users_named([username], "username")
    with transaction.atomic():
        room.banned.remove(user)
        room.members.add(user)
    return room


def room_ban(*, room: Room, by, username: str) -> User:
    """Owner or staff bans `username`: no longer a member, cannot enter, and
    their open sockets to the room close with 4403 once this commits."""
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may ban.")
    (user,) = _users_named([username], "username")
    if user.pk == room.owner_id:
        raise ValidationError({"username": ["The room's owner cannot be banned."]})
    with transaction.atomic():
        room.members.remove(user)
        room.banned.add(user)
        transaction.on_commit(
            partial(events.user_kicked_sync, user_id=user.pk, room_id=room.pk),
            robust=True,
        )
    return user
