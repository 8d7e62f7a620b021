"""Presence: who is where, kept in Redis and shared by every server process.

The only public surface of the app (PROTOCOL.md, Presence semantics). Sockets
register with `connect` and leave with `disconnect`; the channel layer gets
each 0 -> 1 and 1 -> 0 transition exactly once, in a
protocol.events.presence_changes on room_group(room_id) for a room and on
SITE_GROUP (room_id None) for "online anywhere" (presence.publish). Redis
scripts decide the transitions (presence.store); whoever gets one
broadcasts it, which keeps joins and leaves balanced whatever races.
This process's own sockets and their heartbeat live in presence.local.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import NamedTuple

from redis.exceptions import RedisError

from presence import conf, local, store
from presence.local import Socket
from presence.publish import publish
from protocol import wire
from protocol.wire import UserRef, user_ref
from realtime import batch, metrics

HEARTBEAT_SLICE = 1000  # sockets refreshed per pipeline (see _tick)

logger = logging.getLogger(__name__)

__all__ = [
    "UserRef",
    "connect",
    "disconnect",
    "online_users",
    "room_members",
    "room_online_counts",
    "state",
    "sweep",
    "touch",
]


async def _broadcast(kind: str, changes: list[store.Change]) -> None:
    await publish(kind, changes)


async def _register(sockets: list[Socket]) -> None:
    """ENSURE every scope of `sockets`; broadcast the joins."""
    await _broadcast("presence.join", await store.ensure(sockets))
    for socket in {socket for socket in sockets if socket.closed}:
        # Disconnected while we were registering: undo what we may have redone.
        await _unregister(socket)


async def _unregister(socket: Socket) -> None:
    await _broadcast("presence.leave", await store.unregister(socket))


async def connect(*, socket_id: str, user: UserRef, room_id: int | None) -> None:
    """Register one live socket (room_id None: a /ws/presence/ socket).

    A room socket counts for its room and for the site. Broadcasts the join
    when it is the user's first live connection there.
    """
    ref = user_ref(**user)
    socket = Socket(socket_id=socket_id, user=ref, room_id=room_id)
    sockets = local.registry().sockets
    sockets[socket_id] = socket
    local.ensure_running(_tick)
    try:
        await _register([socket])
    except BaseException:
        # The caller's socket fails with us; nobody would disconnect it, and
        # whatever reached Redis expires after PRESENCE_TTL.
        socket.closed = True
        if sockets.get(socket_id) is socket:
            del sockets[socket_id]
        raise


# How long the connections of a socket closed by a server restart (1012)
# still count: the client comes back after 0.5-5 s (PROTOCOL.md 1.1).
RESTART_GRACE = 10.0


async def disconnect(*, socket_id: str, restarting: bool = False) -> None:
    """Unregister one socket; idempotent. Broadcasts the leave on the last one.

    `restarting`: the socket was closed by a server restart and its client
    will reconnect in a moment, perhaps to another process. Its connections
    then linger for RESTART_GRACE seconds (never past PRESENCE_TTL) instead
    of going now: a user who is back by then is seen neither leaving nor
    joining again; one who is not leaves then, through a sweep.
    """
    socket = local.registry().sockets.pop(socket_id, None)
    if socket is None:
        return
    socket.closed = True
    try:
        if restarting:
            await store.linger(socket, min(RESTART_GRACE, conf.ttl()))
        else:
            await _unregister(socket)
    except RedisError as error:
        # Redis is down: the record expires and a sweep broadcasts the leave.
        logger.warning("Presence disconnect of %s failed: %s", socket_id, error)


async def touch(*, socket_id: str) -> None:
    """Refresh one socket now (the client's `ping`); re-registers it if lost."""
    socket = local.registry().sockets.get(socket_id)
    if socket is not None:
        await _register([socket])


async def _read(scopes: list[int | None], *, count: bool) -> list:
    results, leaves = await store.read(scopes, count=count)
    await _broadcast("presence.leave", leaves)
    return results


def _sorted_users(payloads: Iterable[bytes]) -> list[UserRef]:
    return sorted((json.loads(p) for p in payloads), key=lambda u: u["username"])


class State(NamedTuple):
    """A presence.state frame, encoded, and the ids of the users it lists."""

    frame: str
    present: frozenset[int]


# scope -> (the payloads read, the State built from them). Sockets that
# connect together share one read (presence.store.read), and so one State:
# a room that fills up builds its member list once per batch, not per socket.
_states: dict[tuple[int | None, str | None], tuple[list, State]] = {}
_STATES_KEPT = 256


async def state(room_id: int | None, slug: str | None) -> State:
    """The presence.state frame of room `room_id` (slug `slug`), or of the
    site (both None): who is there now, sorted by username."""
    (payloads,) = await _read([room_id], count=False)
    cached = _states.get((room_id, slug))
    if cached is not None and cached[0] is payloads:
        return cached[1]
    users = _sorted_users(payloads)
    built = State(
        wire.presence_state(room=slug, users=users),
        frozenset(user["id"] for user in users),
    )
    if len(_states) >= _STATES_KEPT:
        _states.clear()
    _states[(room_id, slug)] = (payloads, built)
    return built


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
    removed, leaves = await store.sweep_all()
    metrics.PRESENCE_SWEEPS.inc()
    metrics.PRESENCE_SWEPT.inc(removed)
    await _broadcast("presence.leave", leaves)
    return removed


async def _tick() -> None:
    """One heartbeat: refresh this process's sockets, then sweep everyone's."""
    sockets = list(local.registry().sockets.values())
    for chunk in batch.slices(sockets, HEARTBEAT_SLICE):
        await _register(chunk)
    await sweep()
