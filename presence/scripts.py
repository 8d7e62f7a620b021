"""Presence keys and the Lua scripts that change them (run by presence.store).

Key layout
----------
A *scope* is one room (tag ``r<room_id>``) or the whole site (tag ``site``). Every
key of a scope carries the scope's tag in braces, so under Redis Cluster all of
them hash to one slot and a script may touch them together::

    presence:{r42}:conns   ZSET   channel name -> expiry (ms, Redis server clock)
    presence:{r42}:owner   HASH   channel name -> user id
    presence:{r42}:count   HASH   user id -> live connections of the user here
    presence:{r42}:user    HASH   user id -> UserRef JSON (the broadcast payload)

    presence:{site}:...    the same four keys for "online anywhere"
    presence:{index}:rooms ZSET   room id -> change counter (see INDEX_DROP)

A room socket is registered in its room's scope and in the site scope; a
/ws/presence/ socket only in the site scope. Every register and refresh also
sets PEXPIRE (2 x TTL) on the scope's keys, so a scope whose processes are all
dead vanishes by itself even when nobody sweeps it, as channels_redis expires
its group keys.

Times come from Redis (TIME inside the scripts): processes on machines with
skewed clocks still agree on what has expired.

The invariant all scope scripts keep: for every user, ``count[user]`` equals the
number of channels in ``owner`` that belong to the user, ``user[user]`` exists
exactly when ``count[user] > 0``, and ``conns`` and ``owner`` hold the same
channels. The join (0 -> 1) and the leave (1 -> 0) are decided inside a script,
so among any number of concurrent callers on any number of processes exactly
one sees each transition, and only that caller broadcasts it.
"""

from __future__ import annotations

from realtime.batch import Lua

INDEX_KEY = "presence:{index}:rooms"
SITE_TAG = "site"


def scope_keys(room_id: int | None) -> list[str]:
    """KEYS[1..4] of the scope scripts: conns, owner, count, user."""
    tag = SITE_TAG if room_id is None else f"r{int(room_id)}"
    return [
        f"presence:{{{tag}}}:{name}" for name in ("conns", "owner", "count", "user")
    ]


# Shared by the scripts: the Redis clock in milliseconds.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Remove one channel; the caller's local `left` gets the UserRef JSON when that
# was the user's last connection in the scope (the leave), else nil.
_REMOVE = """
local function remove(channel)
    local uid = redis.call('HGET', KEYS[2], channel)
    redis.call('ZREM', KEYS[1], channel)
    if not uid then
        return nil
    end
    redis.call('HDEL', KEYS[2], channel)
    if redis.call('HINCRBY', KEYS[3], uid, -1) > 0 then
        return nil
    end
    local ref = redis.call('HGET', KEYS[4], uid)
    redis.call('HDEL', KEYS[3], uid)
    redis.call('HDEL', KEYS[4], uid)
    return ref or ''
end
"""

# ENSURE: register a channel, or refresh it when it is registered already.
# KEYS: the four scope keys. ARGV: channel, user id, UserRef JSON, ttl ms.
# Returns 0 = refreshed, 1 = registered and it is the user's first live
# connection in the scope (the caller broadcasts the join), 2 = registered,
# the user was present already. Registering when the record is missing is
# what makes a refresh heal a flushed or restarted Redis, and a connection
# swept while its process stalled.
ENSURE = Lua(
    _NOW
    + """
local ttl = tonumber(ARGV[4])
local result = 0
if not redis.call('HGET', KEYS[2], ARGV[1]) then
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    result = 2
    if redis.call('HINCRBY', KEYS[3], ARGV[2], 1) == 1 then
        result = 1
    end
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
-- Refreshed each time, so a renamed user shows the new name on next join.
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
for i = 1, 4 do
    redis.call('PEXPIRE', KEYS[i], ttl * 2)
end
return result
"""
)

# UNREGISTER: remove one channel; idempotent.
# KEYS: the four scope keys. ARGV: channel.
# Returns the UserRef JSON when this was the user's last connection in the
# scope (the caller broadcasts the leave), else nil.
UNREGISTER = Lua(_REMOVE + "return remove(ARGV[1])")

# LINGER: let a channel expire soon instead of removing it now.
# KEYS: the four scope keys. ARGV: channel, grace ms.
# A server that restarts closes its sockets with 1012 and the clients come
# back within seconds, often to another process: were their connections
# removed, everyone would see each of them leave and join again. A channel
# that lingers counts until `grace` has passed (never longer than it would
# have anyway), so a user who is back by then never left; one who is not
# leaves when a sweep finds the channel expired.
LINGER = Lua(
    _NOW
    + """
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and tonumber(expiry) > now + tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
    return 1
end
return 0
"""
)

# SWEEP: remove every channel whose expiry has passed.
# KEYS: the four scope keys. ARGV: the most channels to remove in one call
# (bounds the time Redis is blocked; the next sweep takes the rest).
# Returns {removed, remaining channels, UserRef JSON of each user who left...}.
# The removal and the leave decision are one step, so of two processes sweeping
# the same scope at once only the one that removed a user's last connection
# gets its UserRef back: a leave is never broadcast twice.
SWEEP = Lua(
    _NOW
    + _REMOVE
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now,
                           'LIMIT', 0, tonumber(ARGV[1]))
local result = {0, 0}
for _, channel in ipairs(expired) do
    local left = remove(channel)
    result[1] = result[1] + 1
    if left then
        table.insert(result, left)
    end
end
result[2] = redis.call('ZCARD', KEYS[1])
return result
"""
)

# INDEX_DROP: forget a room that a sweep found empty.
# KEYS: INDEX_KEY. ARGV: room id, the counter the sweeper read before sweeping.
# Every register and refresh increments the room's counter *after* its ENSURE,
# so a changed counter means someone may have registered since the sweep: the
# room stays. Hence a room with a live connection is never missing from the
# index, and a process started after a crash finds the rooms only the dead
# process had.
INDEX_DROP = Lua(
    """
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and tonumber(seen) == tonumber(ARGV[2]) then
    return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""
)
