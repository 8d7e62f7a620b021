"""Direct conversations (PROTOCOL.md 1.1, Direct messages): one room per pair
of users, slug dm-<a>-<b> (a <= b their ids), kind `direct`, no owner.

Created once whoever asks first, by the slug's unique constraint rather than
a look-up: of two requests at once, from either side, one inserts and the
other's insert fails, after which it reads the room the first one made.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.usernames import users_named
from chat.models import Membership, Room, RoomKind, direct_slug
from protocol.limits import MAX_ROOM_NAME


def _peer(username: str):
    user = users_named([username], active=True).get(username)
    if user is None:
        shown = username if len(username) <= 40 else username[:40] + "…"
        raise ValidationError({"username": [f"No active user is named {shown!r}."]})
    return user


def direct_room(*, user, username: str) -> tuple[Room, bool]:
    """The direct room of `user` and the user named `username` (oneself
    allowed), and whether this call created it. ValidationError({"username"})
    for an unknown or inactive user."""
    other = _peer(username)
    slug = direct_slug(user.pk, other.pk)
    pair = sorted({user.pk: user, other.pk: other}.items())
    name = ", ".join(u.username for _, u in pair)[:MAX_ROOM_NAME]
    try:
        with transaction.atomic():
            room = Room.objects.create(slug=slug, name=name, kind=RoomKind.DIRECT)
            for _, member in pair:
                Membership.objects.create(room=room, user=member)
        return room, True
    except IntegrityError:
        pass
    room = Room.objects.filter(slug=slug).first()
    if room is None or room.kind != RoomKind.DIRECT:
        # A room made before 1.1 took the address; nothing to do but say so.
        raise ValidationError(
            {"username": ["A conversation with this user cannot be opened."]}
        ) from None
    for _, member in pair:
        # Both stay members of their conversation, whatever the admin did.
        Membership.objects.get_or_create(room=room, user=member)
    return room, False
