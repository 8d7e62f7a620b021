"""Presence: who is where, kept in Redis and shared by every server process.

The only public surface of the app (PROTOCOL.md, Presence semantics). Sockets
register with `connect` and leave with `disconnect`; the channel layer gets
protocol.events.presence_change on room_group(room_id) for a room and on
SITE_GROUP (room_id None) for "online anywhere", exactly once per 0 -> 1 and
1 -> 0 transition. Redis scripts decide the transitions (presence.store);
whoever gets one broadcasts it, which keeps joins and leaves balanced
whatever races. This process's own sockets and their heartbeat live in
presence.local.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable

from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from presence import conf, local, store
from presence.local import Socket
from protocol import events
from protocol.wire import UserRef, user_ref
from realtime.groups import SITE_GROUP, room_group

logger = logging.getLogger(__name__)

__all__ = [
    "UserRef",
    "connect",
    "disconnect",
    "online_users",
    "room_members",
    "room_online_counts",
    "sweep",
    "touch",
]


async def _broadcast(kind: str, changes: list[store.Change]) -> None:
    if not changes:
        return
    layer = get_channel_layer()
    sends = [
        layer.group_send(
            SITE_GROUP if room_id is None else room_group(room_id),
            events.presence_change(kind, user=user, room_id=room_id),
        )
        for room_id, user in changes
    ]
    # The script already decided the transition; a lost broadcast (Redis
    # down) cannot be retried meaningfully, so it is logged, not raised.
    for result in await asyncio.gather(*sends, return_exceptions=True):
        if isinstance(result, BaseException):
            logger.warning("Presence broadcast of %s failed: %s", kind, result)


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
    await _broadcast("presence.leave", leaves)
    return removed


async def _tick() -> None:
    """One heartbeat: refresh this process's sockets, then sweep everyone's."""
    sockets = list(local.registry().sockets.values())
    if sockets:
        await _register(sockets)
    await sweep()
