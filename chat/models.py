from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from protocol.limits import (
    MAX_BODY,
    MAX_CLIENT_ID,
    MAX_ROOM_DESCRIPTION,
    MAX_ROOM_NAME,
    MAX_SLUG,
    SLUG_PATTERN,
)

slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use 1 to 50 lower-case letters, digits, hyphens or underscores.",
)


class Room(models.Model):
    slug = models.CharField(
        max_length=MAX_SLUG, unique=True, validators=[slug_validator]
    )
    name = models.CharField(max_length=MAX_ROOM_NAME)
    description = models.CharField(max_length=MAX_ROOM_DESCRIPTION, blank=True)
    private = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_rooms",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="rooms"
    )
    banned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="banned_from_rooms"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The seq of the room's newest message; raised in the same transaction
    # as each insert, so seqs are contiguous per room.
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.slug


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    body = models.TextField(max_length=MAX_BODY, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # NULL, not "", when absent: the unique constraint below ignores NULLs.
    client_id = models.CharField(max_length=MAX_CLIENT_ID, null=True, blank=True)  # noqa: DJ001
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # Also the index behind every history query (room, seq range).
            models.UniqueConstraint(
                fields=["room", "seq"], name="chat_message_room_seq_unique"
            ),
            # Idempotent retries: one message per (author, client_id).
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_message_author_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"
