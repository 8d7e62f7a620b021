"""Writes to rooms and moderation (sync ORM; async callers wrap them with
database_sync_to_async). Views, consumers and the admin call these; none of
them holds a rule of its own. Storing messages: chat.store and chat.sending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from chat import broadcast, seqs
from chat.models import Message, MessageEdit, Reaction, Room, slug_validator
from protocol.limits import MAX_ROOM_NAME, MAX_SLUG, has_surrogates

if TYPE_CHECKING:
    from accounts.models import User


class Unchanged(Exception):
    """Raised inside a change's transaction to roll back its rev when the
    change turns out to change nothing."""


class SlugTaken(Exception):
    """Another room has this slug already (the API answers 409)."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug!r} is taken: choose another one.")
        self.slug = slug


def _shown(text: str) -> str:
    # Error sentences quote user text; keep a hostile 10 KB name out of them.
    return repr(text if len(text) <= 40 else text[:40] + "…")


def can_moderate(room: Room, user) -> bool:
    """Owner or staff: may add members, ban, and delete any message."""
    return bool(
        user.is_staff or (room.owner_id is not None and room.owner_id == user.pk)
    )


def message_delete(*, message_id: int, by) -> Message:
    """Turn a message into a tombstone (same seq, empty body, deleted=True,
    its earlier versions and reactions gone) with the room's next rev.

    Allowed to its author, the room's owner and staff (PermissionDenied
    otherwise; Message.DoesNotExist for an unknown id, or one in a private
    room that `by` is not a member of). The room gets
    `message.deleted` once the change commits. Deleting a tombstone again
    changes nothing and tells nobody.
    """
    message = Message.objects.select_related("room", "author").get(pk=message_id)
    if message.author_id != by.pk and not can_moderate(message.room, by):
        room = message.room
        if room.private and not room.members.filter(pk=by.pk).exists():
            # As for rooms: what a user cannot see does not exist for them.
            raise Message.DoesNotExist(message_id)
        raise PermissionDenied(
            "Only the message's author, the room's owner or staff may delete it."
        )
    if message.deleted:
        return message
    try:
        with transaction.atomic():
            # The room's lock first, as every change of the room takes it.
            rev = seqs.next_rev(message.room_id)
            # Conditional: of two deletions at once, one changes the row.
            if not Message.objects.filter(pk=message.pk, deleted=False).update(
                deleted=True, body="", search_terms="", rev=rev
            ):
                raise Unchanged
            MessageEdit.objects.filter(message_id=message.pk).delete()
            Reaction.objects.filter(message_id=message.pk).delete()
            broadcast.after_commit(
                broadcast.message_deleted,
                room_id=message.room_id,
                slug=message.room.slug,
                message_id=message.pk,
                seq=message.seq,
                rev=rev,
            )
    except Unchanged:
        pass
    message.refresh_from_db()
    return message


def _users_named(usernames: list[str], field: str) -> list:
    """The users with these usernames; ValidationError names the unknown ones."""
    wanted = list(dict.fromkeys(usernames))
    # NUL cannot be in a username, and PostgreSQL rejects it in a query.
    lookup = [n for n in wanted if "\x00" not in n and not has_surrogates(n)]
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=lookup)
    }
    unknown = [name for name in wanted if name not in users]
    if unknown:
        raise ValidationError(
            {field: [f"No user is named {_shown(n)}." for n in unknown]}
        )
    return [users[name] for name in wanted]


def _clean_room_fields(name: str, slug: str | None) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_ROOM_NAME:
        errors["name"] = [f"Give the room a name of 1 to {MAX_ROOM_NAME} characters."]
    elif "\x00" in name:
        errors["name"] = ["The name must not contain NUL characters."]
    elif not name.replace(" ", "").isprintable() or has_surrogates(name):
        # Control characters, newlines, bidi overrides and zero-width
        # characters let a name pass for another or break the layout
        # (#17: impersonation); display names follow the same rule.
        errors["name"] = [
            "Use letters, digits, spaces and punctuation only (no control, "
            "direction or invisible characters)."
        ]
    if slug is None:
        if "name" not in errors:
            slug = slugify(name).lower()[:MAX_SLUG].strip("-_")
            if not slug:
                errors["slug"] = [
                    "This name gives an empty slug: give a slug of lower-case "
                    "letters, digits, hyphens or underscores."
                ]
    else:
        try:
            slug_validator(slug)
        except ValidationError as error:
            errors["slug"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return name, slug


def room_create(
    *, owner, name: str, slug: str | None, private: bool, members: list[str]
) -> Room:
    """Create a room that `owner` owns and is a member of, with `members`.

    Without a slug it is slugify(name), lower case, cut to 50. Raises
    ValidationError({field: [sentences]}) on bad input (an unknown member
    included) and SlugTaken when the slug is in use; nothing is written then.
    """
    name, slug = _clean_room_fields(name, slug)
    others = _users_named(list(members), "members")
    try:
        with transaction.atomic():
            if Room.objects.filter(slug=slug).exists():
                raise SlugTaken(slug)
            room = Room.objects.create(
                slug=slug, name=name, private=bool(private), owner=owner
            )
            room.members.add(owner, *others)
    except IntegrityError:
        # Two creators raced for one slug and the unique index chose.
        if Room.objects.filter(slug=slug).exists():
            raise SlugTaken(slug) from None
        raise
    return room


def room_add_member(*, room: Room, by, username: str) -> Room:
    """Owner or staff adds `username` as a member (lifting a ban on them)."""
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may add members.")
    (user,) = _users_named([username], "username")
    with transaction.atomic():
        room.banned.remove(user)
        room.members.add(user)
    return room


def room_ban(*, room: Room, by, username: str) -> User:
    """Owner or staff bans `username`: no longer a member, cannot enter, and
    their open sockets to the room close with 4403 once this commits."""
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may ban.")
    (user,) = _users_named([username], "username")
    if user.pk == room.owner_id:
        raise ValidationError({"username": ["The room's owner cannot be banned."]})
    with transaction.atomic():
        room.members.remove(user)
        room.banned.add(user)
        broadcast.after_commit(broadcast.user_kicked, user_id=user.pk, room_id=room.pk)
    return user
