"""Searching messages: the index of this database proposes candidates, newest
first; `terms.match` decides each one (so both databases give the same
answer) and gives its ranges.

A candidate the index proposes is nearly always an answer (the indexes hold
the same terms that `match` compares), so a page costs about one indexed
query; the rounds below only matter when many candidates fail (phrases the
index could not check exactly, terms cut at MAX_INDEXED).
"""

from __future__ import annotations

from types import ModuleType

from django.db import connection

from chat import selectors
from chat.models import Message, Room
from chat.search import postgresql, sqlite
from chat.search.terms import Query, match, parse_query

MAX_ROUNDS = 5  # index queries for one page at most


def backend() -> ModuleType:
    """The full-text index module of the default database."""
    if connection.vendor == "postgresql":
        return postgresql
    if connection.vendor == "sqlite":
        return sqlite
    raise NotImplementedError(f"No full-text search for {connection.vendor}.")


def install_index(using_connection=None) -> None:
    """Create what the index needs, where missing (post_migrate, migrations)."""
    conn = using_connection or connection
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.vendor)
    if module is not None:
        with conn.cursor() as cursor:
            module.install(cursor)


def candidate_ids(
    query: Query, *, room_ids: list[int] | None, before: int | None, limit: int
) -> list[int]:
    sql, params = backend().candidates_sql(query, room_ids, before, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def search_messages(
    *, user, q: str, room: Room | None = None, before: int | None = None, limit: int
) -> tuple[list[tuple[Message, list[list[int]]]], bool]:
    """The messages holding every word of `q` (quoted parts as phrases) in
    `room`, or in every room `user` can open (chat.selectors decides which),
    newest first, with the ranges of `body` that matched; the bool says
    whether older results exist. Never a deleted message."""
    query = parse_query(q)
    if not query.sequences:
        return [], False
    if room is not None:
        room_ids = [room.pk]
    else:
        room_ids = [r.pk for r in selectors.rooms_visible_to(user)]
        if not room_ids:
            return [], False
    found: list[tuple[Message, list[list[int]]]] = []
    batch = limit + 1
    exhausted = False
    for _ in range(MAX_ROUNDS):
        ids = candidate_ids(query, room_ids=room_ids, before=before, limit=batch)
        rows = Message.objects.select_related("room", "author").in_bulk(ids)
        for message_id in ids:
            message = rows.get(message_id)
            ranges = None if message is None else match(query, message.body)
            if ranges is not None and not message.deleted:
                found.append((message, ranges))
        exhausted = len(ids) < batch
        if len(found) > limit or exhausted:
            break
        before = ids[-1]
        batch *= 2
    # Out of rounds with candidates left: say so; the next page goes on.
    has_more = len(found) > limit or not exhausted
    found = found[:limit]
    selectors.attach_reactions([message for message, _ in found])
    return found, has_more
