"""Storing messages, batched across rooms while the database is busy.

Every ORM call of a process runs on one thread (database_sync_to_async is
thread-sensitive), so a transaction per message, or per room, caps a busy
process at what one thread can commit: on PostgreSQL each commit is a few
round trips and a WAL flush (bench/RESULTS.md, scenario 7). Here a message
goes to the database at once when the process's writer is idle; those that
arrive while it writes wait, and go together in the next transaction
(store.messages_create), whatever their rooms. A quiet process sees no
added latency; a busy one commits many messages at the cost of one. Seqs
stay contiguous: each room takes a block of consecutive seqs under its lock.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.db import database_sync_to_async

from chat import store
from chat.models import Message, Room
from realtime import metrics

MAX_BATCH = 200


class Writer:
    """This process's one writer (per event loop)."""

    def __init__(self) -> None:
        self.pending: list[tuple[store.Draft, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def flush(self) -> None:
        while self.pending:
            batch = self.pending[:MAX_BATCH]
            del self.pending[:MAX_BATCH]
            try:
                with metrics.DB_SECONDS.time():
                    results = await database_sync_to_async(store.messages_create)(
                        [draft for draft, _ in batch]
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
        # finds this task running or starts a new one.
        self.task = None


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Writer]
_writers = weakref.WeakKeyDictionary()


DRAIN_LIMIT = 30.0  # seconds a stopping server waits for its last writes


async def drain() -> None:
    """Wait until the running loop's writer has stored everything submitted
    (the server is stopping: realtime.lifespan)."""
    writer = _writers.get(asyncio.get_running_loop())
    if writer is not None and writer.task is not None:
        await asyncio.wait_for(asyncio.shield(writer.task), DRAIN_LIMIT)


async def submit(
    *, room: Room, author, body: str, client_id: str | None
) -> tuple[Message, bool]:
    """store.message_create, batched with the process's other pending sends."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = Writer()
    future = loop.create_future()
    writer.pending.append((store.Draft(room, author, body, client_id), future))
    if writer.task is None:
        writer.task = loop.create_task(writer.flush())
    # shield: a socket that closes while waiting must not lose the result
    # for the batch; the message is stored either way.
    return await asyncio.shield(future)
