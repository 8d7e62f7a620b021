"""Per-user limits, across every socket and process: messages
(PROTOCOL.md, CHAT_RATE_LIMIT "N/S": at most N in any sliding S-second
window) and new rooms (CHAT_ROOM_CREATE_LIMIT "N/S": the room list is
every public room, so the rooms one account may add are bounded too)."""

from __future__ import annotations

import uuid

from chat import conf
from realtime import batch
from realtime.batch import Lua

# KEYS[1]: sorted set of one user's accepted sends, scored by Redis time in µs.
# ARGV: limit N, window S in µs, a member unique to this call.
# Invariant: the set holds exactly the sends accepted in the last S seconds,
# and a send is accepted only while fewer than N are there. Redis' own clock
# (TIME) is used, so processes with skewed clocks still share one window; a
# refused send is not recorded, so hammering does not extend the penalty.
ALLOW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local allowed = 0
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    allowed = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return allowed
"""

# Through the loop's batch (realtime.batch): the checks of messages that
# arrive together, and whatever else the process sends Redis meanwhile
# (presence, socket slots), go in one pipeline.
ALLOW = Lua(ALLOW_SCRIPT)


def rate_key(user_id: int) -> str:
    return f"chat:rate:{user_id}"


async def acquire(user_id: int) -> str | None:
    """Record one send by `user_id`: a token if within the limit, else None."""
    return await acquire_in(rate_key(user_id), conf.rate_limit())


async def release(user_id: int, token: str) -> None:
    """Give a recorded send back (it turned out to be an idempotent retry)."""
    await release_in(rate_key(user_id), token)


async def acquire_in(key: str, rate: tuple[int, float]) -> str | None:
    """One event in the sliding window `key` under `rate` (N, S seconds):
    a token if within it, else None."""
    limit, seconds = rate
    token = uuid.uuid4().hex
    allowed = await batch.script(ALLOW, [key], [limit, int(seconds * 1_000_000), token])
    return token if allowed else None


async def release_in(key: str, token: str) -> None:
    """Give back the event `token` recorded in the window `key`."""
    await batch.command("ZREM", key, token)


async def allow_message(user_id: int) -> bool:
    """Record one send by `user_id` and say whether it is within the limit."""
    return await acquire(user_id) is not None


def room_create_key(user_id: int) -> str:
    return f"chat:rooms-made:{user_id}"


async def acquire_room_create(user_id: int) -> str | None:
    """Record one new room by `user_id`: a token, or None over the limit."""
    return await acquire_in(room_create_key(user_id), conf.room_create_limit())


async def release_room_create(user_id: int, token: str) -> None:
    """The room was not made after all (bad input, a taken slug)."""
    await release_in(room_create_key(user_id), token)
