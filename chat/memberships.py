"""Joining and leaving rooms, and the mute flag (PROTOCOL.md 1.1,
Memberships). Sync ORM; async callers wrap these with database_sync_to_async.

Whoever becomes or stops being a member hears it on their site sockets
(room.added / room.removed): chat.live turns every Membership row that is
created or deleted, here, in the admin or anywhere, into those events.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from chat import activity, broadcast
from chat.models import Membership, Room, RoomKind

GENERAL = "general"


def _room_head(room: Room) -> int:
    return Room.objects.values_list("last_seq", flat=True).get(pk=room.pk)


def add(*, room: Room, user) -> bool:
    """Make `user` a member (True: they were not one). A new member starts
    with nothing unread: their marker is the room's newest seq."""
    if Membership.objects.filter(room=room, user=user).exists():
        return False
    try:
        with transaction.atomic():
            Membership.objects.create(room=room, user=user, last_read=_room_head(room))
    except IntegrityError:
        return False  # joined at the same moment from elsewhere
    return True


def join(*, room: Room, user) -> bool:
    """The user joins a room they can open: a public one, or one they are a
    member of already (joining twice is fine)."""
    if room.kind != RoomKind.PUBLIC:
        if Membership.objects.filter(room=room, user=user).exists():
            return False
        raise PermissionDenied("Only public rooms can be joined.")
    return add(room=room, user=user)


def leave(*, room: Room, user) -> bool:
    """The user stops being a member (True: they were one). The owner may
    leave and stays the owner. A direct room cannot be left."""
    if room.kind == RoomKind.DIRECT:
        raise ValidationError({"__all__": ["A direct conversation cannot be left."]})
    # One by one, not a queryset delete: chat.live hears each row go.
    removed = False
    for membership in Membership.objects.filter(room=room, user=user):
        membership.room = room
        membership.delete()
        removed = True
    return removed


def set_muted(*, room: Room, user, muted: bool) -> bool:
    """Mute or unmute the room for its member; False when not a member."""
    with transaction.atomic():
        updated = Membership.objects.filter(room=room, user=user).update(
            muted=bool(muted)
        )
        if updated:
            broadcast.after_commit(
                activity.membership_changed,
                user_id=user.pk,
                room_id=room.pk,
                muted=bool(muted),
            )
    return bool(updated)


def is_member(*, room: Room, user) -> bool:
    return Membership.objects.filter(room=room, user=user).exists()


def rooms_of(user_id: int) -> dict[int, bool]:
    """The rooms the user is a member of -> muted: what their site sockets
    follow (chat.site)."""
    return dict(
        Membership.objects.filter(user_id=user_id).values_list("room_id", "muted")
    )


def join_general(user) -> None:
    """Every user is a member of `general` from signup (PROTOCOL.md 1.1)."""
    room = Room.objects.filter(slug=GENERAL).first()
    if room is not None:
        add(room=room, user=user)
