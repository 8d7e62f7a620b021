"""Full-text search: every stored message's search terms, then the index of
this database (chat.search.postgresql or chat.search.sqlite)."""

from django.db import migrations

BATCH = 2000


def fill_terms(apps, schema_editor):
    # The one definition of a message's terms; a pure function of the body.
    from chat.search.terms import document

    Message = apps.get_model("chat", "Message")
    last = 0
    while True:
        rows = list(
            Message.objects.filter(pk__gt=last, deleted=False)
            .order_by("pk")
            .only("pk", "body")[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            row.search_terms = document(row.body)
        Message.objects.bulk_update(rows, ["search_terms"])
        last = rows[-1].pk


def install(apps, schema_editor):
    from chat.search.service import install_index

    install_index(schema_editor.connection)


def uninstall(apps, schema_editor):
    from chat.search import postgresql, sqlite

    module = {"postgresql": postgresql, "sqlite": sqlite}.get(
        schema_editor.connection.vendor
    )
    if module is not None:
        with schema_editor.connection.cursor() as cursor:
            module.uninstall(cursor)


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_revisions_edits_reactions")]

    operations = [
        migrations.RunPython(fill_terms, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
