"""Words as search sees them (chat.search.terms) and the index's upkeep."""

from __future__ import annotations

import pytest
from django.db import connection

from chat import store
from chat.models import Room
from chat.search import service, terms


def test_words_and_offsets():
    got = terms.words("Hi, Ünïcode-wörld_2 ½ 🎉x")
    assert [(w.term, w.start, w.end) for w in got] == [
        ("hi", 0, 2),
        ("ünïcode", 4, 11),
        ("wörld", 12, 17),
        ("2", 18, 19),
        # NFKC turns ½ into 1, FRACTION SLASH, 2: both pieces keep the word's range.
        ("1", 20, 21),
        ("2", 20, 21),
        ("x", 23, 24),
    ]


def test_ascii_and_unicode_paths_agree():
    text = "Hello_World 42 x-y"
    fast = terms.words(text)
    slow = terms.words(text + " é")[:-1]
    assert fast == slow


def test_combining_marks_stay_in_the_word():
    decomposed = "cafe\u0301 ok"  # e + COMBINING ACUTE
    assert [w.term for w in terms.words(decomposed)] == ["café", "ok"]
    assert terms.match(terms.parse_query("café"), decomposed) == [[0, 5]]


def test_query_parsing():
    q = terms.parse_query('Foo "bar  BAZ" foo qux-quux "unclosed end')
    assert q.sequences == (
        ("foo",),
        ("bar", "baz"),
        ("qux",),
        ("quux",),
        ("unclosed", "end"),
    )
    assert terms.parse_query('!!! "" ,').sequences == ()


def test_document_cuts_long_terms_for_the_index_only():
    long = "x" * 500
    assert terms.document(long) == "x" * terms.MAX_INDEXED
    assert terms.match(terms.parse_query(long), long) == [[0, 500]]
    assert terms.match(terms.parse_query("x" * 499), long) is None


@pytest.mark.django_db
def test_install_puts_back_what_a_table_rebuild_dropped(make_user):
    """Django's SQLite schema editor drops the table's triggers when it
    rebuilds it; the post_migrate hook (install_index) restores them, and
    the index stays right for rows written afterwards."""
    room = Room.objects.get(slug="general")
    ada = make_user("ada")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER chat_message_fts_{name}")
    service.install_index()
    service.install_index()  # idempotent
    store.message_create(room=room, author=ada, body="after rebuild", client_id=None)
    query = terms.parse_query("rebuild")
    assert len(service.candidate_ids(query, room_ids=None, before=None, limit=5)) == 1
