"""Writes to rooms and moderation (sync ORM; async callers wrap them with
database_sync_to_async). Views, consumers and the admin call these; none of
them holds a rule of its own. Storing messages: chat.store and chat.sending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.usernames import users_named
from chat import broadcast, invites, memberships, seqs
from chat.models import (
    DIRECT_SLUG_RE,
    Membership,
    Mention,
    Message,
    MessageEdit,
    Reaction,
    Room,
    RoomKind,
    slug_validator,
)
from protocol.limits import (
    MAX_ROOM_DESCRIPTION,
    MAX_ROOM_NAME,
    MAX_SLUG,
    has_surrogates,
)

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
                deleted=True, body="", search_terms="", mentions=[], rev=rev
            ):
                raise Unchanged
            MessageEdit.objects.filter(message_id=message.pk).delete()
            Reaction.objects.filter(message_id=message.pk).delete()
            Mention.objects.filter(message_id=message.pk).delete()
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
    """The users these typed names name, case-insensitively, each once;
    ValidationError names the unknown ones."""
    wanted = list(dict.fromkeys(usernames))
    users = users_named(wanted)
    unknown = [name for name in wanted if name not in users]
    if unknown:
        raise ValidationError(
            {field: [f"No user is named {_shown(n)}." for n in unknown]}
        )
    return list({users[name].pk: users[name] for name in wanted}.values())


def _not_direct(room: Room) -> None:
    if room.kind == RoomKind.DIRECT:
        raise ValidationError(
            {"__all__": ["A direct conversation has no members, bans or name to set."]}
        )


def _clean_text(value: str, field: str, low: int, high: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not low <= len(value) <= high:
        raise ValidationError({field: [f"Use {low} to {high} characters."]})
    if "\x00" in value:
        raise ValidationError({field: ["NUL characters are not allowed."]})
    return value


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
    if slug and DIRECT_SLUG_RE.fullmatch(slug):
        errors["slug"] = ["Addresses like dm-1-2 belong to direct conversations."]
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
    others = [u for u in _users_named(list(members), "members") if u.pk != owner.pk]
    kind = RoomKind.PRIVATE if private else RoomKind.PUBLIC
    try:
        with transaction.atomic():
            if Room.objects.filter(slug=slug).exists():
                raise SlugTaken(slug)
            if kind == RoomKind.PRIVATE:
                invites.count_invites(by=owner, users=others, field="members")
            room = Room.objects.create(slug=slug, name=name, kind=kind, owner=owner)
            for user in (owner, *others):
                Membership.objects.create(room=room, user=user)
    except IntegrityError:
        # Two creators raced for one slug and the unique index chose.
        if Room.objects.filter(slug=slug).exists():
            raise SlugTaken(slug) from None
        raise
    return room


def room_add_member(*, room: Room, by, username: str) -> Room:
    """Owner or staff adds `username` as a member (lifting a ban on them).
    Others may add a user to only so many private rooms (chat.invites)."""
    _not_direct(room)
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may add members.")
    (user,) = _users_named([username], "username")
    with transaction.atomic():
        room.banned.remove(user)
        if room.kind == RoomKind.PRIVATE and not memberships.is_member(
            room=room, user=user
        ):
            invites.count_invites(by=by, users=[user], field="username")
        memberships.add(room=room, user=user)
    return room


def room_ban(*, room: Room, by, username: str) -> User:
    """Owner or staff bans `username`: no longer a member, cannot enter, and
    their open sockets to the room close with 4403 once this commits."""
    _not_direct(room)
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


def room_update(
    *, room: Room, by, name: str | None = None, description: str | None = None
) -> Room:
    """Owner or staff renames the room or changes its description; the room
    and its members' site sockets get `room.updated` once it commits."""
    _not_direct(room)
    if not can_moderate(room, by):
        raise PermissionDenied("Only the room's owner or staff may change it.")
    fields = []
    if name is not None:
        room.name = _clean_text(name, "name", 1, MAX_ROOM_NAME)
        fields.append("name")
    if description is not None:
        room.description = _clean_text(
            description, "description", 0, MAX_ROOM_DESCRIPTION
        )
        fields.append("description")
    if fields:
        with transaction.atomic():
            room.save(update_fields=fields)
            broadcast.after_commit(
                broadcast.room_updated,
                room_id=room.pk,
                slug=room.slug,
                name=room.name,
                description=room.description,
            )
    return room
