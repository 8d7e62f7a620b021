"""SQLite's full-text index: an FTS5 table with external content (the
message table's search_terms column), tokenized by unicode61 without
removing diacritics (PostgreSQL's `simple` keeps them too), kept in step
by triggers on the message table.

Django's SQLite schema editor rebuilds a table for many migrations and
drops its triggers on the way (the rows and their ids survive, so the index
stays right): chat.apps runs `install` after every migrate, which puts
missing triggers back.
"""

from __future__ import annotations

from chat.search.terms import Query

TABLE = "chat_message"
FTS = "chat_message_fts"

CREATE_FTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_terms, "
    f"content='{TABLE}', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 0 categories 'L* N* M*'\")"
)
TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_update AFTER UPDATE OF search_terms "
    f"ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_terms) "
    "VALUES ('delete', old.id, old.search_terms); "
    f"INSERT INTO {FTS}(rowid, search_terms) VALUES (new.id, new.search_terms); END",
]


def install(cursor) -> None:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [FTS])
    existed = cursor.fetchone() is not None
    cursor.execute(CREATE_FTS)
    for statement in TRIGGERS:
        cursor.execute(statement)
    if not existed:
        # Index what is there already (a database from before search).
        cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def uninstall(cursor) -> None:
    for name in ("insert", "delete", "update"):
        cursor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{name}")
    cursor.execute(f"DROP TABLE IF EXISTS {FTS}")


def _match(query: Query) -> str:
    # Each sequence a quoted FTS5 string, which is a phrase of its tokens;
    # space between strings means AND. Terms hold no quote characters.
    return " ".join(f'"{text}"' for text in query.indexed())


def match_sql(query: Query) -> tuple[str, list]:
    """SQL selecting the ids of every message the index matches (a superset
    of the answer; deleted ones included), for the admin's filter."""
    return f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [_match(query)]


def candidates_sql(
    query: Query, room_ids: list[int] | None, before: int | None, limit: int
) -> tuple[str, list]:
    params: list = [_match(query)]
    where = [f"{FTS} MATCH %s", "m.deleted = 0"]
    if room_ids is not None:
        where.append("m.room_id IN (SELECT value FROM json_each(%s))")
        params.append("[" + ",".join(str(int(i)) for i in room_ids) + "]")
    if before is not None:
        where.append(f"{FTS}.rowid < %s")
        params.append(before)
    params.append(limit)
    sql = (
        f"SELECT m.id FROM {FTS} JOIN {TABLE} AS m ON m.id = {FTS}.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY {FTS}.rowid DESC LIMIT %s"
    )
    return sql, params


def explain_prefix() -> str:
    return "EXPLAIN QUERY PLAN "
