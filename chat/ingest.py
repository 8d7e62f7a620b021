"""Storing messages, batched per room while the database is busy.

Every ORM call of a process runs on one thread (database_sync_to_async is
thread-sensitive), so one transaction per message caps a busy process at
what one thread can commit (bench/RESULTS.md, scenario 7). Here the first
message of a room goes to the database at once; those that arrive while it
is being written wait, and go together in the next transaction
(services.messages_create). A quiet room sees no added latency; a busy one
commits many messages at the cost of one. Seqs stay contiguous: each
transaction takes a block of consecutive seqs under the room's lock.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.db import database_sync_to_async

from chat import services
from chat.models import Message, Room

MAX_BATCH = 100


class RoomWriter:
    def __init__(self, room: Room) -> None:
        self.room = room
        self.pending: list[tuple[services.Draft, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def flush(self, writers: dict[int, RoomWriter]) -> None:
        while self.pending:
            batch = self.pending[:MAX_BATCH]
            del self.pending[:MAX_BATCH]
            try:
                results = await database_sync_to_async(services.messages_create)(
                    room=self.room, drafts=[draft for draft, _ in batch]
                )
            except Exception as error:
                results = [error] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        # No await between the loop's last check and here: a submit either
        # found this task running or finds no writer and makes a new one.
        if writers.get(self.room.pk) is self:
            del writers[self.room.pk]


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, RoomWriter]]
_writers = weakref.WeakKeyDictionary()


async def submit(
    *, room: Room, author, body: str, client_id: str | None
) -> tuple[Message, bool]:
    """services.message_create, batched with the room's other pending sends."""
    loop = asyncio.get_running_loop()
    writers = _writers.setdefault(loop, {})
    writer = writers.get(room.pk)
    if writer is None:
        writer = writers[room.pk] = RoomWriter(room)
    future = loop.create_future()
    writer.pending.append((services.Draft(author, body, client_id), future))
    if writer.task is None:
        writer.task = loop.create_task(writer.flush(writers))
    # shield: a socket that closes while waiting must not lose the result
    # for the batch; the message is stored either way.
    return await asyncio.shield(future)
