"""REDIS_SENTINELS and REDIS_SENTINEL_MASTER: parsed strictly, refused at
start-up with one sentence, and every connection gets explicit timeouts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from redis.asyncio.sentinel import SentinelConnectionPool

from project.settings import BASE_DIR
from realtime import redis_options
from realtime.redis_options import check_master_name, parse_sentinels


def test_sentinels_are_host_port_pairs():
    assert parse_sentinels("10.0.0.1:26379, redis-b:26380,") == [
        ("10.0.0.1", 26379),
        ("redis-b", 26380),
    ]
    assert parse_sentinels("[::1]:26379") == [("::1", 26379)]


@pytest.mark.parametrize("value", ["", "   ", ",", " , , "])
def test_missing_sentinels_mean_none(value):
    assert parse_sentinels(value) == []


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.1",  # no port
        "10.0.0.1:",
        ":26379",  # no host
        "host:port",
        "host:0",
        "host:65536",
        "host:-1",
        "host:26379x",
        "ho st:26379",
        "host\x00:26379",
        "h\nost:26379",
        "a" * 300 + ":26379",
        "host:" + "9" * 5000,
        "host:\u00b2",  # a digit to str.isdigit, not to int()
        "host:\u0663",
    ],
)
def test_wrong_or_hostile_sentinels_are_refused_with_a_sentence(value):
    with pytest.raises(ValueError, match="REDIS_SENTINELS"):
        parse_sentinels(value)


def test_too_many_sentinels_are_refused():
    with pytest.raises(ValueError, match="at most"):
        parse_sentinels(",".join(f"h{i}:26379" for i in range(100)))


@pytest.mark.parametrize("name", ["", " ", "my master", "m\n", "x" * 101, "\x1b[31m"])
def test_wrong_master_names_are_refused(name):
    with pytest.raises(ValueError, match="REDIS_SENTINEL_MASTER"):
        check_master_name(name)


def test_every_connection_has_timeouts_keepalive_and_retries():
    options = redis_options.connection_options()
    assert options["socket_connect_timeout"] and options["socket_timeout"]
    assert options["socket_keepalive"] and options["socket_keepalive_options"]
    assert options["health_check_interval"] > 0
    assert options["retry"].get_retries() == redis_options.RETRIES
    # A Sentinel that does not answer is skipped at once for the next one.
    sentinel = redis_options.sentinel_options()
    assert sentinel["socket_timeout"] and sentinel["socket_connect_timeout"]
    assert sentinel["retry"].get_retries() == 0


def test_layer_hosts_name_the_sentinels_with_the_same_options():
    (host,) = redis_options.layer_hosts("redis://x:1/0", [("s1", 26379)], "m")
    assert host["sentinels"] == [("s1", 26379)] and host["master_name"] == "m"
    assert host["socket_timeout"] == redis_options.SOCKET_TIMEOUT
    assert host["sentinel_kwargs"]["socket_timeout"] == redis_options.SENTINEL_TIMEOUT
    (plain,) = redis_options.layer_hosts("redis://x:1/0", [], "m")
    assert plain["address"] == "redis://x:1/0"
    # redis-py refuses keepalive options on a unix socket.
    (unix,) = redis_options.layer_hosts("unix:///run/redis.sock", [], "m")
    assert "socket_keepalive" not in unix


async def test_a_sentinel_client_asks_the_sentinels():
    client = redis_options.client("", [("127.0.0.1", 1)], "mymaster")
    try:
        assert isinstance(client.connection_pool, SentinelConnectionPool)
        assert client.connection_pool.service_name == "mymaster"
    finally:
        await client.aclose()


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_start_up_fails_with_one_sentence_on_bad_sentinel_settings():
    result = _check({"REDIS_SENTINELS": "10.0.0.1"})
    assert result.returncode != 0
    assert "REDIS_SENTINELS must be host:port pairs" in result.stderr
    result = _check({"REDIS_SENTINELS": "a:1", "REDIS_SENTINEL_MASTER": "a b"})
    assert result.returncode != 0
    assert "REDIS_SENTINEL_MASTER must be" in result.stderr
    result = _check({"PUBSUB_CANARY_INTERVAL": "nan"})
    assert "PUBSUB_CANARY_INTERVAL must be a number of seconds" in result.stderr
