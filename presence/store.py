"""Every Redis command of presence, through the loop's batch (realtime.batch):
the registrations, refreshes and reads of concurrent sockets go to Redis in
one pipeline, as EVALSHA.

The scripts (presence.scripts) decide joins and leaves; these functions
return them for presence.api to broadcast, and never broadcast themselves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from presence import conf
from presence.local import Socket
from presence.scripts import (
    ENSURE,
    INDEX_DROP,
    INDEX_KEY,
    LINGER,
    SWEEP,
    UNREGISTER,
    scope_keys,
)
from protocol.wire import UserRef
from realtime import batch

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
    ttl = _ttl_ms()
    calls = []
    ensured: list[tuple[int | None, UserRef]] = []
    for socket in sockets:
        user = socket.user
        payload = json.dumps(dict(user), separators=(",", ":"))
        for room_id in scopes_of(socket):
            calls.append(
                batch.script(
                    ENSURE,
                    scope_keys(room_id),
                    [socket.socket_id, user["id"], payload, ttl],
                )
            )
            ensured.append((room_id, user))
    # After the ENSUREs, never before (see INDEX_DROP); once per room.
    for room_id in dict.fromkeys(s.room_id for s in sockets):
        if room_id is not None:
            calls.append(batch.command("ZINCRBY", INDEX_KEY, 1, room_id))
    results = await asyncio.gather(*calls)
    return [
        change for change, result in zip(ensured, results, strict=False) if result == 1
    ]


async def unregister(socket: Socket) -> list[Change]:
    """Remove one socket from its scopes; the leaves that made."""
    scopes = scopes_of(socket)
    results = await asyncio.gather(
        *(
            batch.script(UNREGISTER, scope_keys(room_id), [socket.socket_id])
            for room_id in scopes
        )
    )
    return [
        (room_id, json.loads(payload))
        for room_id, payload in zip(scopes, results, strict=True)
        if payload
    ]


async def linger(socket: Socket, grace: float) -> None:
    """Let the socket's connections expire within `grace` seconds instead of
    removing them (scripts.LINGER: a server restart)."""
    await asyncio.gather(
        *(
            batch.script(
                LINGER, scope_keys(room_id), [socket.socket_id, int(grace * 1000)]
            )
            for room_id in scopes_of(socket)
        )
    )


async def read(scopes: list[int | None], *, count: bool) -> tuple[list, list[Change]]:
    """Sweep each scope, then read its users' payloads (or their number);
    (one result per scope, the leaves the sweeps made).

    Sweeping before reading means no reader ever lists a ghost, even when no
    process with sockets is left to run a heartbeat. The reads are shared:
    sockets of one room that connect together read its members once, after
    all of their registrations (so each one's list includes the others).
    """
    if count:
        return await _counts(scopes)
    calls = []
    for room_id in scopes:
        _, _, counts, users = keys = scope_keys(room_id)
        calls.append(batch.script(SWEEP, keys, [SWEEP_BATCH]))
        if count:
            calls.append(batch.command("HLEN", counts, shared=True))
        else:
            calls.append(batch.command("HVALS", users, shared=True))
    results = await asyncio.gather(*calls)
    leaves: list[Change] = []
    for room_id, swept in zip(scopes, results[0::2], strict=True):
        leaves += _leaves(room_id, swept[2:])
    return results[1::2], leaves


async def _counts(scopes: list[int | None]) -> tuple[list, list[Change]]:
    """read(count=True): rooms missing from the index have no live
    connection (INDEX_DROP's invariant), so only indexed rooms are swept and
    counted. A room list of 10,000 rooms then costs one ZMSCORE and a
    sweep per room that someone is in, not 10,000 sweeps (#17 finding 3)."""
    rooms = [room_id for room_id in scopes if room_id is not None]
    indexed = set(scopes) - set(rooms)  # the site scope is always read
    if rooms:
        scores = await batch.command("ZMSCORE", INDEX_KEY, *rooms)
        indexed.update(
            r for r, score in zip(rooms, scores, strict=True) if score is not None
        )
    live = [room_id for room_id in scopes if room_id in indexed]
    calls = []
    for room_id in live:
        keys = scope_keys(room_id)
        calls.append(batch.script(SWEEP, keys, [SWEEP_BATCH]))
        calls.append(batch.command("HLEN", keys[2], shared=True))
    results = await asyncio.gather(*calls)
    found = dict(zip(live, results[1::2], strict=True))
    leaves: list[Change] = []
    for room_id, swept in zip(live, results[0::2], strict=True):
        leaves += _leaves(room_id, swept[2:])
    return [found.get(room_id, 0) for room_id in scopes], leaves


async def sweep_all() -> tuple[int, list[Change]]:
    """Remove expired connections of every indexed room and of the site, and
    forget rooms left empty; (connections removed, the leaves that made)."""
    indexed = await batch.command("ZRANGE", INDEX_KEY, 0, -1, "WITHSCORES")
    rooms = [
        (int(indexed[i]), float(indexed[i + 1])) for i in range(0, len(indexed), 2)
    ]
    scopes: list[int | None] = [None, *(room_id for room_id, _ in rooms)]
    results = await asyncio.gather(
        *(batch.script(SWEEP, scope_keys(room_id), [SWEEP_BATCH]) for room_id in scopes)
    )
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
        await asyncio.gather(
            *(
                batch.script(INDEX_DROP, [INDEX_KEY], [room_id, repr(score)])
                for room_id, score in empty
            )
        )
    return removed, leaves
