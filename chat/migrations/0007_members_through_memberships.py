# Room.members now reads and writes Membership rows (0006 copied the old
# many-to-many table into them).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0006_copy_members"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(model_name="room", name="members"),
        migrations.AddField(
            model_name="room",
            name="members",
            field=models.ManyToManyField(blank=True, related_name="rooms", through="chat.Membership", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name="room",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("kind", "public"), ("private", False)), models.Q(("kind__in", ["private", "direct"]), ("private", True)), _connector="OR"), name="chat_room_private_follows_kind"),
        ),
    ]
