"""Reactions (PROTOCOL 1.1): one user's emoji on a message, added or removed
idempotently, at most MAX_REACTIONS distinct emoji a message. Each change
takes the room's next rev in its transaction, and the room gets a
`reaction` frame once it commits; a change that changes nothing stores and
sends nothing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from chat import seqs
from chat.models import Message, Reaction, Room
from chat.services import Unchanged
from protocol import wire
from protocol.limits import MAX_REACTIONS, emoji_problem


class TooManyReactions(Exception):
    """The message has MAX_REACTIONS distinct emoji already."""


def reaction_change(
    *, room: Room, user, message_id: int, emoji: str, added: bool
) -> str | None:
    """Add (added=True) or remove `user`'s `emoji` on message `message_id` of
    `room`; the `reaction` frame to broadcast, or None when nothing changed.

    Message.DoesNotExist: no such message in the room, or a deleted one.
    TooManyReactions: adding a 21st distinct emoji. ValueError: not one emoji.
    """
    problem = emoji_problem(emoji)
    if problem is not None:
        raise ValueError(problem)
    try:
        with transaction.atomic():
            # The room's lock first: every change of the room queues here, so
            # the count of distinct emoji below cannot change before the
            # insert (and the unique constraint guards the row itself).
            rev = seqs.next_rev(room.pk)
            message = (
                Message.objects.filter(pk=message_id, room_id=room.pk, deleted=False)
                .only("pk", "seq")
                .first()
            )
            if message is None:
                raise Message.DoesNotExist(message_id)
            rows = Reaction.objects.filter(message_id=message.pk)
            if added:
                _add(rows, message, user, emoji)
            elif not rows.filter(user_id=user.pk, emoji=emoji).delete()[0]:
                raise Unchanged
            Message.objects.filter(pk=message.pk).update(rev=rev)
    except Unchanged:
        return None
    return wire.reaction(
        room=room.slug,
        id=message.pk,
        seq=message.seq,
        emoji=emoji,
        user=user.ref(),
        added=added,
        rev=rev,
    )


def _add(rows, message: Message, user, emoji: str) -> None:
    present = set(rows.values_list("emoji", flat=True).distinct())
    if emoji not in present and len(present) >= MAX_REACTIONS:
        raise TooManyReactions
    try:
        with transaction.atomic():
            Reaction.objects.create(message=message, user=user, emoji=emoji)
    except IntegrityError:
        raise Unchanged from None  # the user had added it already
