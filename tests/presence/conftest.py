"""Fixtures of the presence tests: fast timings and channel-layer listeners."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from channels.layers import get_channel_layer

from presence import local
from tests.helpers.presence import HEARTBEAT, TTL


@pytest.fixture
def fast_presence(settings) -> None:
    settings.PRESENCE_TTL = TTL
    settings.PRESENCE_HEARTBEAT = HEARTBEAT


class Listener:
    """A channel-layer channel subscribed to some groups, as a socket would be.

    One task receives for the whole test: the pub/sub layer unsubscribes a
    channel whose receive() is cancelled, so a timeout must not cancel it.
    A presence.changes event (presence.publish) is queued as one event per
    change, {"type": kind, "user": ..., "room_id": ...}, in its order.
    """

    def __init__(self, channel: str) -> None:
        self.layer = get_channel_layer()
        self.channel = channel
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        self.task = asyncio.create_task(self._receive())

    async def _receive(self) -> None:
        while True:
            event = await self.layer.receive(self.channel)
            if event["type"] != "presence.changes":
                self.queue.put_nowait(event)
                continue
            for kind, user in event["changes"]:
                self.queue.put_nowait(
                    {"type": kind, "user": user, "room_id": event["room_id"]}
                )

    async def next(self, timeout: float = 3.0) -> dict:
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def drain(self, quiet: float = 0.3) -> list[dict]:
        """Every event until none has come for `quiet` seconds."""
        events = []
        while True:
            try:
                events.append(await self.next(quiet))
            except TimeoutError:
                return events


@pytest.fixture
async def listen() -> AsyncIterator[Callable]:
    listeners: list[tuple[Listener, tuple[str, ...]]] = []

    async def make(*groups: str) -> Listener:
        layer = get_channel_layer()
        listener = Listener(await layer.new_channel())
        for group in groups:
            await layer.group_add(group, listener.channel)
        listeners.append((listener, groups))
        return listener

    yield make
    for listener, groups in listeners:
        listener.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener.task
        for group in groups:
            await listener.layer.group_discard(group, listener.channel)
    await local.stop()
