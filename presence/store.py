"""Every Redis command of presence, in pipelines: one round trip per call.

The scripts (presence.scripts) decide joins and leaves; these functions
return them for presence.api to broadcast, and never broadcast themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from presence import conf
from presence.local import Socket
from presence.scripts import INDEX_KEY, scope_keys, scripts_for
from protocol.wire import UserRef
from realtime.redis_clients import get_redis

# Bounds the work of one SWEEP call; what is left goes on the next sweep.
SWEEP_BATCH = 1000

# (scope: room id, or None for the site; the user who joined or left there)
Change = tuple[int | None, UserRef]


def _ttl_ms() -> int:
    return int(conf.ttl() * 1000)


def scopes_of(socket: Socket) -> list[int | None]:
    """A room socket counts for its room and for the site."""
    return [None] if socket.room_id is None else [socket.room_id, None]


def _leaves(room_id: int | None, payloads: Iterable[bytes | str]) -> list[Change]:
    return [(room_id, json.loads(payload)) for payload in payloads if payload]


async def ensure(sockets: list[Socket]) -> list[Change]:
    """Register or refresh every scope of `sockets`; the joins they made."""
    client = get_redis()
    scripts = scripts_for(client)
    ttl = _ttl_ms()
    # (position of the ENSURE result in the pipeline, scope, user)
    ensured: list[tuple[int, int | None, UserRef]] = []
    async with client.pipeline(transaction=False) as pipe:
        for socket in sockets:
            user = socket.user
            payload = json.dumps(dict(user), separators=(",", ":"))
            for room_id in scopes_of(socket):
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
    return [(room_id, user) for at, room_id, user in ensured if results[at] == 1]


async def unregister(socket: Socket) -> list[Change]:
    """Remove one socket from its scopes; the leaves that made."""
    client = get_redis()
    scripts = scripts_for(client)
    scopes = scopes_of(socket)
    async with client.pipeline(transaction=False) as pipe:
        for room_id in scopes:
            await scripts.unregister(
                keys=scope_keys(room_id), args=[socket.socket_id], client=pipe
            )
        results = await pipe.execute()
    return [
        (room_id, json.loads(payload))
        for room_id, payload in zip(scopes, results, strict=True)
        if payload
    ]


async def linger(socket: Socket, grace: float) -> None:
    """Let the socket's connections expire within `grace` seconds instead of
    removing them (scripts.LINGER: a server restart)."""
    client = get_redis()
    scripts = scripts_for(client)
    async with client.pipeline(transaction=False) as pipe:
        for room_id in scopes_of(socket):
            await scripts.linger(
                keys=scope_keys(room_id),
                args=[socket.socket_id, int(grace * 1000)],
                client=pipe,
            )
        await pipe.execute()


async def read(scopes: list[int | None], *, count: bool) -> tuple[list, list[Change]]:
    """Sweep each scope, then read its users' payloads (or their number), in
    one round trip; (one result per scope, the leaves the sweeps made).

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
    leaves: list[Change] = []
    for room_id, swept in zip(scopes, results[0::2], strict=True):
        leaves += _leaves(room_id, swept[2:])
    return results[1::2], leaves


async def sweep_all() -> tuple[int, list[Change]]:
    """Remove expired connections of every indexed room and of the site, and
    forget rooms left empty; (connections removed, the leaves that made)."""
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
    leaves: list[Change] = []
    for room_id, result in zip(scopes, results, strict=True):
        leaves += _leaves(room_id, result[2:])
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
    return removed, leaves
