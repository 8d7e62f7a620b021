"""Editing a message (PROTOCOL 1.1, Edits, reactions and the room revision).

Only the author edits, a message of the room that is not deleted; the body
follows message.send's rules (protocol.limits). The previous version is kept
(MessageEdit), the message takes the room's next rev in the same
transaction, and the room gets `message.edited` once it commits. The same
body again stores nothing and sends nothing. Mentions are found again by
the rule of a new message (chat.mentions): a user the edit newly mentions
gets `mention`, one it no longer mentions loses the unread mention.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chat import activity, mentions, selectors, seqs
from chat.broadcast import after_commit
from chat.models import Mention, Message, MessageEdit, Room
from chat.search.terms import document
from chat.serializers import message_dict
from chat.services import Unchanged
from protocol import wire
from protocol.limits import body_problem


def _reindex_mentions(message: Message, before: list[int]) -> list[int]:
    """Keep the Mention rows (unread-mention counts) in step with the edited
    body's mentions; the users it mentions now and did not before."""
    gone = set(before) - set(message.mentions)
    if gone:
        Mention.objects.filter(message=message, user_id__in=gone).delete()
    # The rows a new message with this body would get, less those it had.
    rows = [row for row in mentions.index_rows([message]) if row.user_id not in before]
    Mention.objects.bulk_create(rows, ignore_conflicts=True)
    return [row.user_id for row in rows]


def message_edit(*, room: Room, user, message_id: int, body: str) -> str | None:
    """Store an edit by `user` of message `message_id` in `room`; the
    `message.edited` frame to broadcast, or None when the body is unchanged.

    Message.DoesNotExist: no such message in the room, or a deleted one.
    PermissionDenied: `user` is not its author. ValueError: a body that
    message.send would refuse (the frame parser refuses it first)."""
    problem = body_problem(body)
    if problem is not None:
        raise ValueError(problem[1])
    try:
        with transaction.atomic():
            # The room's lock first (every change of the room takes it):
            # from here the message cannot change under this transaction.
            rev = seqs.next_rev(room.pk)
            message = (
                Message.objects.select_related("room", "author")
                .filter(pk=message_id, room_id=room.pk, deleted=False)
                .first()
            )
            if message is None:
                raise Message.DoesNotExist(message_id)
            if message.author_id != user.pk:
                raise PermissionDenied("Only the author may edit a message.")
            if message.body == body:
                raise Unchanged
            now = timezone.now()
            MessageEdit.objects.create(
                message=message,
                body=message.body,
                at=message.edited_at or message.created_at,
            )
            before = list(message.mentions)
            message.body = body
            message.edited_at = now
            message.rev = rev
            message.search_terms = document(body)
            # The same rule as a new message (PROTOCOL 1.1: an edit that adds
            # a mention sends `mention`; one that drops it lowers the count).
            (message.mentions,) = mentions.resolve([(room, body)])
            message.save(
                update_fields=["body", "edited_at", "rev", "search_terms", "mentions"]
            )
            added = _reindex_mentions(message, before)
            if added:
                frame = wire.mention(room=room.slug, message=message_dict(message))
                after_commit(activity.mention_added, user_ids=added, frame=frame)
    except Unchanged:
        return None
    return wire.message_edited(
        id=message.pk,
        seq=message.seq,
        room=room.slug,
        body=message.body,
        edited_at=wire.timestamp(now),
        mentions=list(message.mentions),
        rev=rev,
    )


def message_versions(*, message_id: int, user) -> list[dict]:
    """Every version of a message, oldest first: the original, then each
    edit, as {"body", "at"}. Message.DoesNotExist when it is deleted, or in
    a room `user` cannot open (it looks missing); selectors.RoomForbidden
    when the user is banned from its room."""
    message = Message.objects.select_related("room").filter(pk=message_id).first()
    if message is None or message.deleted:
        raise Message.DoesNotExist(message_id)
    try:
        selectors.room_for_user(slug=message.room.slug, user=user)
    except selectors.RoomNotFound:
        raise Message.DoesNotExist(message_id) from None
    versions = [
        {"body": body, "at": wire.timestamp(at)}
        for body, at in message.edits.order_by("id").values_list("body", "at")
    ]
    versions.append(
        {
            "body": message.body,
            "at": wire.timestamp(message.edited_at or message.created_at),
        }
    )
    return versions
