# Memberships (PROTOCOL.md 1.1), room kinds and stored mentions: the schema.
# 0006 copies the old members into memberships; 0007 swaps Room.members over.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0004_search_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Membership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last_read", models.PositiveBigIntegerField(default=0)),
                ("muted", models.BooleanField(default=False)),
                ("joined_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("room", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="chat.room")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "room"), name="chat_membership_user_room_unique")],
            },
        ),
        migrations.AddField(
            model_name="room",
            name="kind",
            field=models.CharField(choices=[("public", "Public"), ("private", "Private"), ("direct", "Direct")], default="public", max_length=7),
        ),
        migrations.AlterField(
            model_name="room",
            name="private",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="message",
            name="mentions",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(condition=models.Q(("deleted", True)), fields=["room", "seq"], name="chat_message_deleted_idx"),
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField()),
                ("message", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="chat.message")),
                ("room", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="chat.room")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "room", "seq"), name="chat_mention_user_room_seq")],
            },
        ),
    ]
