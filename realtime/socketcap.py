"""CHAT_MAX_SOCKETS_PER_USER: live sockets per user, counted across every
process in Redis (PROTOCOL.md 1.1, Configuration), so that no one user can
hold thousands of sockets.

Each socket holds a slot while it is open: `claim()` at the handshake,
`release()` when it ends. A process that dies releases nothing, so a slot
is also a lease: it expires PRESENCE_TTL seconds after its last refresh,
and this process's heartbeat refreshes all of its slots every
PRESENCE_HEARTBEAT seconds (the same timings as presence, so a crashed
process's slots go with its presence).

    sockets:user:<id>   ZSET   socket id -> lease expiry (ms, Redis clock)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from django.conf import settings

from realtime import batch, conf
from realtime.batch import Lua
from realtime.heartbeat import Heartbeat
from realtime.keyed import PerLoop

REFRESH_SLICE = 1000  # users' leases refreshed per pipeline (see refresh)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# CLAIM: KEYS[1] the user's slots. ARGV: socket id, cap, lease ms.
# Returns 1 when the socket holds a slot (it had one, or fewer than cap
# unexpired slots were taken), else 0. Dropping expired leases and counting
# happen in one step, so two processes never both take the last slot.
CLAIM = Lua(
    _NOW
    + """
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
        and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
"""
)

# REFRESH: KEYS[1] the user's slots. ARGV: lease ms, socket ids...
# A slot that expired meanwhile (this process stalled) is taken again: the
# socket is still open, and for the count to heal it must be counted.
REFRESH = Lua(
    _NOW
    + """
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
    redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
return #ARGV - 1
"""
)


def slots_key(user_id: int) -> str:
    return f"sockets:user:{int(user_id)}"


def _lease_ms() -> int:
    return int(float(settings.PRESENCE_TTL) * 1000)


class _Local:
    """This loop's sockets that hold a slot, and their heartbeat."""

    def __init__(self) -> None:
        self.slots: dict[str, int] = {}  # socket id -> user id
        self.heartbeat = Heartbeat(
            "socket-cap-heartbeat",
            self.refresh,
            busy=lambda: bool(self.slots),
            interval=lambda: float(settings.PRESENCE_HEARTBEAT),
        )

    async def refresh(self) -> None:
        by_user: dict[int, list[str]] = defaultdict(list)
        for socket_id, user_id in list(self.slots.items()):
            by_user[user_id].append(socket_id)
        lease = _lease_ms()
        users = list(by_user.items())
        for chunk in batch.slices(users, REFRESH_SLICE):
            await asyncio.gather(
                *(
                    batch.script(REFRESH, [slots_key(user_id)], [lease, *socket_ids])
                    for user_id, socket_ids in chunk
                )
            )


_local = PerLoop(_Local).get


async def claim(*, user_id: int, socket_id: str) -> bool:
    """Take a slot for a new socket; False when the user already has
    CHAT_MAX_SOCKETS_PER_USER live sockets (the caller refuses it: 4429)."""
    local = _local()
    # Registered before the claim: a release that races with it finds it.
    local.slots[socket_id] = user_id
    local.heartbeat.ensure_running()
    try:
        taken = await batch.script(
            CLAIM,
            [slots_key(user_id)],
            [socket_id, conf.max_sockets_per_user(), _lease_ms()],
        )
    except BaseException:
        local.slots.pop(socket_id, None)
        raise
    if not taken or local.slots.get(socket_id) != user_id:
        local.slots.pop(socket_id, None)
        return False
    return True


async def release(*, socket_id: str) -> None:
    """Give the socket's slot back (idempotent). When Redis is away, the
    lease runs out instead."""
    user_id = _local().slots.pop(socket_id, None)
    if user_id is not None:
        await batch.command("ZREM", slots_key(user_id), socket_id)
