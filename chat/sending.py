"""Sending a message: the rule of PROTOCOL.md's `message.send`, as one
service the room socket calls; and the same order (rate limit, store,
broadcast) for edits and reactions, which share the user's rate limit.

1. The user's rate limit (CHAT_RATE_LIMIT, across processes: chat.ratelimit).
2. An idempotent retry (the same client_id again) is free: never rate
   limited, never stored twice; the sender alone gets the stored message.
3. Stored first (chat.ingest batches the process's pending sends into one
   transaction), broadcast second (chat.broadcast): whatever a client is
   shown is in history.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import DataError

from chat import broadcast, ingest, ratelimit, selectors
from chat.models import Room
from chat.serializers import message_dict
from protocol import wire
from realtime import metrics
from realtime.failures import Unavailable
from realtime.outbox import DEFERRED, send_or_later


class RateLimited(Exception):
    """Over CHAT_RATE_LIMIT, and not a retry of a stored message."""


class RoomGone(Exception):
    """The room was deleted under its sockets."""


@dataclass(frozen=True, slots=True)
class Sent:
    frame: str  # the `message` frame
    # False: an idempotent retry; nothing was broadcast, so the sender gets
    # `frame` itself. True: the room (sender included) gets it by broadcast.
    created: bool


async def message_send(*, room: Room, author, body: str, client_id: str | None) -> Sent:
    """Store and broadcast one message; RateLimited or ValueError (a body
    the store refuses) otherwise, with nothing stored and no token spent."""
    token = await ratelimit.acquire(author.id)
    if token is None:
        # An idempotent retry is never rate limited: look for it first.
        stored = client_id and await database_sync_to_async(
            selectors.message_for_client_id
        )(author=author, client_id=client_id)
        if not stored:
            raise RateLimited
        return Sent(wire.message(message_dict(stored)), created=False)
    try:
        # Returns a stored retry itself (created=False): no look-up first.
        message, created = await ingest.submit(
            room=room, author=author, body=body, client_id=client_id
        )
    except Room.DoesNotExist:
        raise RoomGone(room.slug) from None
    except DataError as error:  # refused by this database alone
        await _release(author.id, token)
        raise ValueError("The database refused this message.") from error
    except BaseException:
        await _release(author.id, token)  # nothing was stored
        raise
    if not created:
        await _release(author.id, token)  # a retry does not count
        return Sent(wire.message(message_dict(message)), created=False)
    metrics.MESSAGES_STORED.inc()
    # Stored: if Redis is away the outbox broadcasts it once Redis is back
    # (and the room's relays repair the gap by seq meanwhile); the sender is
    # told `unavailable` and a retry with its client_id gets the message.
    frame = await send_or_later(broadcast.message_created, message=message)
    if frame is DEFERRED:
        raise Unavailable("stored, broadcast delayed")
    metrics.MESSAGES_BROADCAST.inc()
    return Sent(frame, created=True)


async def _release(user_id: int, token: str) -> None:
    with contextlib.suppress(Exception):  # Redis down: the token just ages out
        await ratelimit.release(user_id, token)


async def message_change(*, room: Room, user, change: Callable[[], str | None]) -> None:
    """An edit or reaction change (PROTOCOL 1.1): within the user's
    CHAT_RATE_LIMIT (RateLimited otherwise, nothing stored), `change` runs on
    the database thread and its frame, when it changed something, goes to
    the room. Whatever `change` raises reaches the caller."""
    if await ratelimit.acquire(user.id) is None:
        raise RateLimited
    frame = await database_sync_to_async(change)()
    if frame is not None:
        # Committed: with Redis away the outbox sends it once Redis answers.
        sent = await send_or_later(
            broadcast.message_changed, room_id=room.pk, frame=frame
        )
        if sent is DEFERRED:
            raise Unavailable("changed, broadcast delayed")
