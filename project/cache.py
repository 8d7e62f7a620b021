"""The cache, on the site's Redis: allauth's rate-limit counters (logins,
signups, password resets) are then shared by every process instead of
being counted per process in local memory.

Django's RedisCache, with two changes: its connection follows the site's
Redis settings (REDIS_URL, or the master that REDIS_SENTINELS name), read
when first used, so tests that point the site at their own Redis are
followed; and it fails open: in a Redis outage a read finds nothing and a
write is dropped (logged once per interval), so logging in keeps working,
without limits, rather than answering 500.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.sentinel import Sentinel

from realtime.failures import is_outage, outage_log

TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}


class SiteRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write: bool):
        where = (
            settings.REDIS_URL,
            tuple(getattr(settings, "REDIS_SENTINELS", ())),
            getattr(settings, "REDIS_SENTINEL_MASTER", "mymaster"),
        )
        pool = self._pools.get(where)
        if pool is None:
            url, sentinels, master = where
            if sentinels:
                sentinel = Sentinel(
                    list(sentinels), sentinel_kwargs=TIMEOUTS, **TIMEOUTS
                )
                pool = redis.sentinel.SentinelConnectionPool(
                    master, sentinel, **TIMEOUTS
                )
            else:
                pool = redis.ConnectionPool.from_url(url, **TIMEOUTS)
            self._pools[where] = pool
        return pool


def _fail_open(default):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as error:
                if not is_outage(error):
                    raise
                outage_log.warning(f"cache {method.__name__}", error)
                return default(args, kwargs) if callable(default) else default

        return call

    return wrap


class SiteRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SiteRedisCacheClient

    # add() True: allauth's lock is "taken", so its check goes on (open).
    add = _fail_open(True)(RedisCache.add)
    get = _fail_open(
        lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("default")
    )(RedisCache.get)
    set = _fail_open(None)(RedisCache.set)
    touch = _fail_open(False)(RedisCache.touch)
    delete = _fail_open(False)(RedisCache.delete)
    get_many = _fail_open({})(RedisCache.get_many)
    has_key = _fail_open(False)(RedisCache.has_key)
    set_many = _fail_open([])(RedisCache.set_many)
    delete_many = _fail_open(None)(RedisCache.delete_many)
