"""Rooms as one viewer sees them (PROTOCOL.md 1.1, Room): kind, membership,
read marker, unread and mention counts, mute, the peer of a direct room.
Any number of rooms in two queries: the rooms with the viewer's membership
joined and their counts as correlated subqueries, then the peers.

Unread is arithmetic, not a count of rows: the room's newest seq minus the
marker, minus the deleted messages past the marker (a partial index holds
only deleted messages). A member's own messages are never past their marker:
storing one moves the marker in the same transaction (chat.store). So a
room list costs O(rooms), whatever the number of unread messages.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from chat.models import Mention, Message, Room, RoomKind, direct_pair
from protocol.wire import RoomDict


def _count(rows: QuerySet) -> Coalesce:
    counted = rows.order_by().values("room_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1]), 0)


def annotated(user) -> QuerySet[Room]:
    """Rooms with the viewer's membership (membership_id None: not a member),
    read marker, mute flag, deleted messages past the marker, unread
    mentions, and whether the viewer is banned."""
    rooms = (
        Room.objects.select_related("owner")
        .annotate(
            mine=FilteredRelation("memberships", condition=Q(memberships__user=user.pk))
        )
        .annotate(
            membership_id=F("mine__id"),
            my_last_read=F("mine__last_read"),
            my_muted=F("mine__muted"),
            is_banned=Exists(
                Room.banned.through.objects.filter(room_id=OuterRef("pk"), user=user.pk)
            ),
        )
    )
    past_marker = {"room_id": OuterRef("pk"), "seq__gt": OuterRef("my_last_read")}
    return rooms.annotate(
        deleted_unread=_count(Message.objects.filter(deleted=True, **past_marker)),
        unread_mentions=_count(Mention.objects.filter(user=user.pk, **past_marker)),
    )


def visible_rooms(user) -> list[Room]:
    """Public rooms and every room the viewer is a member of, never one they
    are banned from; by name. Two queries however many rooms."""
    rooms = list(
        annotated(user)
        .filter(Q(kind=RoomKind.PUBLIC) | Q(membership_id__isnull=False))
        .exclude(is_banned=True)
        .order_by("name", "slug")
    )
    attach_peers(rooms, user)
    return rooms


def room_view(room_id: int, user) -> Room | None:
    """One room, annotated for the viewer (None: it is gone)."""
    room = annotated(user).filter(pk=room_id).first()
    if room is not None:
        attach_peers([room], user)
    return room


def attach_peers(rooms: list[Room], user) -> None:
    """`room.peer`: the other user of a direct room (the viewer in one with
    themself), None for other rooms. One query for all of them."""
    wanted: dict[int, int] = {}
    for room in rooms:
        pair = direct_pair(room.slug) if room.kind == RoomKind.DIRECT else None
        if pair is not None:
            wanted[room.pk] = pair[1] if pair[0] == user.pk else pair[0]
    found = get_user_model().objects.in_bulk(set(wanted.values())) if wanted else {}
    for room in rooms:
        room.peer = found.get(wanted.get(room.pk))


def unread_of(room: Room) -> tuple[int, int]:
    """(unread, mentions) of an annotated room for its viewer."""
    if room.membership_id is None:
        return 0, 0
    unread = room.last_seq - room.my_last_read - room.deleted_unread
    return max(0, unread), room.unread_mentions


def room_dict(room: Room, online: int) -> RoomDict:
    """PROTOCOL.md Room of an annotated room; `online` comes from
    presence.api.room_online_counts."""
    member = room.membership_id is not None
    unread, mentions = unread_of(room)
    return {
        "slug": room.slug,
        "name": room.name,
        "private": room.private,
        "owner": room.owner.ref() if room.owner is not None else None,
        "online": online,
        "kind": room.kind,
        "description": room.description,
        "member": member,
        "last_seq": room.last_seq,
        "last_read": room.my_last_read if member else 0,
        "unread": unread,
        "mentions": mentions,
        "muted": bool(room.my_muted) if member else False,
        "peer": room.peer.ref() if getattr(room, "peer", None) is not None else None,
    }
