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
