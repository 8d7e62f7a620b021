from django.db import migrations


def create_general(apps, schema_editor):
    Room = apps.get_model("chat", "Room")
    Room.objects.get_or_create(
        slug="general",
        defaults={"name": "General", "description": "Everyone is welcome here."},
    )


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(create_general, migrations.RunPython.noop)]
