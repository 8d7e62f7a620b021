import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from protocol.limits import (
    MAX_BODY,
    MAX_CLIENT_ID,
    MAX_EMOJI,
    MAX_ROOM_DESCRIPTION,
    MAX_ROOM_NAME,
    MAX_SLUG,
    SLUG_PATTERN,
)

# Direct rooms' slugs (PROTOCOL.md 1.1): dm-<a>-<b>, a <= b their user ids.
DIRECT_SLUG_RE = re.compile(r"^dm-([1-9][0-9]{0,18})-([1-9][0-9]{0,18})$")


def direct_slug(a: int, b: int) -> str:
    low, high = sorted((int(a), int(b)))
    return f"dm-{low}-{high}"


def direct_pair(slug: str) -> tuple[int, int] | None:
    """The two user ids of a direct room's slug; None for any other slug."""
    found = DIRECT_SLUG_RE.fullmatch(slug)
    return (int(found[1]), int(found[2])) if found else None


slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use 1 to 50 lower-case letters, digits, hyphens or underscores.",
)


class RoomKind(models.TextChoices):
    PUBLIC = "public"
    PRIVATE = "private"  # members only, added by the owner or staff
    DIRECT = "direct"  # the two users of a direct conversation (chat.dms)


class Room(models.Model):
    slug = models.CharField(
        max_length=MAX_SLUG, unique=True, validators=[slug_validator]
    )
    name = models.CharField(max_length=MAX_ROOM_NAME)
    description = models.CharField(max_length=MAX_ROOM_DESCRIPTION, blank=True)
    kind = models.CharField(
        max_length=7, choices=RoomKind.choices, default=RoomKind.PUBLIC
    )
    # Derived from kind on every save (true for private and direct rooms) and
    # kept as a column for the 1.0 `private` field and its queries.
    private = models.BooleanField(default=False, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_rooms",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        blank=True,
        related_name="rooms",
    )
    banned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="banned_from_rooms"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The seq of the room's newest message; raised in the same transaction
    # as each insert, so seqs are contiguous per room.
    last_seq = models.PositiveBigIntegerField(default=0)
    # The room's revision (PROTOCOL 1.1): +1 with every stored message, edit,
    # deletion and reaction change, in the same transaction as the change.
    rev = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RoomKind.PUBLIC, private=False)
                | Q(kind__in=[RoomKind.PRIVATE, RoomKind.DIRECT], private=True),
                name="chat_room_private_follows_kind",
            ),
        ]

    def __init__(self, *args, **kwargs) -> None:
        # Room(private=True) from 1.0 callers means a private room.
        if not args and kwargs.get("private") and "kind" not in kwargs:
            kwargs["kind"] = RoomKind.PRIVATE
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return self.slug

    def save(self, *args, **kwargs) -> None:
        self.private = self.kind != RoomKind.PUBLIC
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "kind" in update_fields:
            kwargs["update_fields"] = {*update_fields, "private"}
        super().save(*args, **kwargs)


class Membership(models.Model):
    """One user in one room, with what is theirs there: how far they have
    read (the seq of the last message read) and whether it is muted."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    last_read = models.PositiveBigIntegerField(default=0)
    muted = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # user first: it is also the index of a user's room list.
            models.UniqueConstraint(
                fields=["user", "room"], name="chat_membership_user_room_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.room_id}"


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
    edited_at = models.DateTimeField(null=True, blank=True)
    # The room revision of this message's last change (its creation, an
    # edit, its deletion or a reaction change): resume's `changed` is the
    # range rev > R on the (room, rev) index below.
    rev = models.PositiveBigIntegerField(default=0)
    # The body's words, normalized (chat.search.terms): what both full-text
    # indexes hold, so PostgreSQL and SQLite tokenize alike. "" when deleted.
    search_terms = models.TextField(blank=True, default="", editable=False)
    # Ids of the users the body mentions (chat.mentions), ascending; parsed
    # once when the message is stored.
    mentions = models.JSONField(default=list, blank=True)

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
        indexes = [
            models.Index(fields=["room", "rev"], name="chat_message_room_rev"),
            # Unread counts subtract the deleted messages past a read marker
            # (chat.roomviews); deletions are rare, so this index stays small.
            models.Index(
                fields=["room", "seq"],
                condition=Q(deleted=True),
                name="chat_message_deleted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class MessageEdit(models.Model):
    """A version a message had before an edit: its body and since when.

    The versions of a message are these rows, oldest first, then the
    message's own current body (PROTOCOL 1.1, GET /api/messages/<id>/edits/).
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField(max_length=MAX_BODY)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.message_id} until {self.at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    """One user's one emoji on one message; the order of first addition is
    the order of ids."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    emoji = models.CharField(max_length=MAX_EMOJI)

    class Meta:
        constraints = [
            # Adding twice is a no-op: the constraint decides, not a look-up.
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="chat_reaction_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"


class Mention(models.Model):
    """A user a message mentions, by room and seq: what unread-mention counts
    read. Message.mentions without the author; removed with the message's
    body when it is deleted."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "room", "seq"], name="chat_mention_user_room_seq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.room_id}#{self.seq}"
