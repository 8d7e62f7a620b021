"""How every Redis connection of the site is made: a URL, or the master that
Redis Sentinels name, with timeouts, keepalive, health checks and retries set
here once for the channel layer and for the site's own client
(realtime.redis_clients).

Why explicit: redis-py's own defaults have no socket timeouts at all, and
its Sentinel look-ups none either, so one stopped master or Sentinel (a
SIGSTOPped process, a machine that vanished without a RST) would hang a
caller for good; and its Redis() retries back off for up to 10 s. The values
below fail a command within a few seconds and retry across a failover
(PROTOCOL.md, Server restarts and outages: the sender then gets
`unavailable` and retries with its client_id).

No Django here: project.settings builds the channel layer from it.
"""

from __future__ import annotations

import socket

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError, TimeoutError

# Loopback or one LAN: a connect takes well under a millisecond.
CONNECT_TIMEOUT = 1.0
# Every command of the site takes microseconds (the Lua scripts are bounded);
# two seconds without a reply is a stopped or unreachable server.
SOCKET_TIMEOUT = 2.0
# A PING before reusing a connection idle for this long, so a command is
# not the first to find a connection that died while idle.
HEALTH_CHECK_INTERVAL = 5
# Retries of one command (each may reconnect, and so ask the Sentinels for
# the master anew); backoff 0.2 s, then 0.4 s.
RETRIES = 2
RETRY_BACKOFF = ExponentialBackoff(cap=0.5, base=0.1)
# A Sentinel answers from memory: one that is slow is skipped for the next.
SENTINEL_TIMEOUT = 0.5
# An idle connection to a machine that vanished is found within
# idle + interval x count = 11 s, not the kernel's two hours.
KEEPALIVE = {"TCP_KEEPIDLE": 5, "TCP_KEEPINTVL": 2, "TCP_KEEPCNT": 3}

MAX_SENTINELS = 16


def _keepalive_options() -> dict[int, int]:
    return {
        getattr(socket, name): value
        for name, value in KEEPALIVE.items()
        if hasattr(socket, name)
    }


def connection_options(url: str = "") -> dict:
    """Keyword arguments of every connection to a Redis server (a fresh
    dict each call: a Retry is mutable)."""
    options = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "retry": Retry(RETRY_BACKOFF, RETRIES),
        "retry_on_error": [ConnectionError, TimeoutError, socket.timeout],
    }
    if not url.startswith("unix:"):  # redis-py refuses keepalive on a unix socket
        options["socket_keepalive"] = True
        options["socket_keepalive_options"] = _keepalive_options()
    return options


def sentinel_options() -> dict:
    """Keyword arguments of the connections to the Sentinels themselves: no
    retries, because redis-py asks the next Sentinel when one fails."""
    return {
        "socket_connect_timeout": SENTINEL_TIMEOUT,
        "socket_timeout": SENTINEL_TIMEOUT,
        "socket_keepalive": True,
        "socket_keepalive_options": _keepalive_options(),
        "retry": Retry(NoBackoff(), 0),
    }


def parse_sentinels(value: str) -> list[tuple[str, int]]:
    """`host:port,host:port,...` (REDIS_SENTINELS) as (host, port) pairs, or a
    ValueError whose message says what is wrong; "" is no Sentinels."""
    pairs: list[tuple[str, int]] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        host = host.strip("[]")  # [::1]:26379
        port_ok = port.isascii() and port.isdigit() and len(port) <= 5
        if not sep or not host or not port_ok or not 0 < int(port) < 65536:
            raise ValueError(
                f"REDIS_SENTINELS must be host:port pairs separated by commas, "
                f"e.g. 10.0.0.1:26379,10.0.0.2:26379; got {item[:80]!r}."
            )
        if len(host) > 253 or not host.isprintable() or " " in host:
            raise ValueError(f"REDIS_SENTINELS has an invalid host: {host[:80]!r}.")
        pairs.append((host, int(port)))
    if len(pairs) > MAX_SENTINELS:
        raise ValueError(
            f"REDIS_SENTINELS lists {len(pairs)} Sentinels; at most {MAX_SENTINELS}."
        )
    return pairs


def check_master_name(name: str) -> str:
    """REDIS_SENTINEL_MASTER, or a ValueError saying what is wrong."""
    if not name or len(name) > 100 or not name.isprintable() or " " in name:
        raise ValueError(
            "REDIS_SENTINEL_MASTER must be the master's name at the Sentinels "
            f"(1 to 100 printable characters, no spaces); got {name[:80]!r}."
        )
    return name


def layer_hosts(url: str, sentinels: list[tuple[str, int]], master: str) -> list:
    """The `hosts` of channels_redis' pub/sub layer: one entry, the URL or
    the Sentinels' master (channels_redis.utils.create_pool)."""
    if sentinels:
        return [
            {
                "sentinels": sentinels,
                "master_name": master,
                "sentinel_kwargs": sentinel_options(),
                **connection_options(),
            }
        ]
    return [{"address": url, **connection_options(url)}]


def client(url: str, sentinels: list[tuple[str, int]], master: str) -> Redis:
    """A new redis.asyncio client for the URL, or for the Sentinels' master;
    the latter asks the Sentinels again on every reconnect, so it follows a
    failover without a restart."""
    if sentinels:
        manager = Sentinel(sentinels, sentinel_kwargs=sentinel_options())
        return manager.master_for(master, **connection_options())
    return Redis.from_url(url, **connection_options(url))


async def follow_master(client: Redis) -> bool:
    """For a client of the Sentinels' master: ask them which server is the
    master now and, when it is another than the one this client connected
    to, drop every connection of the client (true then).

    redis-py asks the Sentinels only when it connects. A connection still
    open to a master that a failover replaced keeps working with it until
    that one is demoted (at the Sentinels' next look at it, up to 10 s
    later; never while it is stopped), so a process that publishes there is
    heard by nobody who has moved on. In-use connections (pub/sub) too.
    """
    pool = client.connection_pool
    if not isinstance(pool, SentinelConnectionPool):
        return False
    before = pool.master_address
    after = await pool.get_master_address()
    if before is None or after == before:
        return False
    await pool.disconnect()
    return True


async def aclose(client: Redis) -> None:
    """Close the client's connections, and its Sentinel look-up connections
    (which redis-py's aclose() leaves open)."""
    await client.aclose()
    manager = getattr(client.connection_pool, "sentinel_manager", None)
    for sentinel in getattr(manager, "sentinels", []):
        await sentinel.aclose()
