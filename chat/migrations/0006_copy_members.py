# Today's members become memberships; every user becomes a member of
# `general`; private rooms get kind "private". Nobody starts with unread
# messages: read markers start at each room's newest seq.

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    Room = apps.get_model("chat", "Room")
    Membership = apps.get_model("chat", "Membership")
    User = apps.get_model("accounts", "User")
    Room.objects.filter(private=True).update(kind="private")
    last_seq = dict(Room.objects.values_list("pk", "last_seq"))
    old = Room.members.through.objects.values_list("room_id", "user_id")
    _insert(Membership, ((r, u, last_seq[r]) for r, u in old.iterator()))
    general = Room.objects.filter(slug="general").first()
    if general is not None:
        users = User.objects.values_list("pk", flat=True).iterator()
        _insert(Membership, ((general.pk, u, general.last_seq) for u in users))


def _insert(Membership, rows) -> None:
    batch = []
    for room_id, user_id, last_read in rows:
        batch.append(Membership(room_id=room_id, user_id=user_id, last_read=last_read))
        if len(batch) >= BATCH:
            Membership.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Membership.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Room = apps.get_model("chat", "Room")
    Membership = apps.get_model("chat", "Membership")
    through = Room.members.through
    rows = Membership.objects.exclude(room__kind="public").values_list(
        "room_id", "user_id"
    )
    through.objects.bulk_create(
        [through(room_id=r, user_id=u) for r, u in rows], ignore_conflicts=True
    )


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0005_memberships"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
