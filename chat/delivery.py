"""Live messages in seq order, each exactly once.

Messages are stored in seq order but broadcast by whichever process stored
them, so two messages can reach a process in the other order, and the pub/sub
layer is at-most-once across a Redis reconnect. A client must see seq grow by
exactly one (PROTOCOL.md, Delivery semantics), so the server repairs here
rather than making every client repair: an early message waits up to
GAP_WAIT for the ones before it, then the missing ones are read from the
database, where they already are (stored before broadcast).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

from chat import selectors
from chat.models import Room
from chat.serializers import message_dict
from protocol import wire

GAP_WAIT = 1.0  # seconds an early message waits for the ones before it
MAX_PENDING = 500  # early messages held before repairing at once


def room_last_seq(*, room: Room) -> int:
    """The room's newest seq, read now (not the cached model field)."""
    return Room.objects.values_list("last_seq", flat=True).get(pk=room.pk)


def room_heads(*, room_ids: list[int]) -> dict[int, int]:
    """Each room's newest seq, read now, in one query."""
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))


class OrderedDelivery:
    """Calls `send(seq, frame)` for seq last_seq + 1, + 2, … in order."""

    def __init__(
        self,
        *,
        room: Room,
        last_seq: int,
        send: Callable[[int, str], Awaitable[None]],
    ) -> None:
        self.room = room
        self.last_seq = last_seq
        self._send = send
        self._pending: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._repair_task: asyncio.Task | None = None
        self._head = 0  # the stored head at the previous note_head()

    async def deliver(self, seq: int, frame: str) -> None:
        async with self._lock:
            if seq <= self.last_seq or seq in self._pending:
                return  # already sent (history overlap, or a duplicate)
            if seq != self.last_seq + 1:
                self._pending[seq] = frame
                if len(self._pending) > MAX_PENDING:
                    await self._repair_locked()
                elif self._timer is None:
                    self._timer = asyncio.get_running_loop().call_later(
                        GAP_WAIT, self._start_repair
                    )
                return
            await self._send(seq, frame)
            self.last_seq = seq
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        while (seq := self.last_seq + 1) in self._pending:
            await self._send(seq, self._pending.pop(seq))
            self.last_seq = seq
        if not self._pending:
            self._cancel_timer()

    async def note_head(self, head: int) -> None:
        """The room's stored head, every few seconds (realtime.canary): a
        seq stored a whole period ago that has still not arrived was lost
        on its way (a gap at the end, which no later message reveals), so
        it is read back. A message still in flight is not read at all."""
        lost, self._head = self._head, head
        if lost > self.last_seq:
            async with self._lock:
                await self._repair_locked(lost)

    def _start_repair(self) -> None:
        self._timer = None
        self._repair_task = asyncio.ensure_future(self.repair())

    async def repair(self) -> None:
        async with self._lock:
            await self._repair_locked()

    async def _repair_locked(self, head: int = 0) -> None:
        self._cancel_timer()
        target = max(head, *self._pending) if self._pending else head
        if target <= self.last_seq:
            return
        missing, _ = await database_sync_to_async(selectors.message_history)(
            # Bounded: the rest comes on the next repair.
            room=self.room,
            after=self.last_seq,
            limit=min(target - self.last_seq, MAX_PENDING),
        )
        for message in missing:
            if message.seq != self.last_seq + 1:
                break  # not stored yet: keep waiting for it
            frame = self._pending.pop(message.seq, None) or wire.message(
                message_dict(message)
            )
            await self._send(message.seq, frame)
            self.last_seq = message.seq
        await self._flush_locked()
        if self._pending and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                GAP_WAIT, self._start_repair
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def cancel(self) -> None:
        self._cancel_timer()
        if self._repair_task is not None and not self._repair_task.done():
            self._repair_task.cancel()
