"""chat.ratelimit: a sliding window per user, shared through Redis."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from chat.conf import parse_rate
from chat.ratelimit import allow_message, rate_key


@pytest.fixture
def rate(settings):
    settings.CHAT_RATE_LIMIT = "3/0.6"


def test_parse_rate():
    assert parse_rate("20/10") == (20, 10.0)
    assert parse_rate(" 5 / 0.5 ") == (5, 0.5)
    for bad in ["", "20", "x/10", "20/x", "0/10", "20/0", "-1/10", "20/-1", "1/nan"]:
        with pytest.raises(ImproperlyConfigured, match="CHAT_RATE_LIMIT"):
            parse_rate(bad)


async def test_n_allowed_then_refused_then_the_window_slides(rate):
    assert [await allow_message(1) for _ in range(4)] == [True, True, True, False]
    assert await allow_message(2)  # other users have their own window
    await asyncio.sleep(0.65)
    assert [await allow_message(1) for _ in range(4)] == [True, True, True, False]


async def test_window_is_sliding_not_fixed(rate):
    assert await allow_message(1)
    await asyncio.sleep(0.3)
    assert await allow_message(1) and await allow_message(1)
    assert not await allow_message(1)
    await asyncio.sleep(0.4)  # only the first send has left the window
    assert await allow_message(1)
    assert not await allow_message(1)


async def test_refusals_do_not_extend_the_penalty(rate):
    for _ in range(3):
        assert await allow_message(1)
    for _ in range(20):
        assert not await allow_message(1)
    await asyncio.sleep(0.65)
    assert await allow_message(1)


async def test_key_expires(rate, redis_client):
    await allow_message(7)
    ttl = redis_client.pttl(rate_key(7))
    assert 0 < ttl <= 600


async def test_shared_between_two_clients_on_two_loops(rate):
    # Another event loop in another thread gets its own Redis client, as
    # another server process would.
    results: list[bool] = []

    def elsewhere() -> None:
        async def send_twice() -> None:
            results.extend([await allow_message(1), await allow_message(1)])

        asyncio.run(send_twice())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    await asyncio.to_thread(thread.join)
    assert results == [True, True]
    assert await allow_message(1)
    assert not await allow_message(1)


async def test_setting_is_read_lazily(settings):
    settings.CHAT_RATE_LIMIT = "1/10"
    assert await allow_message(1)
    assert not await allow_message(1)
    settings.CHAT_RATE_LIMIT = "2/10"
    assert await allow_message(1)
