"""PostgreSQL's full-text column also holds each pair of adjacent terms as a
lexeme (chat.search.postgresql), so that the GIN index answers phrases.
PostgreSQL cannot change a generation expression in place: the index and the
column are dropped and added again (which rewrites the message table), then
the table is analyzed (with a larger statistics target for the column), as
the planner needs the new lexemes' frequencies to choose the index for a
phrase. SQLite: nothing changes."""

from django.db import migrations

ANALYZE = "ANALYZE chat_message"

# The column as 0004 made it, for the way back.
BEFORE = [
    "ALTER TABLE chat_message ADD COLUMN search_vector tsvector GENERATED ALWAYS "
    "AS (to_tsvector('simple'::regconfig, search_terms)) STORED",
    "CREATE INDEX chat_message_search_gin ON chat_message USING gin (search_vector)",
]


def forward(apps, schema_editor):
    from chat.search import postgresql

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        postgresql.uninstall(cursor)
        postgresql.install(cursor)
        cursor.execute(ANALYZE)


def backward(apps, schema_editor):
    from chat.search import postgresql

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        postgresql.uninstall(cursor)
        for statement in [*BEFORE, ANALYZE]:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("chat", "0007_members_through_memberships")]

    operations = [migrations.RunPython(forward, backward)]
