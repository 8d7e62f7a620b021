"""Redis commands of concurrent callers, sent together in one pipeline.

A reconnect storm makes hundreds of sockets register at once: each with its
own pipeline, every one pays redis-py's per-pipeline work and a round trip,
and all of them open connections of their own. Here a call waits in the
running loop's batch; the batch goes out when the loop gets to it, and what
arrives while it is in flight goes in the next one (as chat.ingest batches
database writes). A quiet process sends at once; a busy one sends one
pipeline for many callers.

Scripts go out as EVALSHA directly. redis-py's Script objects in a pipeline
send SCRIPT EXISTS first (one more round trip per pipeline); here a script
is loaded only when Redis answers NOSCRIPT (a new or restarted Redis), and
the commands that got that answer are sent again: NOSCRIPT means they did
not run.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import NoScriptError

from realtime import roundtrip
from realtime.redis_clients import get_redis


@dataclass(frozen=True)
class Lua:
    """A Lua script, called by its SHA1."""

    text: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.text.encode()).hexdigest())


@dataclass(slots=True)
class _Call:
    script: Lua | None  # None: a plain command, args[0] its name
    keys: Sequence[str]
    args: Sequence[Any]
    future: asyncio.Future
    # A read whose answer every caller of the same batch may share: it goes
    # after the batch's writes, once per distinct command.
    shared: bool = False

    def key(self) -> tuple:
        return (self.script, tuple(self.keys), tuple(self.args))


class Batch:
    """The pending calls of one event loop, and the task sending them."""

    def __init__(self) -> None:
        self.pending: list[_Call] = []
        self.task: asyncio.Task | None = None

    async def flush(self) -> None:
        try:
            while self.pending:
                calls, self.pending = self.pending, []
                await self._send(calls)
        finally:
            # No await between the loop's last check and here: a new call
            # either finds this task running or starts another.
            self.task = None

    async def _send(self, calls: list[_Call]) -> None:
        writes = [c for c in calls if not c.shared]
        reads: dict[tuple, list[_Call]] = {}
        for call in calls:
            if call.shared:
                reads.setdefault(call.key(), []).append(call)
        order = writes + [group[0] for group in reads.values()]
        try:
            results = await _execute(order)
        except Exception as error:
            for call in calls:
                if not call.future.done():
                    call.future.set_exception(error)
            return
        answers = dict(zip(map(id, order), results, strict=True))
        for group in reads.values():
            for call in group[1:]:
                answers[id(call)] = answers[id(group[0])]
        for call in calls:
            if call.future.done():
                continue  # the caller was cancelled; the command ran anyway
            result = answers[id(call)]
            if isinstance(result, Exception):
                call.future.set_exception(result)
            else:
                call.future.set_result(result)


async def _execute(calls: list[_Call]) -> list[Any]:
    client = get_redis()
    results = await _pipeline(client, calls)
    failed = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
    if failed:
        for script in {calls[i].script for i in failed}:
            await client.script_load(script.text)
        again = await _pipeline(client, [calls[i] for i in failed])
        for i, result in zip(failed, again, strict=True):
            results[i] = result
    return results


async def _pipeline(client, calls: list[_Call]) -> list[Any]:
    return await roundtrip.line(client).run([_command(call) for call in calls])


def _command(call: _Call) -> tuple:
    if call.script is None:
        return tuple(call.args)
    return ("EVALSHA", call.script.sha, len(call.keys), *call.keys, *call.args)


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batch] = (
    weakref.WeakKeyDictionary()
)


def _submit(call: _Call) -> asyncio.Future:
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = Batch()
    batch.pending.append(call)
    if batch.task is None:
        batch.task = loop.create_task(batch.flush())
    return call.future


# Plain functions returning the call's future, not coroutines: a heartbeat
# gathers thousands of calls, and asyncio.gather wraps each coroutine in a
# Task of its own (about 1 KB and a loop turn each); a future it awaits as is.


def script(lua: Lua, keys: Sequence[str], args: Sequence[Any]) -> asyncio.Future:
    """Run `lua` with KEYS and ARGV in the loop's next pipeline; await it
    for its result (a Redis error is raised)."""
    loop = asyncio.get_running_loop()
    return _submit(_Call(lua, keys, args, loop.create_future()))


def command(*args: Any, shared: bool = False) -> asyncio.Future:
    """One Redis command in the loop's next pipeline, queued at once, in
    call order. `shared`: a read that may run after the batch's writes and be
    answered once for every caller that asks the same."""
    loop = asyncio.get_running_loop()
    return _submit(_Call(None, (), args, loop.create_future(), shared))


def shared_script(lua: Lua, keys: Sequence[str], args: Sequence[Any]) -> asyncio.Future:
    """`script`, for a script whose effect and answer every caller of the
    same batch may share (a sweep followed by a read): once per batch."""
    loop = asyncio.get_running_loop()
    return _submit(_Call(lua, keys, args, loop.create_future(), True))


def slices(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """`items` a bounded pipeline's worth at a time. A heartbeat of 10,000
    sockets in one pipeline would hold 20,000 calls waiting at once, and
    the memory they took at their peak stays with the process."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
