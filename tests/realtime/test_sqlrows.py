"""realtime.sqlrows: a written-out SELECT's row loads the instance the ORM
would have loaded, on either database."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.forms.models import model_to_dict

from chat.models import Room
from chat.services import room_create
from realtime.sqlrows import RowReader

pytestmark = pytest.mark.django_db


def _select(reader: RowReader, sql_tail: str, params: list) -> tuple:
    conn = connections[DEFAULT_DB_ALIAS]
    table = conn.ops.quote_name(Room._meta.db_table)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {reader.columns(conn, 'r')}{sql_tail} FROM {table} r "
                       "WHERE r.slug = %s", params)  # fmt: skip
        return conn, cursor.fetchone()


def test_an_instance_like_the_orms(make_user):
    ada = make_user("ada")
    room_create(owner=ada, name="Design", slug="design", private=True, members=[])
    reader = RowReader(Room)
    conn, row = _select(reader, "", ["design"])
    loaded = reader.instance(conn, row)
    expected = Room.objects.get(slug="design")
    fields = [f.attname for f in Room._meta.concrete_fields]
    assert {f: getattr(loaded, f) for f in fields} == {
        f: getattr(expected, f) for f in fields
    }
    # Converted as the ORM does: SQLite gives text and integers back.
    assert loaded.private is True and loaded.created_at == expected.created_at
    assert not loaded._state.adding and loaded._state.db == DEFAULT_DB_ALIAS
    assert model_to_dict(loaded) == model_to_dict(expected)


def test_extra_columns_are_set_by_name(make_user):
    ada = make_user("ada")
    room_create(owner=ada, name="Design", slug="design", private=False, members=[])
    reader = RowReader(Room, extra=("answer", "word"))
    conn, row = _select(reader, ", 42 AS answer, 'hi' AS word", ["design"])
    loaded = reader.instance(conn, row)
    assert (loaded.slug, loaded.answer, loaded.word) == ("design", 42, "hi")
