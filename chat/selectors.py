"""Reads of rooms and messages (sync ORM; async callers wrap them with
database_sync_to_async)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q

from chat.models import Membership, Message, Reaction, Room
from protocol.limits import SLUG_RE as _SLUG_RE
from protocol.limits import has_surrogates
from realtime.sqlrows import RowReader


class RoomNotFound(Exception):
    """No such room, or a private one the user is not a member of."""


class RoomForbidden(Exception):
    """The user is banned from the room."""


_ROOMS = RowReader(Room, extra=("is_member", "is_banned"))


def _access_sql(conn) -> str:
    """The room by slug with is_member / is_banned for one user, written out:
    the ORM's compile of the same query (two Exists subqueries) cost ~1.6 ms
    of CPU per socket handshake, the raw query ~0.17 ms (bench/FINDINGS.md).
    Built once per database vendor, from the models' own tables and columns."""
    sql = _ACCESS_SQL.get(conn.vendor)
    if sql is None:
        q = conn.ops.quote_name
        banned = Room.banned.through._meta.db_table
        sql = _ACCESS_SQL[conn.vendor] = (
            f"SELECT {_ROOMS.columns(conn, 'r')}, "
            f"EXISTS(SELECT 1 FROM {q(Membership._meta.db_table)} m"
            " WHERE m.room_id = r.id AND m.user_id = %s) AS is_member, "
            f"EXISTS(SELECT 1 FROM {q(banned)} b"
            " WHERE b.room_id = r.id AND b.user_id = %s) AS is_banned "
            f"FROM {q(Room._meta.db_table)} r WHERE r.slug = %s"
        )
    return sql


_ACCESS_SQL: dict[str, str] = {}


def room_for_user(*, slug: str, user) -> Room:
    """The room `slug` as `user` may see it.

    Raises RoomNotFound when it does not exist or is private and the user is
    not a member (a private room looks exactly like a missing one), and
    RoomForbidden when the user is banned from it.
    """
    # Text that cannot be a slug never reaches the database (NUL bytes, for
    # one, make PostgreSQL raise).
    if not isinstance(slug, str) or not _SLUG_RE.fullmatch(slug):
        raise RoomNotFound(slug)
    # A cursor and the RowReader, not Room.objects.raw(): raw() works out its
    # column mapping and converters anew on every call.
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        cursor.execute(_access_sql(conn), [user.pk, user.pk, slug])
        row = cursor.fetchone()
    if row is None:
        raise RoomNotFound(slug)
    room = _ROOMS.instance(conn, row)
    room.is_member, room.is_banned = bool(room.is_member), bool(room.is_banned)
    if room.is_banned:
        raise RoomForbidden(slug)
    if room.private and not room.is_member:
        raise RoomNotFound(slug)
    return room


@dataclass(frozen=True)
class RoomLookup:
    """room_for_user's answer, kept to be acted on later (a socket's
    handshake looks its room up with the session: chat.routing.preload)."""

    slug: str
    room: Room | None = None  # None: not found (RoomNotFound) or banned
    banned: bool = False  # RoomForbidden


def room_lookup(*, slug: str, user) -> RoomLookup:
    try:
        return RoomLookup(slug, room=room_for_user(slug=slug, user=user))
    except RoomNotFound:
        return RoomLookup(slug)
    except RoomForbidden:
        return RoomLookup(slug, banned=True)


def room_for_moderator(*, slug: str, user) -> Room:
    """Like room_for_user, but staff reach every room, private ones included
    (they moderate rooms they are not members of), and so does the room's
    owner (who may have left it, and may add themself back)."""
    if isinstance(slug, str) and _SLUG_RE.fullmatch(slug):
        room = Room.objects.select_related("owner").filter(slug=slug).first()
        if room is not None and (user.is_staff or room.owner_id == user.pk):
            return room
    return room_for_user(slug=slug, user=user)


def rooms_visible_to(user) -> list[Room]:
    """Public rooms plus every room the user is a member of, by name; rooms
    the user is banned from are left out (they could not enter them). The
    Room as its viewer sees it, with counts: chat.roomviews."""
    mine = Membership.objects.filter(user_id=user.pk).values("room_id")
    banned = Room.banned.through.objects.filter(user_id=user.pk).values("room_id")
    return list(
        Room.objects.select_related("owner")
        .filter(Q(private=False) | Q(pk__in=mine))
        .exclude(pk__in=banned)
        .order_by("name", "slug")
    )


def room_access(*, room_id: int, user_ids: set[int]) -> dict[int, str]:
    """Which of `user_ids` may no longer open the room: user id -> "banned"
    or "not_found" (not a member of a room that is not public, or the room
    is gone). Three queries whatever the number of users."""
    room = Room.objects.filter(pk=room_id).values("private").first()
    if room is None:
        return dict.fromkeys(user_ids, "not_found")
    refused: dict[int, str] = {}
    if room["private"]:
        members = set(
            Membership.objects.filter(
                room_id=room_id, user_id__in=user_ids
            ).values_list("user_id", flat=True)
        )
        refused.update(dict.fromkeys(user_ids - members, "not_found"))
    banned = Room.banned.through.objects.filter(room_id=room_id, user_id__in=user_ids)
    refused.update(dict.fromkeys(banned.values_list("user_id", flat=True), "banned"))
    return refused


def message_history(
    *,
    room: Room,
    before: int | None = None,
    after: int | None = None,
    limit: int,
) -> tuple[list[Message], bool]:
    """Messages of `room` in ascending seq, tombstones included.

    `before`: the latest `limit` with a smaller seq; `after`: the first
    `limit` with a greater seq; neither: the latest `limit`. The bool says
    whether more exist in the direction asked. One query: it fetches
    limit + 1 rows over the (room, seq) unique index.
    """
    if before is not None and after is not None:
        raise ValueError("Give before or after, not both.")
    if limit < 1:
        raise ValueError("limit must be at least 1.")
    # room.messages caches `room` on every row, so message_dict needs no join.
    rows = room.messages.select_related("author")
    if after is not None:
        rows = rows.filter(seq__gt=after).order_by("seq")
    else:
        if before is not None:
            rows = rows.filter(seq__lt=before)
        rows = rows.order_by("-seq")
    found = list(rows[: limit + 1])
    has_more = len(found) > limit
    found = found[:limit]
    if after is None:
        found.reverse()
    attach_reactions(found)
    return found, has_more


def room_head(*, room: Room) -> tuple[int, int]:
    """The room's newest seq and its revision, read now."""
    return Room.objects.values_list("last_seq", "rev").get(pk=room.pk)


def messages_changed(
    *, room: Room, after: int, rev: int, limit: int
) -> tuple[list[Message], bool]:
    """Resume's `changed`: the messages with seq ≤ after whose last change
    (edit, deletion, reaction) has a revision greater than `rev`, in their
    current state, ascending seq; the bool says whether more than `limit`
    did. One range scan of the (room, rev) index."""
    rows = list(
        room.messages.select_related("author")
        .filter(rev__gt=rev, seq__lte=after)
        .order_by("rev")[: limit + 1]
    )
    more = len(rows) > limit
    rows = sorted(rows[:limit], key=lambda m: m.seq)
    attach_reactions(rows)
    return rows, more


def attach_reactions(messages: list[Message]) -> None:
    """Load the reactions of many messages in one query, for
    serializers.message_dict (a message without them would cost one each)."""
    if not messages:
        return
    by_message: dict[int, list[Reaction]] = {m.pk: [] for m in messages}
    for row in Reaction.objects.filter(message_id__in=by_message).order_by("id"):
        by_message[row.message_id].append(row)
    for message in messages:
        message.reaction_rows = by_message[message.pk]


def message_for_client_id(*, author, client_id: str) -> Message | None:
    """The message `author` already sent with `client_id` (an idempotent retry)."""
    if "\x00" in client_id or has_surrogates(client_id):
        # message_create never stores one, and PostgreSQL rejects NUL in a
        # query (no driver can encode a lone surrogate).
        return None
    message = (
        Message.objects.select_related("room", "author")
        .filter(author=author, client_id=client_id)
        .first()
    )
    if message is not None:
        attach_reactions([message])
    return message
