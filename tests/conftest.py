"""Fixtures shared by the whole suite.

The suite starts its own redis-server on a free port (never fakeredis, never
the in-memory channel layer) and points the channel layer and presence at it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.conf import settings

from devserver.localredis import LocalRedis
from realtime import redis_options


def _point_at_redis(url: str) -> None:
    os.environ["REDIS_URL"] = url
    os.environ.pop("REDIS_SENTINELS", None)
    settings.REDIS_URL = url
    settings.REDIS_SENTINELS = []
    hosts = redis_options.layer_hosts(url, [], settings.REDIS_SENTINEL_MASTER)
    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "hosts": hosts},
        }
    }
    channel_layers.backends = {}


@pytest.fixture(scope="session", autouse=True)
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    server = LocalRedis(tmp_path_factory.mktemp("redis")).start()
    _point_at_redis(server.url)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _clean_redis(redis_server: LocalRedis) -> Iterator[None]:
    # Every test starts from an empty Redis (and a fresh layer per loop).
    if redis_server.process is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    channel_layers.backends = {}
    yield


@pytest.fixture
def redis_client(redis_server: LocalRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def make_user(django_user_model) -> Callable:
    counter = iter(range(1, 1_000_000))

    def make(username: str | None = None, **fields):
        n = next(counter)
        username = username or f"user{n}"
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("password", "correct horse battery staple")
        return django_user_model.objects.create_user(username=username, **fields)

    return make


@pytest.fixture
def amake_user(make_user) -> Callable:
    """make_user for async tests (it runs on the database thread)."""
    return database_sync_to_async(make_user)


@pytest.fixture
async def alice(make_user):
    """An async test's user `alice` ("Alice" to others); modules may define
    their own."""
    return await sync_to_async(make_user)("alice", display_name="Alice")


@pytest.fixture
async def bob(make_user):
    return await sync_to_async(make_user)("bob")


@pytest.fixture
def general_room(transactional_db):
    """`general`, which migrate creates but a transactional test's flush removes."""
    from chat.models import Room

    room, _ = Room.objects.get_or_create(slug="general", defaults={"name": "General"})
    return room


@pytest.fixture(scope="session", autouse=True)
def _no_stray_database_sessions(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Before the test database is dropped, end sessions that other threads
    (sync_to_async's executor) or server subprocesses left open: PostgreSQL
    refuses to drop a database that is in use."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
