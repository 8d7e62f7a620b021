"""Rooms and messages as the wire dicts of PROTOCOL.md (protocol.wire).

Sockets, the JSON API and the admin describe rooms and messages through
these functions, so a field can only ever be spelt one way.
"""

from __future__ import annotations

from chat.models import Message
from protocol.wire import MessageDict, ReactionDict, timestamp


def reaction_summary(rows) -> list[ReactionDict]:
    """PROTOCOL 1.1 Message.reactions from one message's Reaction rows in id
    order: each emoji once, in the order it was first added."""
    by_emoji: dict[str, list[int]] = {}
    for row in rows:
        by_emoji.setdefault(row.emoji, []).append(row.user_id)
    return [
        {"emoji": emoji, "count": len(users), "users": users}
        for emoji, users in by_emoji.items()
    ]


def _reactions(message: Message) -> list[ReactionDict]:
    if message.deleted:
        return []
    rows = getattr(message, "reaction_rows", None)
    if rows is None:
        # Not loaded by chat.reactions.attach (one query for many messages).
        rows = message.reactions.order_by("id")
    return reaction_summary(rows)


def message_dict(message: Message) -> MessageDict:
    """PROTOCOL.md Message (the `message` frame without `type`).

    Reads message.room and message.author: load them with select_related
    (or through room.messages, which caches the room) to avoid a query each;
    and its reactions: load them for many messages with
    chat.reactions.attach, or a query each is made here.
    """
    return {
        "id": message.pk,
        "seq": message.seq,
        "room": message.room.slug,
        "user": message.author.ref(),
        # A tombstone's body is stored empty already; "" here as well keeps
        # the promise even for a row edited by hand.
        "body": "" if message.deleted else message.body,
        "created_at": timestamp(message.created_at),
        "client_id": message.client_id,
        "deleted": message.deleted,
        "edited_at": timestamp(message.edited_at) if message.edited_at else None,
        "rev": message.rev,
        "reactions": _reactions(message),
        "mentions": [] if message.deleted else list(message.mentions),
    }
