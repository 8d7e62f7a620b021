"""Membership rows and room changes that live sockets must hear, however
they were made (a service, the admin, `room.members.add()`), once they
commit:

    membership created   room.added to the user's site sockets
    membership deleted   room.removed to them; for a room that is not
                         public, the room's sockets check who may stay
    room saved           the room's sockets check who may stay (its kind
                         may have changed: a public room made private)
    user created         a member of `general` (PROTOCOL.md 1.1)
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from chat import activity, broadcast, memberships
from chat.models import Membership, Room, RoomKind


@receiver(post_save, sender=Membership, dispatch_uid="chat.live.membership_saved")
def _membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        broadcast.after_commit(
            activity.member_added, room_id=instance.room_id, user_id=instance.user_id
        )


@receiver(m2m_changed, sender=Room.members.through, dispatch_uid="chat.live.m2m")
def _members_added(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    # room.members.add() bulk-creates rows without post_save; its removals
    # delete rows one by one, which post_delete below hears.
    if action != "post_add" or not pk_set:
        return
    for pk in pk_set:
        room_id, user_id = (pk, instance.pk) if reverse else (instance.pk, pk)
        broadcast.after_commit(activity.member_added, room_id=room_id, user_id=user_id)


@receiver(post_delete, sender=Membership, dispatch_uid="chat.live.membership_gone")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    try:
        room = instance.room
    except Room.DoesNotExist:
        return  # the room itself is being deleted
    broadcast.after_commit(
        activity.member_removed,
        room_id=room.pk,
        slug=room.slug,
        user_id=instance.user_id,
    )
    if room.kind != RoomKind.PUBLIC:
        broadcast.after_commit(broadcast.room_recheck, room_id=room.pk)


@receiver(post_save, sender=Room, dispatch_uid="chat.live.room_saved")
def _room_saved(sender, instance: Room, created: bool, **kwargs) -> None:
    fields = kwargs.get("update_fields")
    if not created and (fields is None or "kind" in fields):
        broadcast.after_commit(broadcast.room_recheck, room_id=instance.pk)


@receiver(post_save, sender=User, dispatch_uid="chat.live.user_created")
def _user_created(sender, instance: User, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        memberships.join_general(instance)
