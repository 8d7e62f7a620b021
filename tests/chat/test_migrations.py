"""The 1.1 data migration: today's members become memberships, private rooms
get kind "private", everyone joins `general`, nobody starts with unread."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("chat", "0004_search_index")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_members_are_kept_and_everyone_joins_general():
    old = _migrate(BEFORE)
    try:
        User = old.get_model("accounts", "User")
        Room = old.get_model("chat", "Room")
        ada = User.objects.create(username="ada")
        bob = User.objects.create(username="bob")
        eve = User.objects.create(username="eve")
        general, _ = Room.objects.get_or_create(slug="general", name="General")
        Room.objects.filter(pk=general.pk).update(last_seq=7)
        secret = Room.objects.create(slug="secret", name="S", private=True, last_seq=3)
        secret.members.add(ada, bob)
        public = Room.objects.create(slug="public", name="P", owner=eve)
        public.members.add(eve)
    finally:
        new = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Membership = new.get_model("chat", "Membership")
    rows = set(
        Membership.objects.values_list("room__slug", "user__username", "last_read")
    )
    assert rows == {
        ("general", "ada", 7),
        ("general", "bob", 7),
        ("general", "eve", 7),
        ("secret", "ada", 3),
        ("secret", "bob", 3),
        ("public", "eve", 0),
    }
    kinds = dict(new.get_model("chat", "Room").objects.values_list("slug", "kind"))
    assert kinds == {"general": "public", "secret": "private", "public": "public"}


def _search_vector_expression() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns "
            "WHERE table_name = 'chat_message' AND column_name = 'search_vector'"
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def _phrase_ids(q: str) -> list[int]:
    from chat.search import service

    return service.candidate_ids(
        service.parse_query(q), room_ids=None, before=None, limit=10
    )


@pytest.mark.django_db(transaction=True)
def test_search_pairs_migrate_both_ways():
    """0008 adds the pair lexemes to PostgreSQL's column (dropped and added
    again) and takes them out on the way back; phrases are found either way."""
    from accounts.models import User
    from chat.models import Message, Room
    from chat.search import postgresql
    from chat.store import message_create

    ada = User.objects.create(username="ada")
    general, _ = Room.objects.get_or_create(slug="general", name="General")
    message, _ = message_create(
        room=general, author=ada, body="new york", client_id=None
    )
    pg = connection.vendor == "postgresql"
    try:
        _migrate([("chat", "0007_members_through_memberships")])
        if pg:
            assert "chat_search_pairs" not in _search_vector_expression()
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regproc('chat_search_pairs')")
                assert cursor.fetchone() == (None,)
                # The column as 0004 made it (today's queries ask for pairs).
                cursor.execute(
                    "SELECT id FROM chat_message WHERE search_vector @@ "
                    "phraseto_tsquery('simple', 'new york')"
                )
                assert cursor.fetchall() == [(message.pk,)]
        else:
            assert _phrase_ids('"new york"') == [message.pk]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    if pg:
        assert "chat_search_pairs(search_terms)" in _search_vector_expression()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tsvector_to_array(search_vector) FROM chat_message "
                "WHERE id = %s",
                [message.pk],
            )
            assert cursor.fetchone() == (["new", "new york", "york"],)
            cursor.execute(
                "SELECT attstattarget FROM pg_attribute WHERE attname = "
                "'search_vector' AND attrelid = 'chat_message'::regclass"
            )
            assert cursor.fetchone() == (postgresql.STATISTICS,)
    assert _phrase_ids('"new york"') == [message.pk]
    assert _phrase_ids('"york new"') == []
    assert Message.objects.filter(pk=message.pk).exists()
