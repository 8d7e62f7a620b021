"""Presence: who is where, kept in Redis and shared by every server process.

The only public surface of the app (PROTOCOL.md, Presence semantics). Sockets
register with `connect` and leave with `disconnect`; the channel layer gets

    {"type": "presence.join",  "user": UserRef, "room_id": int | None}
    {"type": "presence.leave", "user": UserRef, "room_id": int | None}

on room_group(room_id) for a room and on SITE_GROUP (room_id None) for
"online anywhere", exactly once per 0 -> 1 and 1 -> 0 transition. Redis scripts
(presence.redis) decide the transitions; whoever gets one from a script
broadcasts it, which keeps joins and leaves balanced whatever races.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import TypedDict

from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import RedisError

from presence import heartbeat
from presence.heartbeat import Socket
from presence.redis import INDEX_KEY, scope_keys, scripts_for
from project.groups import SITE_GROUP, room_group
from project.redis_pool import get_redis

logger = logging.getLogger(__name__)

# Bounds the work of one SWEEP call; what is left goes on the next sweep.
SWEEP_BATCH = 1000


class UserRef(TypedDict):
    id: int
    username: str
    display_name: str


def _ttl_ms() -> int:
    return int(float(settings.PRESENCE_TTL) * 1000)


def _scopes(socket: Socket) -> list[int | None]:
    return [None] if socket.room_id is None else [socket.room_id, None]


async def _broadcast(kind: str, events: list[tuple[int | None, UserRef]]) -> None:
    if not events:
        return
    layer = get_channel_layer()
    sends = [
        layer.group_send(
            SITE_GROUP if room_id is None else room_group(room_id),
            {"type": kind, "user": user, "room_id": room_id},
        )
        for room_id, user in events
    ]
    # The script already decided the transition; a lost broadcast (Redis
    # down) cannot be retried meaningfully, so it is logged, not raised.
    for result in await asyncio.gather(*sends, return_exceptions=True):
        if isinstance(result, BaseException):
            logger.warning("Presence broadcast of %s failed: %s", kind, result)


def _leaves(room_id: int | None, payloads: Iterable[bytes | str]) -> list:
    return [(room_id, json.loads(payload)) for payload in payloads if payload]


async def _register(sockets: list[Socket]) -> None:
    """ENSURE every scope of `sockets` in one pipeline; broadcast the joins."""
    client = get_redis()
    scripts = scripts_for(client)
    ttl = _ttl_ms()
    # (position of the ENSURE result in the pipeline, scope, user)
    ensured: list[tuple[int, int | None, UserRef]] = []
    async with client.pipeline(transaction=False) as pipe:
        for socket in sockets:
            user = socket.user
            payload = json.dumps(dict(user), separators=(",", ":"))
            for room_id in _scopes(socket):
                await scripts.ensure(
                    keys=scope_keys(room_id),
                    args=[socket.socket_id, user["id"], payload, ttl],
                    client=pipe,
                )
                ensured.append((len(pipe) - 1, room_id, user))
        # After the ENSUREs, never before (see INDEX_DROP); once per room.
        for room_id in dict.fromkeys(s.room_id for s in sockets):
            if room_id is not None:
                pipe.zincrby(INDEX_KEY, 1, room_id)
        results = await pipe.execute()
    joins = [(room_id, user) for at, room_id, user in ensured if results[at] == 1]
    await _broadcast("presence.join", joins)
    for socket in {socket for socket in sockets if socket.closed}:
        # Disconnected while we were registering: undo what we may have redone.
        await _unregister(socket)


async def _unregister(socket: Socket) -> None:
    client = get_redis()
    scripts = scripts_for(client)
    async with client.pipeline(transaction=False) as pipe:
        for room_id in _scopes(socket):
            await scripts.unregister(
                keys=scope_keys(room_id), args=[socket.socket_id], client=pipe
            )
        results = await pipe.execute()
    leaves = [
        (room_id, json.loads(payload))
        for room_id, payload in zip(_scopes(socket), results, strict=True)
        if payload
    ]
    await _broadcast("presence.leave", leaves)


async def connect(*, socket_id: str, user: UserRef, room_id: int | None) -> None:
    """Register one live socket (room_id None: a /ws/presence/ socket).

    A room socket counts for its room and for the site. Broadcasts the join
    when it is the user's first live connection there.
    """
    ref: UserRef = {
        "id": int(user["id"]),
        "username": str(user["username"]),
        "display_name": str(user["display_name"]),
    }
    socket = Socket(socket_id=socket_id, user=ref, room_id=room_id)
    sockets = heartbeat.registry().sockets
    sockets[socket_id] = socket
    heartbeat.ensure_running(_tick)
    try:
        await _register([socket])
    except BaseException:
        # The caller's socket fails with us; nobody would disconnect it, and
        # whatever reached Redis expires after PRESENCE_TTL.
        socket.closed = True
        if sockets.get(socket_id) is socket:
            del sockets[socket_id]
        raise


async def disconnect(*, socket_id: str) -> None:
    """Unregister one socket; idempotent. Broadcasts the leave on the last one."""
    socket = heartbeat.registry().sockets.pop(socket_id, None)
    if socket is None:
        return
    socket.closed = True
    try:
        await _unregister(socket)
    except RedisError as error:
        # Redis is down: the record expires and a sweep broadcasts the leave.
        logger.warning("Presence disconnect of %s failed: %s", socket_id, error)


async def touch(*, socket_id: str) -> None:
    """Refresh one socket now (the client's `ping`); re-registers it if lost."""
    socket = heartbeat.registry().sockets.get(socket_id)
    if socket is not None:
        await _register([socket])


async def _read(scopes: list[int | None], *, count: bool) -> list:
    """Sweep each scope, then read its users (or their number), in one round trip.

    Sweeping before reading means no reader ever lists a ghost, even when no
    process with sockets is left to run a heartbeat.
    """
    client = get_redis()
    scripts = scripts_for(client)
    async with client.pipeline(transaction=False) as pipe:
        for room_id in scopes:
            _, _, counts, users = keys = scope_keys(room_id)
            await scripts.sweep(keys=keys, args=[SWEEP_BATCH], client=pipe)
            if count:
                pipe.hlen(counts)
            else:
                pipe.hvals(users)
        results = await pipe.execute()
    leaves = []
    for room_id, swept in zip(scopes, results[0::2], strict=True):
        leaves += _leaves(room_id, swept[2:])
    await _broadcast("presence.leave", leaves)
    return results[1::2]


def _sorted_users(payloads: Iterable[bytes]) -> list[UserRef]:
    return sorted((json.loads(p) for p in payloads), key=lambda u: u["username"])


async def room_members(room_id: int) -> list[UserRef]:
    """Users present in the room, sorted by username."""
    (payloads,) = await _read([room_id], count=False)
    return _sorted_users(payloads)


async def online_users() -> list[UserRef]:
    """Users online anywhere (any room socket or /ws/presence/), sorted."""
    (payloads,) = await _read([None], count=False)
    return _sorted_users(payloads)


async def room_online_counts(room_ids: Iterable[int]) -> dict[int, int]:
    """Distinct users present, per room."""
    ids = list(dict.fromkeys(room_ids))
    if not ids:
        return {}
    counts = await _read(ids, count=True)
    return dict(zip(ids, counts, strict=True))


async def sweep() -> int:
    """Remove expired connections of every room and the site, broadcasting
    their leaves; returns how many connections were removed."""
    client = get_redis()
    scripts = scripts_for(client)
    rooms = [
        (int(member), score)
        for member, score in await client.zrange(INDEX_KEY, 0, -1, withscores=True)
    ]
    scopes: list[int | None] = [None, *(room_id for room_id, _ in rooms)]
    async with client.pipeline(transaction=False) as pipe:
        for room_id in scopes:
            await scripts.sweep(
                keys=scope_keys(room_id), args=[SWEEP_BATCH], client=pipe
            )
        results = await pipe.execute()
    removed = sum(result[0] for result in results)
    leaves = []
    for room_id, result in zip(scopes, results, strict=True):
        leaves += _leaves(room_id, result[2:])
    await _broadcast("presence.leave", leaves)
    empty = [
        (room_id, score)
        for (room_id, score), result in zip(rooms, results[1:], strict=True)
        if result[1] == 0
    ]
    if empty:
        async with client.pipeline(transaction=False) as pipe:
            for room_id, score in empty:
                await scripts.index_drop(
                    keys=[INDEX_KEY], args=[room_id, repr(score)], client=pipe
                )
            await pipe.execute()
    return removed


async def _tick() -> None:
    """One heartbeat: refresh this process's sockets, then sweep everyone's."""
    sockets = list(heartbeat.registry().sockets.values())
    if sockets:
        await _register(sockets)
    await sweep()
