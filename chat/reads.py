"""Read markers (PROTOCOL.md 1.1, Read markers and unread counts): the `read`
frame and POST …/read/ move a member's marker, never back, never past the
room's newest seq; every socket of the user hears the new state.

Sending moves the sender's marker too, in the transaction that stores the
message (chat.store), and chat.activity announces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import PositiveBigIntegerField, Subquery, Value
from django.db.models.functions import Least

from chat import roomviews
from chat.models import Membership, Room
from protocol import wire
from protocol.limits import MAX_INT64
from realtime.user_events import send_frame


@dataclass(frozen=True, slots=True)
class ReadState:
    room: str  # slug
    last_read: int
    unread: int
    mentions: int

    def frame(self) -> str:
        return wire.read(
            room=self.room,
            last_read=self.last_read,
            unread=self.unread,
            mentions=self.mentions,
        )


def mark_read(*, room: Room, user, seq: int) -> tuple[ReadState, bool] | None:
    """Move the user's marker in `room` to max(marker, min(seq, last_seq));
    (the state now, whether it moved), or None when the user is not a member.
    One UPDATE decides, so two tabs reading at once never move it back."""
    head = Subquery(Room.objects.filter(pk=room.pk).values("last_seq")[:1])
    target = Least(
        Value(min(int(seq), MAX_INT64), output_field=PositiveBigIntegerField()),
        head,
        output_field=PositiveBigIntegerField(),
    )
    moved = Membership.objects.filter(
        room_id=room.pk, user_id=user.pk, last_read__lt=target
    ).update(last_read=target)
    state = read_state(room=room, user=user)
    return None if state is None else (state, bool(moved))


def read_state(*, room: Room, user) -> ReadState | None:
    """The member's marker and counts in `room`; None for a non-member."""
    view = roomviews.room_view(room.pk, user)
    if view is None or view.membership_id is None:
        return None
    unread, mentions = roomviews.unread_of(view)
    return ReadState(room.slug, view.my_last_read, unread, mentions)


async def announce(user_id: int, state: ReadState) -> None:
    """The `read` frame to every socket of the user, on every process."""
    await send_frame(user_id, state.frame())
