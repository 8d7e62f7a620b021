"""This process's check of its own pub/sub path: no deaf sockets.

A subscriber can go deaf without an error: its connection still open to a
master that was stopped (SIGSTOP, a frozen machine) and replaced by a
failover, or a subscription lost on a reconnect. Nothing in redis-py or
channels_redis notices (centrifugal/centrifugo#1189 saw exactly that in
Sentinel mode). So, every PUBSUB_CANARY_INTERVAL seconds while this loop has
relays, the canary sends itself a message through the channel layer and
waits PUBSUB_CANARY_TIMEOUT seconds for it:

- A miss makes /healthz answer 503 naming `pubsub` (project.health) until a
  round trip succeeds again, so HAProxy sends new sockets elsewhere; and it
  drops the layer's connections, so the next read reconnects to whatever
  master the Sentinels name and re-subscribes every group of this process
  (redis-py re-subscribes a pub/sub connection's channels on connect).
- Every tick runs the hooks registered with `on_tick`: chat.fanout reads
  the rooms' stored heads there, so a message lost in a gap reaches the
  sockets from the database even when no later message shows the gap.

One canary per event loop, like the relays and Redis clients it checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer

from realtime import redis_options
from realtime.conf import canary_interval as interval
from realtime.conf import canary_timeout as timeout
from realtime.redis_clients import get_redis

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]
_hooks: list[Hook] = []


def on_tick(hook: Hook) -> None:
    """Run `hook()` after every canary tick, on every loop (at import time)."""
    if hook not in _hooks:
        _hooks.append(hook)


# A canary late while events keep arriving is a busy loop (its reader is
# behind a backlog), not a deaf one: reconnecting then would break every
# subscription in flight (bench scenario 11 lost 20 handshakes to it). Up to
# this many such ticks in a row are not counted as misses.
BUSY_TICKS = 2

_heard: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, float] = (
    weakref.WeakKeyDictionary()
)


def heard() -> None:
    """A relay of this loop got an event: its pub/sub path delivers."""
    _heard[asyncio.get_running_loop()] = time.monotonic()


class Canary:
    def __init__(self) -> None:
        self.busy = 0  # late ticks in a row while events arrived
        self.healthy = True
        self.task: asyncio.Task | None = None
        self.channel: str | None = None
        self.receiver: asyncio.Task | None = None
        self.waiting: dict[str, asyncio.Future] = {}
        self.misses = 0  # in a row

    async def run(self, keep_running: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        try:
            while keep_running():
                next_at = max(next_at + interval(), loop.time())
                await asyncio.sleep(next_at - loop.time())
                if not keep_running():
                    break
                await self.tick()
        finally:
            await self._drop_channel()
            # No sockets left here: nothing can be deaf, and nothing is known.
            self.healthy, self.misses = True, 0
            if self.task is asyncio.current_task():
                self.task = None

    async def tick(self) -> None:
        layer = get_channel_layer()
        sent_at = time.monotonic()
        if await self._round_trip(layer):
            if not self.healthy:
                logger.warning("Pub/sub canary: back after %d misses.", self.misses)
            self.healthy, self.misses, self.busy = True, 0, 0
        elif self._busy_not_deaf(sent_at):
            logger.info("Pub/sub canary late while events arrive: busy, not deaf.")
            await self._drop_channel()  # a fresh channel for the next try
        else:
            self.busy = 0
            self.misses += 1
            if self.healthy:
                logger.warning("Pub/sub canary missed: reconnecting the layer.")
            self.healthy = False
            await self._drop_channel()
            await reconnect(layer)
        # After the round trip, not before: a reconnect it causes is checked
        # by the next one, not raced by this one. Also after a miss: commands
        # stuck on a stopped master are freed once the Sentinels name another.
        await follow_master(layer)
        for hook in list(_hooks):
            try:
                await hook()
            except Exception as error:
                logger.warning("Canary hook %s failed: %r", hook.__qualname__, error)

    def _busy_not_deaf(self, sent_at: float) -> bool:
        if not self.healthy or self.busy >= BUSY_TICKS:
            return False
        if _heard.get(asyncio.get_running_loop(), 0.0) <= sent_at:
            return False
        self.busy += 1
        return True

    async def _round_trip(self, layer) -> bool:
        token = uuid.uuid4().hex
        arrived = asyncio.get_running_loop().create_future()
        self.waiting[token] = arrived
        try:
            async with asyncio.timeout(timeout()):
                if self.channel is None and _reconnecting(layer):
                    # Subscribing now would connect it a second time, beside
                    # the layer's own reconnect (redis-py allows one reader).
                    return False
                if self.channel is None:
                    self.channel = await layer.new_channel(prefix="canary.")
                    self.receiver = asyncio.ensure_future(self._receive(layer))
                await layer.send(self.channel, {"type": "canary", "token": token})
                await arrived
            return True
        except Exception:  # TimeoutError, or Redis unreachable
            return False
        finally:
            self.waiting.pop(token, None)

    async def _receive(self, layer) -> None:
        # One receive for the channel's life: channels_redis unsubscribes a
        # channel whose receive() is cancelled, so no timeout around it.
        channel = self.channel
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.1)
                continue
            arrived = self.waiting.get(message.get("token"))
            if arrived is not None and not arrived.done():
                arrived.set_result(None)

    async def _drop_channel(self) -> None:
        # A fresh channel after a miss: one whose SUBSCRIBE failed would
        # otherwise stay unsubscribed (redis-py re-subscribes only what it
        # subscribed) and the canary would miss for ever.
        receiver, self.receiver, self.channel = self.receiver, None, None
        if receiver is not None:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver


def _layer_clients(layer) -> list:
    """The redis-py clients of this loop's channel layer.

    Reaches into channels_redis 4.3's pub/sub layer (one shard per host,
    each with a client made on first use); tests/test_canary.py and
    tests/ha prove it on every upgrade.
    """
    get_layer = getattr(layer, "_get_layer", None)
    shards = getattr(get_layer(), "_shards", []) if get_layer else []
    return [shard._redis for shard in shards if getattr(shard, "_redis", None)]


def _reconnecting(layer) -> bool:
    get_layer = getattr(layer, "_get_layer", None)
    shards = getattr(get_layer(), "_shards", []) if get_layer else []
    for shard in shards:
        connection = getattr(getattr(shard, "_pubsub", None), "connection", None)
        if connection is not None and not connection.is_connected:
            return True
    return False


async def reconnect(layer) -> None:
    """Drop every Redis connection of this loop's channel layer: pub/sub
    reconnects on its next read (to the master the Sentinels name now) and
    re-subscribes all its channels and groups; publishing reconnects on use.
    """
    for client in _layer_clients(layer):
        with contextlib.suppress(Exception):
            await client.connection_pool.disconnect()


async def follow_master(layer) -> None:
    """With Sentinels: move the layer and the site's client to the master
    the Sentinels name, if a failover changed it (redis_options)."""
    for client in [*_layer_clients(layer), get_redis()]:
        try:
            if await redis_options.follow_master(client):
                logger.warning("Redis master changed: reconnected to the new one.")
        except Exception as error:  # no Sentinel answers: the next tick asks
            logger.info("Sentinels not reachable: %r", error)


_canaries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Canary] = (
    weakref.WeakKeyDictionary()
)


def current() -> Canary | None:
    """The running loop's canary, if it has one."""
    return _canaries.get(asyncio.get_running_loop())


def ensure_running(keep_running: Callable[[], bool]) -> None:
    """Start the loop's canary unless it runs; it ends by itself once
    `keep_running()` is false at a tick (no relays left)."""
    loop = asyncio.get_running_loop()
    canary = _canaries.get(loop)
    if canary is None:
        canary = _canaries[loop] = Canary()
    if canary.task is None or canary.task.done():
        canary.task = loop.create_task(canary.run(keep_running), name="pubsub-canary")


def pubsub_ok() -> bool:
    """False while this loop's canary is missing (project.health)."""
    canary = current()
    return canary is None or canary.healthy


async def stop() -> None:
    """Cancel the running loop's canary (tests, shutdown)."""
    canary = current()
    if canary is not None and canary.task is not None:
        canary.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await canary.task
